"""Progress: a rich bar on a terminal, plain periodic lines otherwise (stderr)."""

from __future__ import annotations

import os
import sys
import time


# ---------------------------------------------------------------------------------------------------------------
# Progress: a rich bar on a terminal, plain periodic lines otherwise (stderr)
# ---------------------------------------------------------------------------------------------------------------

# Reviewing time grows with a file's size plus a fixed cost per file (about 8 KB of text's worth, measured on
# CUAD); the ETA counts work in these units because the largest files go first and a count of files would
# overstate the time left several times over at the start.
FILE_WORK_BYTES = 8192


class _Progress:
    def __init__(self, sizes: list[int], cached: int, jobs: int, mode: bool | None):
        total = len(sizes)
        self.total, self.done, self.started = total, 0, time.monotonic()
        self.work_total = sum(sizes) + FILE_WORK_BYTES * total
        self.work_done = 0
        self.first_ready: float | None = None
        self.interval = float(os.environ.get("CLAUSEGEN_PROGRESS_SECONDS", "5"))
        self.last_line = self.started
        self.last_refresh = 0.0
        tty = sys.stderr.isatty() if mode is None else mode
        self.bar = None
        if mode is False:
            self.enabled = False
            return
        self.enabled = True
        if total == 0:
            return
        if tty:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            # the bar and the ETA follow the work (see FILE_WORK_BYTES), the counter and rate follow files
            self.bar = Progress(TextColumn("[bold]reviewing[/]"), BarColumn(), TextColumn("{task.fields[files]}"),
                                TextColumn("{task.fields[rate]}"), TextColumn("ETA {task.fields[eta]}"),
                                TextColumn("elapsed"), TimeElapsedColumn(),
                                console=Console(stderr=True), auto_refresh=False, transient=False)
            self.task = self.bar.add_task("review", total=self.work_total, files=f"0/{total}", rate="", eta="-:--:--")
            self.bar.start()
        else:
            print(f"audit: {total} file{'s' if total != 1 else ''} to review ({cached} from cache), "
                  f"{jobs} worker{'s' if jobs != 1 else ''}", file=sys.stderr, flush=True)

    def begin(self) -> None:
        """The first worker is ready: measure the rate (and so the ETA) from now, not from start-up."""
        if self.first_ready is None:
            self.first_ready = time.monotonic()

    def rate(self) -> float:
        """Return the files reviewed per second since the first worker was ready."""
        if self.first_ready is None:
            return 0.0
        elapsed = time.monotonic() - self.first_ready
        return self.done / elapsed if elapsed > 0 else 0.0

    def eta(self) -> float | None:
        """Return the seconds left at the rate of work so far, or None before there is a rate."""
        if self.first_ready is None or not self.work_done:
            return None
        elapsed = time.monotonic() - self.first_ready
        return (self.work_total - self.work_done) * elapsed / self.work_done

    def advance(self, size: int) -> None:
        self.done += 1
        self.work_done += size + FILE_WORK_BYTES

    def tick(self, force: bool = False) -> None:
        if not self.enabled or self.total == 0:
            return
        now = time.monotonic()
        rate, eta = self.rate(), self.eta()
        if self.bar is not None:
            if force or now - self.last_refresh >= 0.1:
                text = "starting workers" if self.first_ready is None else f"{rate:.1f} files/s"
                left = int(eta or 0)
                clock = "-:--:--" if eta is None else f"{left // 3600}:{left // 60 % 60:02d}:{left % 60:02d}"
                self.bar.update(self.task, completed=self.work_done, files=f"{self.done}/{self.total}", rate=text,
                                eta=clock)
                self.bar.refresh()
                self.last_refresh = now
        elif force or now - self.last_line >= self.interval:
            if self.first_ready is None:
                print(f"audit: starting workers ({now - self.started:.0f} s)", file=sys.stderr, flush=True)
            else:
                eta_text = "ETA unknown" if eta is None else f"ETA {eta:.0f} s"
                print(f"audit: {self.done}/{self.total} files reviewed ({rate:.1f} files/s, {eta_text})",
                      file=sys.stderr, flush=True)
            self.last_line = now

    def close(self) -> None:
        if self.bar is not None:
            self.tick(force=True)
            self.bar.stop()
            self.bar = None
