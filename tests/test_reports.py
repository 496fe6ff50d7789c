"""Review reports: every format renders; the annotated DOCX carries real Word comments; the rider drafts the gaps."""

from __future__ import annotations

import copy
import json
import re
import zipfile

import docx
import pytest

from clausegen.reports.annotated_docx import annotate_docx
from clausegen.reports.review_formats import render_review
from clausegen.review import review_file

from clausegen.model import SAFEGUARD_IDS, Evidence

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


def comment_ranges(path) -> dict[int, str]:
    """Return each comment's anchored text (the runs between its range start and end), in document order."""
    from docx.oxml.ns import qn

    body = docx.Document(str(path)).element.body
    active, texts = [], {}
    for el in body.iter():
        if el.tag == qn("w:commentRangeStart"):
            active.append(int(el.get(qn("w:id"))))
            texts[active[-1]] = ""
        elif el.tag == qn("w:commentRangeEnd"):
            active.remove(int(el.get(qn("w:id"))))
        elif el.tag == qn("w:t"):
            for cid in active:
                texts[cid] += el.text or ""
    return texts


def test_annotated_docx_one_comment_per_finding_on_its_quote(weak_review, library, tmp_path):
    out = annotate_docx(CONTRACTS / "misleading_headings.docx", weak_review, tmp_path / "annotated.docx", library)
    document = docx.Document(str(out))
    comments = {c.comment_id: c.text for c in document.comments}
    found = [f for f in weak_review.findings if f.status != "missing" and f.evidence]
    assert len(comments) == 1 + len(found) and len(set(comments.values())) == len(comments)  # no duplicates
    titles = {sid: s.title for sid, s in library.safeguards.items()}
    summary = comments[min(comments)]
    missing_required = [f.safeguard for f in weak_review.findings if f.required and f.status == "missing"]
    assert missing_required and all(titles[sid] in summary for sid in missing_required)
    ids = set(SAFEGUARD_IDS) | {e.id for s in library.safeguards.values() for e in s.elements}
    for text in comments.values():  # in words: no safeguard or element ids
        assert not any(re.search(rf"\b{re.escape(i)}\b", text) for i in ids), text
    ranges = comment_ranges(out)
    for finding in found:
        cid = next(c for c, text in comments.items() if text.startswith(titles[finding.safeguard] + ":"))
        anchored = " ".join(ranges[cid].split())
        quote = " ".join(finding.evidence[0].text.split())
        assert anchored and anchored in quote, (finding.safeguard, anchored, quote)  # the quote, not more
        assert len(anchored) >= min(len(quote), 40) // 2
    # the text is untouched by splitting runs
    assert [p.text for p in docx.Document(str(CONTRACTS / "misleading_headings.docx")).paragraphs] == \
        [p.text for p in document.paragraphs]


def test_annotated_docx_anchors_a_one_sentence_quote_on_that_sentence(weak_review, library, tmp_path):
    sentence = "The Software stops processing camera streams when its Licence Key expires."
    paragraph = next(p.text for p in docx.Document(str(CONTRACTS / "misleading_headings.docx")).paragraphs
                     if sentence in p.text)
    assert paragraph != sentence  # the quote is one sentence of a longer paragraph
    review = copy.deepcopy(weak_review)
    finding = next(f for f in review.findings if f.status != "missing" and f.evidence)
    finding.evidence = [Evidence(sentence, 0, len(sentence), "")]
    out = annotate_docx(CONTRACTS / "misleading_headings.docx", review, tmp_path / "annotated.docx", library)
    anchored = [" ".join(text.split()) for text in comment_ranges(out).values()]
    assert sentence in anchored


def test_annotating_a_strict_ooxml_docx_is_a_clear_error(reseller_review, tmp_path):
    from clausegen.errors import IngestError

    strict = tmp_path / "strict.docx"
    with zipfile.ZipFile(CONTRACTS / "reseller_with_flowdown.docx") as src, zipfile.ZipFile(strict, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "word/document.xml":
                data = data.replace(b"http://schemas.openxmlformats.org/wordprocessingml/2006/main",
                                    b"http://purl.oclc.org/ooxml/wordprocessingml/main")
            dst.writestr(item, data)
    with pytest.raises(IngestError, match=r"strict\.docx: a Strict Open XML document cannot be annotated; save it"):
        annotate_docx(strict, reseller_review, tmp_path / "out.docx")


def rider_text(path) -> str:
    document = docx.Document(str(path))
    return "\n".join(p.text for p in document.paragraphs)


def test_rider_drafts_missing_required_safeguards(weak_review, library, tmp_path):
    from clausegen.reports.rider import write_rider

    out = tmp_path / "rider.docx"
    write_rider(weak_review, library, out, weak_review.parties)
    text = rider_text(out)
    gaps = [f.safeguard for f in weak_review.findings if f.required and f.status != "present"]
    assert gaps
    for sid in gaps:
        title = library.clauses[f"{sid}_standard"].title if f"{sid}_standard" in library.clauses else None
        assert title is None or title in text
    assert "prevail" in text.lower()


@pytest.mark.parametrize("parties, named, absent", [
    # the contract calls the supplier by its name: the name names the party, the rider keeps its role noun
    ({"supplier": "Juniper", "supplier_term": "Juniper", "recipient": "you", "recipient_term": "you"},
     ['Juniper (the "Supplier")', '[name of the recipient] (the "Customer")', "the Supplier", "the Customer"],
     ["the Juniper", "[name of the supplier]", "the you", "the You"]),
    # the contract's own role terms are kept; an unknown name is the one placeholder of its role
    ({"supplier": "Acme Vision Ltd", "supplier_term": "the Licensor", "recipient": "", "recipient_term": "Licensee"},
     ['Acme Vision Ltd (the "Licensor")', '[name of the recipient] (the "Licensee")', "the Licensee"],
     ["Supplier", "Customer"]),
    ({}, ['[name of the supplier] (the "Supplier")', '[name of the recipient] (the "Customer")'], []),
    # role nouns come from the lexicon ("Operator"), a term ending in one too ("Data Provider"); "Company" is a
    # role noun of either side, but only whole: "Acme Vision Company" is a name
    ({"supplier": "Acme Vision Company", "supplier_term": "the Company", "recipient": "City of Example",
      "recipient_term": "Operator"},
     ['Acme Vision Company (the "Company")', 'City of Example (the "Operator")', "the Operator"],
     ["Supplier", "Customer", "[name of the supplier]"]),
    ({"supplier": "Acme Ltd", "supplier_term": "the Data Provider", "recipient": "Beta Ltd",
      "recipient_term": "the Data Recipient"},
     ['Acme Ltd (the "Data Provider")', 'Beta Ltd (the "Data Recipient")'], ["Supplier", "Customer"]),
])
def test_rider_names_the_parties_as_the_contract_does(weak_review, library, tmp_path, parties, named, absent):
    from clausegen.reports.rider import PLACEHOLDER_PURPOSE, write_rider

    out = tmp_path / "rider.docx"
    write_rider(weak_review, library, out, parties)
    text = rider_text(out)
    for phrase in named:
        assert phrase in text, phrase
    for phrase in absent:
        assert phrase not in text, phrase
    if any(f.safeguard == "end_use" and f.required and f.status != "present" for f in weak_review.findings):
        assert PLACEHOLDER_PURPOSE in text  # never a clause's sample default
    assert "lawful security and safety operations" not in text


def test_rider_takes_the_authorised_purpose_from_the_profile(weak_review, library, tmp_path):
    from clausegen.profile import load_profile
    from clausegen.reports.rider import PLACEHOLDER_PURPOSE, write_rider

    from conftest import PROFILES

    profile = load_profile(PROFILES / "facial_recognition_police.yaml", library)
    review = copy.deepcopy(weak_review)
    for finding in review.findings:
        if finding.safeguard == "end_use":
            finding.required, finding.status = True, "missing"
    out = tmp_path / "rider.docx"
    write_rider(review, library, out, {}, profile)
    text = " ".join(rider_text(out).split())
    stated = " ".join(str(profile.end_use["stated"]).split()).rstrip(".")
    assert stated[1:] in text and PLACEHOLDER_PURPOSE not in text


# ---- the comments part and the text table (reviewer) ----
def test_annotated_docx_comments_part(reseller_review, tmp_path):
    out = annotate_docx(CONTRACTS / "reseller_with_flowdown.docx", reseller_review, tmp_path / "annotated.docx")
    package = zipfile.ZipFile(out)
    assert "word/comments.xml" in package.namelist()
    comments_xml = package.read("word/comments.xml").decode()
    for finding in reseller_review.findings:
        if finding.status != "missing" and finding.evidence:
            assert f"{finding.safeguard.replace('_', ' ').capitalize()}: " in comments_xml  # no library: plain words
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


# ---- the audit's tables (summary.csv, evidence.csv, summary.xlsx) ----

def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@pytest.mark.parametrize("kind", ["present", "partial", "missing", "required", "error", "header"])
def test_xlsx_colours_meet_wcag_aa(kind):
    from clausegen.reports.tables import XLSX_COLOURS

    light, dark = sorted(_luminance(c) for c in XLSX_COLOURS[kind])[::-1]
    assert (light + 0.05) / (dark + 0.05) >= 4.5, kind


def test_tables_error_rows_evidence_links_and_print_setup(reseller_review, library, tmp_path):
    import csv

    from openpyxl import load_workbook

    from clausegen.audit import error_review, library_info, row_counts
    from clausegen.audit.outputs import _AtomicFile
    from clausegen.reports.tables import CSV_COLUMNS, EVIDENCE_COLUMNS, write_tables

    good = reseller_review.to_dict()
    good["safeguards"][0]["evidence"][0]["page"] = 3  # the evidence-page convention: shown when present
    bad = error_review("=cmd|' /C calc'!A0.docx", "corrupt zip archive", {"end_use"})
    rows = [{"review": review, "path": f"/x/{review['document']}", "sha256": None, "duplicates": [],
             "counts": row_counts(review)} for review in (good, bad)]
    meta = {"folder": "/x", "generated": "now", "library": "lib", "tool": "tool", "required": "default"}
    info = library_info(library)
    paths = write_tables(tmp_path, rows, [], info, meta, _AtomicFile)
    assert [p.name for p in paths] == ["summary.csv", "evidence.csv", "summary.xlsx", "skipped.csv"]

    with open(tmp_path / "summary.csv", newline="", encoding="utf-8") as handle:
        summary = list(csv.DictReader(handle))
    assert summary[1]["document"].startswith("'=")  # a formula-like name is defused
    assert [summary[1][sid] for sid in SAFEGUARD_IDS] == ["error"] * len(SAFEGUARD_IDS)
    assert [summary[1][c] for c in ("present", "partial", "missing", "missing_required")] == ["0"] * 4
    assert summary[1]["error"] == "corrupt zip archive" and list(summary[0]) == CSV_COLUMNS

    with open(tmp_path / "evidence.csv", newline="", encoding="utf-8") as handle:
        evidence = list(csv.DictReader(handle))
    assert list(evidence[0]) == EVIDENCE_COLUMNS
    first = evidence[0]
    quote = good["safeguards"][0]["evidence"][0]
    assert (first["safeguard"], first["page"], first["clause"]) == ("end_use", "3", quote["section"])
    assert first["quote"] == " ".join(quote["text"].split())
    assert first["safeguard_title"] == library.safeguards["end_use"].title
    assert first["explanation"] == good["safeguards"][0]["explanation"]
    errors = [e for e in evidence if e["status"] == "error"]
    assert len(errors) == len(SAFEGUARD_IDS) and errors[0]["explanation"] == "not reviewed: corrupt zip archive"

    book = load_workbook(tmp_path / "summary.xlsx")
    contracts, sheet = book["Contracts"], book["Evidence"]
    assert contracts["C1"].value == library.safeguards["end_use"].title and contracts["C1"].alignment.wrap_text
    # each document links to its first evidence line
    for row in (2, 3):
        target = contracts.cell(row, 1).hyperlink.location
        assert target.startswith("Evidence!A")
        assert sheet[target.split("!")[1]].value == contracts.cell(row, 1).value
    assert sheet.cell(2, 6).value == 3  # the page column
    # landscape, one page wide, header row repeated, printing the columns up to the error reason
    for ws in (contracts, sheet):
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
        assert ws.page_setup.fitToHeight == 0 and ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.print_title_rows == "$1:$1"
    assert contracts.print_area == "'Contracts'!$A$1:$Q$3"
    assert contracts["Q1"].value == "Could not be reviewed because"
    assert contracts["Q3"].value == "corrupt zip archive" and contracts["C3"].value == "error"
    totals = {r[0]: r for r in book["Safeguards"].iter_rows(min_row=2, values_only=True)}
    assert totals["end_use"][6] == 1  # not reviewed, counted apart
    assert sum(totals["end_use"][2:5]) == 1  # the one reviewed document


@pytest.mark.parametrize("fmt", ["markdown", "html", "text"])
def test_review_formats_give_clause_page_and_warnings(reseller_review, fmt):
    review = copy.deepcopy(reseller_review)
    evidence = next(e for f in review.findings for e in f.evidence if e.section)
    evidence.page = 7  # the evidence-page convention (PDF and OCR'd sources)
    review.warnings = ["page 2 was read by OCR with low confidence"]  # the "what was read" convention
    out = render_review(review, fmt)
    assert "warning" in out.lower() and "page 2 was read by OCR with low confidence" in out
    if fmt != "text":
        assert f"clause {evidence.section}, page 7" in out
        assert "characters" not in out  # offsets stay in the JSON
