"""Review reports: every format renders; the annotated DOCX carries real Word comments; the rider drafts the gaps."""

from __future__ import annotations

import json
import re
import zipfile

import docx
import pytest

from clausegen.reports.annotated_docx import annotate_docx
from clausegen.reports.review_formats import render_review
from clausegen.review import review_file

from conftest import REPO

CONTRACTS = REPO / "contract_samples" / "contracts"


@pytest.fixture(scope="module")
def reseller_review(library):
    return review_file(CONTRACTS / "reseller_with_flowdown.docx", library)


@pytest.fixture(scope="module")
def weak_review(library):
    return review_file(CONTRACTS / "misleading_headings.docx", library)


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "html"])
def test_formats_render(reseller_review, fmt):
    out = render_review(reseller_review, fmt)
    if fmt == "json":
        assert json.loads(out) == reseller_review.to_dict()
    else:
        for sid in ("end_use", "export_control", "human_rights"):
            assert sid in out
    if fmt == "html":
        assert out.startswith("<!doctype html>") and "<script" not in out and "http" not in out


def test_html_escapes_document_text(reseller_review):
    from copy import deepcopy

    review = deepcopy(reseller_review)
    review.findings[0].evidence[0].text = "<script>alert(1)</script> & co"
    out = render_review(review, "html")
    assert "<script>" not in out and "&lt;script&gt;" in out


def test_annotated_docx_has_comments_on_evidence(weak_review, tmp_path):
    out = annotate_docx(CONTRACTS / "misleading_headings.docx", weak_review, tmp_path / "annotated.docx")
    document = docx.Document(str(out))
    comments = list(document.comments)
    found = [f for f in weak_review.findings if f.status != "missing"]
    assert len(comments) >= 1 + len(found)
    missing_required = [f.safeguard for f in weak_review.findings if f.required and f.status == "missing"]
    assert missing_required and all(sid in comments[0].text for sid in missing_required)
    xml = zipfile.ZipFile(out).read("word/document.xml").decode()
    assert xml.count("<w:commentRangeStart") == len(comments) == xml.count("<w:commentRangeEnd")
    # Each comment range wraps a paragraph that holds the evidence of its finding.
    by_id = {c.comment_id: c.text for c in comments}
    checked = 0
    for paragraph in document.paragraphs:
        for cid in map(int, re.findall(r'commentRangeStart w:id="(\d+)"', paragraph._p.xml)):
            if by_id[cid].startswith("clausegen review."):
                continue
            finding = next(f for f in weak_review.findings if by_id[cid].startswith(f.safeguard + ":"))
            words = " ".join(paragraph.text.split())
            assert any(words[:30] in " ".join(ev.text.split()) for ev in finding.evidence), (finding.safeguard, words)
            checked += 1
    assert checked == len(comments) - 1


def test_rider_drafts_missing_required_safeguards(weak_review, library, tmp_path):
    from clausegen.reports.rider import write_rider

    out = tmp_path / "rider.docx"
    write_rider(weak_review, library, out, weak_review.parties)
    text = "\n".join(p.text for p in docx.Document(str(out)).paragraphs)
    gaps = [f.safeguard for f in weak_review.findings if f.required and f.status != "present"]
    assert gaps
    for sid in gaps:
        title = library.clauses[f"{sid}_standard"].title if f"{sid}_standard" in library.clauses else None
        assert title is None or title in text
    assert "prevail" in text.lower()


# ---- the comments part and the text table (reviewer) ----
def test_annotated_docx_comments_part(reseller_review, tmp_path):
    out = annotate_docx(CONTRACTS / "reseller_with_flowdown.docx", reseller_review, tmp_path / "annotated.docx")
    package = zipfile.ZipFile(out)
    assert "word/comments.xml" in package.namelist()
    comments_xml = package.read("word/comments.xml").decode()
    for finding in reseller_review.findings:
        if finding.status != "missing":
            assert f"{finding.safeguard}: {finding.status.upper()}" in comments_xml
    # the original text is untouched: same paragraphs, same words
    before = [p.text for p in docx.Document(str(CONTRACTS / "reseller_with_flowdown.docx")).paragraphs]
    after = [p.text for p in docx.Document(str(out)).paragraphs]
    assert before == after


def test_annotating_a_broken_docx_is_a_clear_error(reseller_review, tmp_path):
    from clausegen.errors import IngestError

    bad = tmp_path / "bad.docx"
    bad.write_bytes(b"PK\x03\x04 not really a docx")
    with pytest.raises(IngestError, match="bad.docx"):
        annotate_docx(bad, reseller_review, tmp_path / "out.docx")


def test_text_table_lists_every_safeguard_with_status(reseller_review):
    out = render_review(reseller_review, "text")
    for finding in reseller_review.findings:
        assert finding.safeguard in out
    assert "Missing required safeguards" in out
    assert "\x1b[" not in out  # no terminal colour codes when the output is not a terminal


def test_markdown_cells_are_safe(reseller_review):
    from copy import deepcopy

    review = deepcopy(reseller_review)
    review.findings[0].evidence[0].section = "4 | Use"
    table_rows = [line for line in render_review(review, "markdown").splitlines() if line.startswith("| `")]
    assert all(row.count(" | ") == 4 for row in table_rows)
