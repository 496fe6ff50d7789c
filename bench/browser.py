"""Headless Chromium driven over the DevTools protocol through a pipe (--remote-debugging-pipe): no port, no extra
package. Used by bench/dashboard.py and tests/test_dashboard.py to press real keys, time scripts, take screenshots
and run axe-core in the audit dashboard.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
AXE = REPO / ".axe" / "node_modules" / "axe-core" / "axe.min.js"  # `make axe` installs it (npm)
KEYS = {  # key -> (code, windowsVirtualKeyCode, text)
    "Tab": ("Tab", 9, ""), "Enter": ("Enter", 13, "\r"), "Escape": ("Escape", 27, ""), "Space": ("Space", 32, " "),
    "ArrowUp": ("ArrowUp", 38, ""), "ArrowDown": ("ArrowDown", 40, ""), "ArrowLeft": ("ArrowLeft", 37, ""),
    "ArrowRight": ("ArrowRight", 39, ""), "Home": ("Home", 36, ""), "End": ("End", 35, ""),
}


def chromium_executable() -> str | None:
    """Return the headless browser to use, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


class Browser:
    """One headless Chromium with one page, spoken to in DevTools protocol messages over fds 3 and 4."""

    def __init__(self, profile_dir, width: int = 1440, height: int = 900):
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def wire():  # the child reads commands on fd 3 and writes answers on fd 4 (dup2 makes them inheritable)
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_child_r, from_child_w)]
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        command = [chromium_executable(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                   "--no-first-run", "--disable-background-networking", "--disable-component-update",
                   "--disable-sync", "--remote-debugging-pipe", f"--user-data-dir={profile_dir}",
                   f"--window-size={width},{height}", "about:blank"]
        self.proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, preexec_fn=wire, close_fds=False)
        os.close(to_child_r)
        os.close(from_child_w)
        self._buffer = b""
        self._next_id = 0
        self.session = None
        targets = self.call("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.call("Target.attachToTarget", targetId=page["targetId"], flatten=True)["sessionId"]
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
        self.call("Page.enable")
        self.call("Runtime.enable")

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_child], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._from_child, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def call(self, method: str, timeout: float = 120, **params):
        """Send one command and return its result (raise on a protocol error)."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if self.session and not method.startswith(("Target.", "Browser.")):
            message["sessionId"] = self.session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._read_message(deadline)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            # anything else is an event (console, lifecycle): not needed here

    def evaluate(self, expression: str, timeout: float = 120):
        """Return the value of a JavaScript expression in the page (promises are awaited)."""
        result = self.call("Runtime.evaluate", timeout=timeout, expression=expression, returnByValue=True,
                           awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def open(self, url: str, ready: str = "document.body && document.body.dataset.ready === '1'") -> float:
        """Load url, wait until the ready expression holds, and return the seconds it took."""
        start = time.perf_counter()
        self.evaluate("document.body && delete document.body.dataset.ready")  # only the new page's signal counts
        self.call("Page.navigate", url=url)
        while not self.evaluate(f"!!({ready})"):
            if time.perf_counter() - start > 120:
                raise TimeoutError(f"{url} did not become ready")
            time.sleep(0.02)
        return time.perf_counter() - start

    def press(self, key: str, shift: bool = False):
        """Press and release one key as a user would (keyDown with its text, then keyUp)."""
        code, vk, text = KEYS[key]
        modifiers = 8 if shift else 0
        down = {"type": "keyDown" if text else "rawKeyDown", "key": key if key != "Space" else " ", "code": code,
                "windowsVirtualKeyCode": vk, "nativeVirtualKeyCode": vk, "modifiers": modifiers}
        if text:
            down["text"] = down["unmodifiedText"] = text
        self.call("Input.dispatchKeyEvent", **down)
        self.call("Input.dispatchKeyEvent", type="keyUp", key=down["key"], code=code, windowsVirtualKeyCode=vk,
                  nativeVirtualKeyCode=vk, modifiers=modifiers)

    def type_text(self, text: str):
        """Type text into the focused field."""
        self.call("Input.insertText", text=text)

    def screenshot(self, path, scale: float = 1.0) -> Path:
        """Save a PNG of the viewport (scaled down when scale < 1)."""
        width, height = self.evaluate("[innerWidth, innerHeight]")
        clip = {"x": 0, "y": 0, "width": width, "height": height, "scale": scale}
        Path(path).write_bytes(base64.b64decode(self.call("Page.captureScreenshot", format="png", clip=clip)["data"]))
        return Path(path)

    def axe(self, context: str = "document") -> dict:
        """Run axe-core (WCAG 2.0/2.1 A and AA rules) in the page and return its results."""
        self.evaluate(AXE.read_text(encoding="utf-8") + ";true")
        return self.evaluate(
            f"axe.run({context}, {{runOnly: {{type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', "
            "'best-practice']}, resultTypes: ['violations', 'incomplete']})"
            ".then(function(r){ return {violations: r.violations, incomplete: r.incomplete, "
            "passes: r.passes.map(function(p){ return {id: p.id, nodes: p.nodes.length}; }), "
            "testEngine: r.testEngine, url: r.url}; })", timeout=600)

    def close(self):
        """Quit Chromium."""
        try:
            self.call("Browser.close", timeout=10)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_child)
        os.close(self._from_child)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
