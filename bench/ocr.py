"""OCR accuracy and throughput: scanned copies of the sample contracts, read by clausegen and reviewed.

    .venv/bin/python bench/ocr.py [--samples NAME ...] [--damage KEY ...] [--jobs 2] [--markdown]

For every sample contract and every scan damage of contract_samples/scans/build.py (150-300 dpi, skew, pages fed
sideways or upside down, speckle, a stamp and a signature, JPEG loss) the script builds the image-only PDF, then
  - reads it with clausegen.ingest (OCR in auto mode) and times it;
  - character accuracy = 1 - normalised Levenshtein distance (rapidfuzz) between the source .txt and the text read,
    whitespace collapsed on both sides (running page footers are dropped by ingestion and are not in the source);
  - reviews it and compares the ten statuses with the review of the source .txt.
Scans are read `--jobs` at a time (one process each, as the audit's workers do); pages/s = pages / wall time.
Last, a 2,000-page text PDF (reportlab, the test extra) is read once, against the 120 s `max_pdf_seconds` limit.

Targets (docs/performance.md): accuracy >= 98 % and statuses identical to the text version for every scan.
Exit code 0 when every target is met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
CONTRACTS = REPO / "contract_samples" / "contracts"
TARGET_ACCURACY = 0.98


def _builder():
    spec = importlib.util.spec_from_file_location("scan_build", REPO / "contract_samples" / "scans" / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def measure(job: tuple[str, str]) -> dict:
    """Build one scan, read and review it; return its figures."""
    from rapidfuzz.distance import Levenshtein

    from clausegen.ingest import ingest_bytes
    from clausegen.library import load_library
    from clausegen.review import review_bytes

    name, damage = job
    scans = _builder()
    source = (CONTRACTS / f"{name}.txt").read_text(encoding="utf-8")
    data = scans.scan_pdf(source, scans.DAMAGES[damage])
    started = time.perf_counter()
    document = ingest_bytes(data, f"{name}.{damage}.pdf")
    seconds = time.perf_counter() - started
    library = load_library()
    scanned = [f.status for f in review_bytes(data, f"{name}.pdf", library).findings]
    typed = [f.status for f in review_bytes(source.encode(), f"{name}.txt", library).findings]
    accuracy = Levenshtein.normalized_similarity(" ".join(source.split()), " ".join(document.text.split()))
    return {"name": name, "damage": damage, "pages": len(document.ocr["pages"]), "seconds": seconds,
            "accuracy": accuracy, "confidence": document.ocr["mean_confidence"],
            "unreliable": document.ocr["unreliable_pages"], "same": scanned == typed,
            "diff": [(i, a, b) for i, (a, b) in enumerate(zip(scanned, typed)) if a != b]}


def long_pdf_seconds(pages: int = 2000) -> float:
    """Return the seconds clausegen takes to read a text PDF of `pages` pages (48 lines of contract text each)."""
    import io

    from reportlab.pdfgen import canvas

    from clausegen.ingest import ingest_bytes

    lines = [line.strip() for line in (CONTRACTS / "strong_integrator_all_present.txt").read_text().splitlines()]
    lines = [line[i:i + 95] for line in lines for i in range(0, max(len(line), 1), 95)]
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=(612, 792))
    for page in range(pages):
        pdf.setFont("Helvetica", 10)
        for n in range(48):
            pdf.drawString(60, 740 - 14 * n, lines[(page * 48 + n) % len(lines)])
        pdf.showPage()
    pdf.save()
    started = time.perf_counter()
    document = ingest_bytes(out.getvalue(), "long.pdf")
    assert document.sections[-1].page == pages
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    scans = _builder()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", nargs="*", default=scans.SAMPLES)
    parser.add_argument("--damage", nargs="*", default=sorted(scans.DAMAGES))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    jobs = [(name, damage) for name in args.samples for damage in args.damage]
    began = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        rows = list(pool.map(measure, jobs))
    wall = time.perf_counter() - began
    pages = sum(row["pages"] for row in rows)
    ok = all(row["accuracy"] >= TARGET_ACCURACY and row["same"] for row in rows)
    if args.markdown:
        print("| sample | damage | pages | s | accuracy | confidence | unreliable | statuses |")
        print("|---|---|---:|---:|---:|---:|---|---|")
    for row in rows:
        same = "same" if row["same"] else f"DIFFER {row['diff']}"
        if args.markdown:
            print(f"| {row['name']} | {row['damage']} | {row['pages']} | {row['seconds']:.1f} | "
                  f"{row['accuracy']:.2%} | {row['confidence']:.1f} | {row['unreliable'] or '-'} | {same} |")
        else:
            print(f"{row['name']:36} {row['damage']:12} {row['pages']:2} pages {row['seconds']:6.1f} s  "
                  f"accuracy {row['accuracy']:.2%}  confidence {row['confidence']:.1f}  {same}")
    print(f"\n{len(rows)} scans, {pages} pages in {wall:.1f} s wall with {args.jobs} processes: "
          f"{pages / wall:.2f} pages/s (load average {os.getloadavg()[0]:.1f} at the end)")
    print(f"min accuracy {min(row['accuracy'] for row in rows):.2%} (target {TARGET_ACCURACY:.0%}); "
          f"statuses identical for {sum(row['same'] for row in rows)}/{len(rows)}")
    seconds = long_pdf_seconds()
    print(f"2,000-page text PDF read in {seconds:.1f} s (limit 120 s)")
    return 0 if ok and seconds < 120 else 1


if __name__ == "__main__":
    sys.exit(main())
