"""Tests for OCR in ingestion: scans made by contract_samples/scans/build.py, read back by Tesseract and reviewed."""

from __future__ import annotations

import importlib.util
import io
import json
import shutil
import sys

import pytest
from rapidfuzz.distance import Levenshtein

from clausegen.errors import ClausegenError, IngestError, NoTextError, UnsafeFileError
from clausegen.ingest import Limits, ingest_bytes
from clausegen.ingest import ocr as ocr_module
from clausegen.review import review_bytes
from conftest import REPO, audit_cli, read_jsonl

needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed")
CONTRACTS = REPO / "contract_samples" / "contracts"


def _load_builder():
    spec = importlib.util.spec_from_file_location("scan_build", REPO / "contract_samples" / "scans" / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


scans = _load_builder()


def source(name: str) -> str:
    return (CONTRACTS / f"{name}.txt").read_text(encoding="utf-8")


def first_page_text(name: str) -> str:
    """Return the text the scan builder puts on page 1 (without its footer)."""
    return " ".join(line for line in scans.pages_of(source(name))[0] if line)


def one_page_scan(name: str, damage) -> bytes:
    """Return an image-only PDF of page 1 of a sample, damaged."""
    return scans.scan_pdf(first_page_text(name), damage)


def accuracy(expected: str, got: str) -> float:
    return Levenshtein.normalized_similarity(" ".join(expected.split()), " ".join(got.split()))


def image_pdf(pages: list[tuple[bytes | None, str]]) -> bytes:
    """Return a PDF whose pages each show a full-page scan image (PNG bytes, or None) and text-layer lines."""
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=letter)
    for image, text in pages:
        if image is not None:
            pdf.drawImage(ImageReader(io.BytesIO(image)), 0, 0, width=letter[0], height=letter[1])
        y = letter[1] - 40
        for line in text.splitlines():
            pdf.drawString(72, y, line)
            y -= 14
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def page_png(number: int = 1, dpi: int = 200) -> bytes:
    """Return a clean scan of one page of the weak_purchase sample as PNG."""
    lines = scans.pages_of(source("weak_purchase_almost_all_missing"))[number - 1]
    out = io.BytesIO()
    scans.typeset(lines, number, 6, dpi).save(out, "PNG")
    return out.getvalue()


# ---- reading damaged scans ----


@needs_tesseract
@pytest.mark.parametrize("damage", ["skew2-200", "skewneg-150", "turn90-200", "turn180-300"])
def test_damaged_scan_pages_read_accurately(damage):
    """Skewed, sideways and upside-down pages at 150-300 dpi with noise and JPEG loss read at >= 97 % characters."""
    name = "weak_purchase_almost_all_missing"
    document = ingest_bytes(one_page_scan(name, scans.DAMAGES[damage]), f"{name}.pdf")
    assert accuracy(first_page_text(name), document.text) >= 0.97, document.text[:400]
    assert document.ocr["pages"] == [1] and document.ocr["unreliable_pages"] == []
    assert document.ocr["mean_confidence"] >= 80
    assert document.warnings[0].startswith("page 1 read by OCR (mean word confidence ")
    assert {section.page for section in document.sections} == {1}


@needs_tesseract
def test_scanned_contract_reviews_like_its_text(library):
    """A stamped, signed, noisy scan of a whole contract gives the statuses of the text, with page numbers."""
    name = "weak_purchase_almost_all_missing"
    text_review = review_bytes(source(name).encode(), f"{name}.txt", library).to_dict()
    scan = scans.scan_pdf(source(name), scans.DAMAGES["stamp-250"])
    review = review_bytes(scan, f"{name}.pdf", library).to_dict()
    assert [s["status"] for s in review["safeguards"]] == [s["status"] for s in text_review["safeguards"]]
    pages = len(scans.pages_of(source(name)))
    assert review["ocr"]["pages"] == list(range(1, pages + 1))
    assert review["ocr"]["mean_confidence"] >= 85 and review["ocr"]["unreliable_pages"] == []
    assert review["warnings"] and "read by OCR" in review["warnings"][0]
    assert "ocr" not in text_review and "warnings" not in text_review
    document = ingest_bytes(scan, f"{name}.pdf")
    assert accuracy(source(name), document.text) >= 0.98
    assert [s.page for s in document.sections] == sorted(s.page for s in document.sections)
    assert document.sections[-1].page == pages


# ---- which pages are OCR'd ----


@needs_tesseract
def test_stamp_in_text_layer_does_not_hide_the_scan():
    """A Bates number and a stamp in the text layer of scanned pages: the pages are still OCR'd."""
    data = image_pdf([(page_png(1), "ACME-000101"), (page_png(2), "RECEIVED 03 MAR 2025\nACME-000102")])
    document = ingest_bytes(data, "stamped.pdf")
    assert document.ocr["pages"] == [1, 2]
    assert "EQUIPMENT PURCHASE AGREEMENT" in document.text and "2.2 Buyer may issue Purchase Orders" in document.text
    assert len(document.text) > 3000


@needs_tesseract
def test_typed_cover_page_is_kept_and_the_scan_behind_it_is_read():
    """A fax cover page with a real text layer is read from it; the scanned pages after it by OCR."""
    cover = "FAX COVER SHEET\n" + "\n".join(f"Line {n}: To the legal department of the Buyer, for signature."
                                              for n in range(1, 8))
    data = image_pdf([(None, cover), (page_png(1), "")])
    document = ingest_bytes(data, "faxed.pdf")
    assert document.ocr["pages"] == [2]
    assert "FAX COVER SHEET" in document.text and "EQUIPMENT PURCHASE AGREEMENT" in document.text
    assert {s.page for s in document.sections if "FAX COVER" in s.text} == {1}
    assert {s.page for s in document.sections if "EQUIPMENT PURCHASE" in s.text} == {2}


@needs_tesseract
def test_modes_never_and_always(tmp_path):
    """--ocr never refuses a scan as before; always reads text-layer pages by OCR too."""
    scan = one_page_scan("weak_purchase_almost_all_missing", scans.DAMAGES["clean300"])
    with pytest.raises(NoTextError, match=r"^scan\.pdf: no text layer \(scanned\?\)$"):
        ingest_bytes(scan, "scan.pdf", Limits(ocr="never"))
    typed = image_pdf([(None, "1. Scope. The Supplier shall deliver the Products.")])
    assert ingest_bytes(typed, "typed.pdf").ocr is None
    document = ingest_bytes(typed, "typed.pdf", Limits(ocr="always"))
    assert document.ocr["pages"] == [1]
    assert "Supplier shall deliver the Products" in document.text


@needs_tesseract
def test_low_confidence_pages_are_listed_unreliable(monkeypatch):
    monkeypatch.setattr(ocr_module, "UNRELIABLE_CONFIDENCE", 99.5)
    document = ingest_bytes(one_page_scan("weak_purchase_almost_all_missing", scans.DAMAGES["skew2-200"]), "s.pdf")
    assert document.ocr["unreliable_pages"] == [1]
    assert document.warnings[1] == "OCR unreliable on page 1 (confidence below 100%): check the text against the scan"


@needs_tesseract
def test_blank_scan_is_no_text():
    blank = io.BytesIO()
    scans.typeset([], 1, 1, 100).crop((0, 0, 850, 900)).save(blank, "PNG")
    with pytest.raises(NoTextError, match=r"^blank\.pdf: no text found by OCR$"):
        ingest_bytes(image_pdf([(blank.getvalue(), "")]), "blank.pdf")


# ---- limits and failures ----


@needs_tesseract
@pytest.mark.parametrize("limits, message", [
    (Limits(max_ocr_pages=1), r"^two\.pdf: too many pages to OCR \(2 > 1 limit\)$"),
    (Limits(max_ocr_seconds=0.001), r"^two\.pdf: OCR takes too long \(more than 0\.001 s limit\)$"),
    (Limits(max_ocr_page_seconds=0.01), r"^two\.pdf: OCR of page 1 takes too long \(more than 0\.01 s limit\)$"),
])
def test_ocr_limits(limits, message):
    with pytest.raises(UnsafeFileError, match=message):
        ingest_bytes(image_pdf([(page_png(1), ""), (page_png(2), "")]), "two.pdf", limits)


def test_ocr_mode_from_environment():
    assert Limits.from_env({"CLAUSEGEN_OCR": "Never"}).ocr == "never"
    with pytest.raises(ClausegenError, match=r"^CLAUSEGEN_OCR: expected one of auto, always, never, got 'sometimes'$"):
        Limits.from_env({"CLAUSEGEN_OCR": "sometimes"})


def test_without_tesseract_a_scan_gets_one_clear_line(monkeypatch, tmp_path, capsys):
    import pytesseract

    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", str(tmp_path / "no-tesseract"))
    scan = one_page_scan("weak_purchase_almost_all_missing", scans.DAMAGES["clean300"])
    with pytest.raises(IngestError) as caught:
        ingest_bytes(scan, "scan.pdf")
    assert str(caught.value) == "scan.pdf: scanned PDF: OCR needs tesseract (apt-get install tesseract-ocr)"
    # a text PDF needs no Tesseract
    assert ingest_bytes(image_pdf([(None, "1. Scope. The Supplier shall deliver.")]), "t.pdf").ocr is None
    path = tmp_path / "scan.pdf"
    path.write_bytes(scan)
    from clausegen.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["review", str(path)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: {path}: scanned PDF: OCR needs tesseract (apt-get install tesseract-ocr)"]


# ---- the CLI and the audit ----


@needs_tesseract
def test_review_cli_reports_ocr(tmp_path, capsys):
    from clausegen.cli import main

    path = tmp_path / "scan.pdf"
    path.write_bytes(one_page_scan("weak_purchase_almost_all_missing", scans.DAMAGES["clean300"]))
    with pytest.raises(SystemExit) as exit_info:
        main(["review", str(path), "--format", "json"])
    assert exit_info.value.code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["ocr"]["pages"] == [1] and result["warnings"]
    with pytest.raises(SystemExit) as exit_info:
        main(["review", str(path), "--ocr", "never"])
    assert exit_info.value.code == 2
    assert "no text layer (scanned?)" in capsys.readouterr().err
    import os

    assert "CLAUSEGEN_OCR" not in os.environ  # --ocr lasts only as long as its command


@needs_tesseract
@pytest.mark.slow
def test_audit_of_scans_and_text_pdfs_reviews_every_file_and_caches_ocr(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    name = "weak_purchase_almost_all_missing"
    (folder / "scan-a.pdf").write_bytes(one_page_scan(name, scans.DAMAGES["turn90-200"]))
    (folder / "scan-b.pdf").write_bytes(one_page_scan(name, scans.DAMAGES["stamp-250"]))
    (folder / "typed.pdf").write_bytes(image_pdf([(None, "1. Scope. The Supplier shall deliver the Products.")]))
    shutil.copy(CONTRACTS / "misleading_headings.pdf", folder / "sample.pdf")
    out = tmp_path / "out"
    assert audit_cli(folder, "-o", out, "--jobs", 2) == 0, capsys.readouterr().err
    rows = {row["document"]: row for row in read_jsonl(out / "results.jsonl")}
    assert sorted(rows) == ["sample.pdf", "scan-a.pdf", "scan-b.pdf", "typed.pdf"]
    assert all(row["errors"] == [] for row in rows.values()), rows
    assert rows["scan-a.pdf"]["ocr"]["pages"] == [1] and rows["scan-b.pdf"]["ocr"]["pages"] == [1]
    assert "ocr" not in rows["typed.pdf"] and "ocr" not in rows["sample.pdf"]
    capsys.readouterr()
    assert audit_cli(folder, "-o", out, "--jobs", 2) == 0
    assert "4 from cache" in capsys.readouterr().out  # a re-run does not OCR again
    assert audit_cli(folder, "-o", out, "--jobs", 2, "--ocr", "never") == 0  # another mode is another cache key
    rows = {row["document"]: row for row in read_jsonl(out / "results.jsonl")}
    assert rows["scan-a.pdf"]["errors"] == ["scan-a.pdf: no text layer (scanned?)"]
    assert rows["typed.pdf"]["errors"] == []
