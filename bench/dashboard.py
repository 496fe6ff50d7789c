"""Time the audit dashboard at 5,000 rows in headless Chromium: load, sort, search, open a document; optionally run
axe-core and take screenshots with the panel opened from the keyboard.

The rows are synthetic but made of real reviews: each is a review from an audit's results.jsonl (the bundled
samples when --results is not given), under a long, CUAD-like name that shares most of its characters with its
neighbours, with a PDF page on its quotes, and one row in fifty an error row.

    .venv/bin/python bench/dashboard.py --rows 5000 [--results OUT/results.jsonl] [--axe docs/axe-dashboard-5000.json]
        [--screenshots DIR] [--keep page.html]
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from browser import AXE, Browser, chromium_executable  # noqa: E402

from clausegen.audit import error_review, library_info, row_counts, sort_key  # noqa: E402
from clausegen.library import load_library  # noqa: E402
from clausegen.reports.dashboard import render_dashboard  # noqa: E402

COMPANIES = ["BellringBrandsInc", "BellringBrandsInc", "AcmeSurveillanceSystemsCorp", "NorthwindTradersLtd",
             "ContosoVisionAnalyticsInc", "FabrikamNetworksHoldings"]
KINDS = ["Supply_Agreement", "Master_Reseller_Agreement", "Software_License_Agreement", "Distribution_Agreement",
         "Services_Agreement", "Data_Processing_Addendum"]
ERROR_REASONS = ["corrupt PDF: no trailer", "encrypted DOCX: password protected", "empty file",
                 "over the size limit (50 MB)", "no text layer (scanned PDF without OCR)"]


def audit_samples(out: Path) -> Path:
    """Audit the bundled samples into out and return its results.jsonl."""
    from clausegen.audit import run_audit

    run_audit(REPO / "contract_samples" / "contracts", out, load_library(), jobs=1, progress=False)
    return out / "results.jsonl"


def synthetic_rows(reviews: list[dict], count: int, seed: int = 14) -> list[dict]:
    """Return count dashboard rows built from real reviews under long, similar names (worst gaps first)."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        company = COMPANIES[i % len(COMPANIES)]
        kind = KINDS[(i // len(COMPANIES)) % len(KINDS)]
        ext = ".pdf" if i % 3 == 0 else ".txt"
        name = (f"cuad/{company}_2019{(i // 7) % 12 + 1:02d}20_S-1_EX-10.{i % 40}_{11817081 + i // 40}_"
                f"EX-10.{i % 40}_{kind}{ext}")
        if i % 50 == 7:
            review = error_review(name, rng.choice(ERROR_REASONS))
            review["safeguards"] = [dict(s, status="error") for s in review["safeguards"]]
        else:
            review = copy.deepcopy(reviews[i % len(reviews)])
            review["document"] = name
            for s in review["safeguards"]:
                for e in s.get("evidence") or []:
                    e["page"] = 1 + (e.get("start") or 0) // 3000 if ext == ".pdf" else None
            if i % 40 == 3:
                review["warnings"] = ["pages 2 and 5 were read by OCR with low confidence"]
                review["ocr"] = {"pages": [2, 5], "mean_confidence": 0.71, "unreliable_pages": [5]}
        rows.append({"review": review, "path": f"/srv/contracts/{name}", "sha256": f"{i:064x}", "duplicates": [],
                     "counts": row_counts(review)})
    rows.sort(key=sort_key)
    return rows


def render(rows: list[dict], library) -> str:
    """Return the dashboard HTML for rows."""
    meta = {"folder": "/srv/contracts", "generated": time.strftime("%Y-%m-%d %H:%M:%S"), "library": "bench",
            "tool": "bench", "required": "reviewer default", "files": len(rows)}
    return render_dashboard(rows, [], library_info(library), meta)


def timed(browser: Browser, script: str) -> float:
    """Return the milliseconds a synchronous script takes, style and layout included."""
    return browser.evaluate("(function(){ var t = performance.now(); " + script +
                            "; document.body.offsetHeight; return performance.now() - t; })()")


def measure(browser: Browser, url: str, repeat: int) -> dict[str, list[float]]:
    """Return the times (ms) of loading, sorting, searching and opening a document."""
    times: dict[str, list[float]] = {k: [] for k in ("load", "sort by name", "sort by a safeguard", "search name",
                                                     "search evidence", "clear search", "open document")}
    for _ in range(repeat):
        times["load"].append(1000 * browser.open(url))
        times["sort by name"].append(timed(browser, "document.querySelector('th[data-sort=name] button').click()"))
        times["sort by a safeguard"].append(timed(browser, "document.querySelector('th[data-sort=s3] button').click()"))
        search = "var q = document.getElementById('q'); q.value = {!r}; q.dispatchEvent(new Event('input'))"
        times["search name"].append(timed(browser, search.format("bellring")))
        times["search evidence"].append(timed(browser, search.format("export control")))
        times["clear search"].append(timed(browser, search.format("")))
        times["open document"].append(timed(browser, "document.querySelector('tr.doc:not([hidden]) .open').click()"))
    return times


def keyboard_screenshots(browser: Browser, url: str, folder: Path) -> list[Path]:
    """Open a document with Tab and Enter only and save screenshots of the grid and the open panel."""
    folder.mkdir(parents=True, exist_ok=True)
    browser.open(url)
    shots = [browser.screenshot(folder / "dashboard-5000-grid.png")]
    browser.evaluate("document.getElementById('reset').focus()")
    for _ in range(40):  # Tab past the sort buttons and the totals to the first document
        browser.press("Tab")
        if browser.evaluate("document.activeElement.classList.contains('open')"):
            break
    for _ in range(2):
        browser.press("ArrowDown")
    shots.append(browser.screenshot(folder / "dashboard-5000-row-focus.png"))
    browser.press("Enter")
    browser.press("Tab")
    shots.append(browser.screenshot(folder / "dashboard-5000-panel.png"))
    browser.press("Escape")  # back on the row; now search the evidence and open the first match
    browser.evaluate("document.getElementById('q').focus()")
    browser.type_text("export control")
    for _ in range(40):
        browser.press("Tab")
        if browser.evaluate("document.activeElement.classList.contains('open')"):
            break
    browser.press("Enter")
    browser.evaluate("document.querySelector('#dbody mark').scrollIntoView({block: 'center'}); true")
    shots.append(browser.screenshot(folder / "dashboard-5000-search-panel.png"))
    shots.append(browser.screenshot(folder / "dashboard-5000-search-panel-small.png", scale=0.6))
    return shots


def summarise_axe(result: dict) -> dict:
    """Return axe-core's result with the violations in full and, for the rules it could not decide (incomplete),
    the count of elements per reason with three examples (the full list runs to 12,000 status symbols)."""
    incomplete = []
    for rule in result["incomplete"]:
        reasons: dict[str, dict] = {}
        for node in rule["nodes"]:
            for check in node["any"] + node["all"] + node["none"]:
                entry = reasons.setdefault(check["message"], {"elements": 0, "examples": []})
                entry["elements"] += 1
                if len(entry["examples"]) < 3:
                    entry["examples"].append(node["target"])
        incomplete.append({"id": rule["id"], "impact": rule["impact"], "help": rule["help"], "reasons": reasons})
    return {"testEngine": result["testEngine"], "violations": result["violations"], "incomplete": incomplete,
            "passes": result["passes"]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--results", type=Path, help="an audit's results.jsonl to take the reviews from")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--axe", type=Path, help="write axe-core's report (JSON) of the dashboard here")
    parser.add_argument("--screenshots", type=Path, help="save keyboard-driven screenshots in this folder")
    parser.add_argument("--keep", type=Path, help="also write the dashboard HTML here")
    args = parser.parse_args(argv)
    if chromium_executable() is None:
        print("headless Chromium is not installed (apt-get install -y chromium)")
        return 2
    library = load_library()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        results = args.results or audit_samples(tmp / "samples")
        reviews = [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines() if line.strip()]
        reviews = [r for r in reviews if not r.get("errors")]
        rows = synthetic_rows(reviews, args.rows)
        start = time.perf_counter()
        page = render(rows, library)
        render_s = time.perf_counter() - start
        path = args.keep or tmp / "dashboard.html"
        path.write_text(page, encoding="utf-8")
        errors = sum(1 for r in rows if r["review"]["errors"])
        print(f"{len(rows)} rows from {len(reviews)} reviews ({results}); {errors} "
              f"error rows; HTML {len(page.encode()) / 1e6:.1f} MB, rendered in {render_s:.2f} s")
        with Browser(tmp / "profile") as browser:
            for name, values in measure(browser, path.as_uri(), args.repeat).items():
                print(f"  {name:22s} median {statistics.median(values):7.0f} ms  (runs: "
                      f"{', '.join(f'{v:.0f}' for v in values)})")
            if args.screenshots:
                for shot in keyboard_screenshots(browser, path.as_uri(), args.screenshots):
                    print(f"  screenshot {shot}")
            if args.axe:
                if not AXE.is_file():
                    print(f"axe-core is not installed ({AXE}): run `make axe`")
                    return 2
                report = {}
                for label, fragment in (("grid", ""), ("panel open", "#doc=0")):
                    browser.open(path.as_uri() + fragment)
                    result = browser.axe()
                    report[label] = summarise_axe(result)
                    serious = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
                    print(f"  axe-core {result['testEngine']['version']} ({label}): {len(result['violations'])} "
                          f"violations, {len(serious)} serious or critical: "
                          f"{', '.join(v['id'] + '/' + v['impact'] for v in result['violations']) or 'none'}")
                args.axe.write_text(json.dumps({"rows": len(rows), "results": report}, indent=1) + "\n",
                                    encoding="utf-8")
                print(f"  wrote {args.axe}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
