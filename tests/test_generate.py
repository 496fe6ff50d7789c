"""Generated documents: real Word numbering, the selected clauses in order, defined terms, cross-references,
page numbers, properties; firm templates; the memo; the reviewer's rider; LibreOffice; a golden text.

Regenerate the golden text after an intended change of the library or the writer:
    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_generate.py -k golden
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import shutil
import subprocess
from pathlib import Path

import docx
import pytest
from docx.shared import Pt

from clausegen.errors import ExportStopError, LibraryError, RenderError
from clausegen.gate import STOP_HEADER, fitting_kinds
from clausegen.generate import as_assessment, generate
from clausegen.memo import recommend, write_memo
from clausegen.library import Problems, load_documents
from clausegen.model import Finding, Review
from clausegen.render import paragraphs
from clausegen.risk import select_clauses

from conftest import GOLDEN, PROFILES, REPO, numbering_levels, outline, outline_text, package_problems, paragraph_numpr

SAMPLE_PROFILES = sorted(PROFILES.glob("*.yaml"))
TYPED_NUMBER = re.compile(r"^(\d+(\.\d+)*\.?|\([a-z]{1,4}\)|\([A-Z]\))\s")


# Every kind that fits each sample profile's counterparty (a reseller agreement only for a reseller).
FITS = {"analytics_distributor_unknown": ("reseller", "rider", "downstream-eula")}
CASES = [(p.stem, k) for p in SAMPLE_PROFILES for k in FITS.get(p.stem, ("eula", "master", "rider"))]
KINDS = ("eula", "master", "rider")  # the kinds of the police sample (a government agency)


@pytest.fixture(scope="module")
def drafts(tmp_path_factory, gen_library):
    """Generate every fitting kind for every sample profile once: (profile stem, kind) -> (summary, Document).
    Each generate() runs the draft checker and raises on any error, so this also checks every draft."""
    folder = tmp_path_factory.mktemp("drafts")
    result = {}
    for profile, kind in CASES:
        out = folder / f"{profile}_{kind}.docx"
        summary = generate(PROFILES / f"{profile}.yaml", gen_library, kind, out, override_stop="test of a stopped screen")
        result[(profile, kind)] = (summary, docx.Document(str(out)))
    return result


def test_fitting_kinds_follow_the_counterparty(gen_library):
    assert {p.stem: tuple(fitting_kinds(gen_library, as_assessment(p, gen_library).profile.counterparty["type"]))
            for p in SAMPLE_PROFILES} == {p.stem: FITS.get(p.stem, KINDS) for p in SAMPLE_PROFILES}


def test_the_docx_writer_is_a_package_of_small_files_without_import_circles():
    assert package_problems("writer") == []


@pytest.mark.parametrize("profile, kind", CASES)
def test_selected_clauses_appear_in_order_with_their_text(drafts, gen_library, profile, kind):
    summary, document = drafts[(profile, kind)]
    assessment = as_assessment(PROFILES / f"{profile}.yaml", gen_library)
    assert [c.id for c in summary.clauses] == [c.id for c, _ in select_clauses(assessment, gen_library, kind)]
    assert not [w for w in summary.warnings if "defined differently" in w]
    texts = [p.text for p in document.paragraphs]
    position = 0
    for clause in summary.clauses:
        expected = [clause.title] + [body for _, body in paragraphs(clause.text)]
        start = texts.index(clause.title, position)
        assert texts[start:start + len(expected)] == expected, clause.id
        position = start + len(expected)
        assert "{{" not in clause.text and "{%" not in clause.text


@pytest.mark.parametrize("profile, kind", CASES)
def test_numbering_is_real_word_numbering(drafts, profile, kind):
    summary, document = drafts[(profile, kind)]
    levels = numbering_levels(document)
    labels = {text: (label, style) for label, style, text in outline(document)}
    outline_ids = set()
    for clause in summary.clauses:
        label, style = labels[clause.title]
        assert style == "Heading 1"
        assert label == f"{clause.number}.", clause.id
    for para in document.paragraphs:
        assert not TYPED_NUMBER.match(para.text), f"typed number: {para.text[:40]}"
        if para.style.name in ("Heading 1", "Clause Text", "Clause Item"):
            numpr = paragraph_numpr(para)
            assert numpr is not None, para.text[:40]
            outline_ids.add(numpr[0])
            expected_level = {"Heading 1": 0, "Clause Text": 1, "Clause Item": 2}[para.style.name]
            assert numpr[1] == expected_level
    assert len(outline_ids) == 1
    (num_id,) = outline_ids
    assert levels[num_id][0] == ("decimal", "%1.")
    assert levels[num_id][1] == ("decimal", "%1.%2")
    assert levels[num_id][2] == ("lowerLetter", "(%3)")
    # Heading 1 is linked to the outline (level 0) in numbering.xml and in the style.
    heading = document.styles["Heading 1"]
    assert heading.element.pPr.numPr.numId.val == num_id


@pytest.mark.parametrize("profile, kind", CASES)
def test_defined_terms_are_bold_where_defined_and_used(drafts, profile, kind):
    summary, document = drafts[(profile, kind)]
    bold = {run.text for para in document.paragraphs for run in para.runs if run.bold}
    assert summary.definitions
    full = "\n".join(p.text for p in document.paragraphs)
    for term in summary.definitions + ["Party", "Parties"]:
        assert f'"{term}"' in bold, term
        uses = re.findall(r'(?<![\w"])' + re.escape(term) + r'(?![\w"])', full)
        assert uses, f"{term} is defined but never used"
    definition_paras = [p for p in document.paragraphs if p.style.name == "Definition"]
    assert [p.text.split('"')[1] for p in definition_paras] == summary.definitions
    assert summary.definitions == sorted(summary.definitions, key=str.lower)


@pytest.mark.parametrize("profile, kind", CASES)
def test_cross_references_name_existing_clauses(drafts, profile, kind):
    summary, document = drafts[(profile, kind)]
    full = "\n".join(p.text for p in document.paragraphs)
    numbers = set(summary.numbers.values())
    for match in re.finditer(r"\bClause (\d+)\b", full):
        assert int(match.group(1)) in numbers, match.group(0)
    by_safeguard = {}
    for clause in summary.clauses:
        by_safeguard.setdefault(clause.provides[0], clause.number)
    for clause in summary.clauses:
        for target in re.findall(r"ref\('([a-z_]+)'\)", _clause_source(clause.id)):
            if target in by_safeguard:
                assert f"Clause {by_safeguard[target]}" in clause.text, (clause.id, target)
    if "suspension_termination" in by_safeguard and kind != "rider":
        assert f"under Clause {by_safeguard['suspension_termination']}" in full  # the commercial Term article
    if kind == "rider":
        assert re.search(r"Clause \d+ of this Rider", full) or not summary.clauses


def _clause_source(clause_id: str) -> str:
    return (REPO / "clause_library" / "clauses" / clause_id / "text.j2").read_text(encoding="utf-8")


@pytest.mark.parametrize("kind", KINDS)
def test_footer_page_fields_and_core_properties(drafts, kind):
    summary, document = drafts[("facial_recognition_police", kind)]
    footer = document.sections[0].footer._element.xml
    assert re.search(r"<w:instrText[^>]*> PAGE </w:instrText>", footer)
    assert re.search(r"<w:instrText[^>]*> NUMPAGES </w:instrText>", footer)
    props = document.core_properties
    assert props.title == summary.title
    assert props.author == "Northwind Vision Systems, Inc."
    assert "Northwind Sentinel Face" in props.subject
    assert props.category == kind
    assert document.styles["Normal"].font.size == Pt(11)


@pytest.mark.parametrize("kind", KINDS)
def test_commercial_provisions_and_structure(drafts, kind):
    summary, document = drafts[("facial_recognition_police", kind)]
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings[0].startswith("Definitions")
    titles = [c.title for c in summary.clauses]
    assert headings[1:1 + len(titles)] == titles or set(titles) <= set(headings)
    if kind == "rider":
        full = "\n".join(p.text for p in document.paragraphs)
        assert "In the event of any conflict between this Rider and the Agreement, this Rider prevails." in full
        assert "[title of the agreement] dated [date]" in full
    else:
        for needed in ("Term and Termination", "Limitation of Liability", "Governing Law and Disputes", "Notices",
                       "Warranties and Disclaimer", "General", "Indemnity", "Anti-Corruption", "Force Majeure"):
            assert needed in headings, needed
        full = "\n".join(p.text for p in document.paragraphs)
        assert "entire agreement" in full and "[●]" in full and "the law of the State of New York" in full
    signature = [p for p in document.paragraphs if p.style.name == "Part Heading" and p.text == "Signatures"]
    assert signature and signature[0].paragraph_format.page_break_before
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert "Northwind Vision Systems, Inc." in "\n".join(cells)


def test_role_terms_follow_profile_then_kind(tmp_path, gen_library):
    summary = generate(PROFILES / "sanctioned_destination.yaml", gen_library, "eula", tmp_path / "e.docx",
                       override_stop="role-term test")
    text = "\n".join(p.text for p in docx.Document(str(tmp_path / "e.docx")).paragraphs)
    assert '(the "Licensee")' in text and '(the "Licensor")' in text  # no role_term in the profile: EULA defaults
    assert summary.warnings and summary.warnings[0].startswith("export screen stopped")
    generate(PROFILES / "analytics_distributor_unknown.yaml", gen_library, "reseller", tmp_path / "r.docx")
    text = "\n".join(p.text for p in docx.Document(str(tmp_path / "r.docx")).paragraphs)
    assert '(the "Distributor")' in text and '(the "Company")' in text


# ------------------------------------------------------------------------------------------------ golden


def test_golden_text_of_sample_eula(tmp_path, gen_library):
    out = tmp_path / "golden.docx"
    generate(PROFILES / "facial_recognition_police.yaml", gen_library, "eula", out)
    actual = outline_text(docx.Document(str(out)))
    path = GOLDEN / "facial_recognition_police_eula.txt"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.is_file(), f"{path} is missing: run UPDATE_GOLDEN=1 pytest tests/test_generate.py -k golden"
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(list(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                                 "golden", "generated"))[:80])
        pytest.fail("generated EULA differs from the golden text; if the change is intended, regenerate with "
                    f"UPDATE_GOLDEN=1 pytest tests/test_generate.py -k golden\n{diff}")


# ------------------------------------------------------------------------------------------------ firm template


def firm_template(path: Path, placeholder: bool) -> Path:
    """Write a firm's template: header, footer, a custom style, and (optionally) the {{CLAUSEGEN}} paragraph."""
    document = docx.Document()
    style = document.styles.add_style("Firm Body", 1)
    style.font.name = "Arial"
    style.font.size = Pt(10)
    document.sections[0].header.paragraphs[0].text = "SMITH & PARTNERS LLP - PRIVILEGED DRAFT"
    document.sections[0].footer.paragraphs[0].text = "Smith & Partners document 4711"
    document.add_paragraph("Cover note from the firm.", style="Firm Body")
    if placeholder:
        document.add_paragraph("{{CLAUSEGEN}}")
    document.add_paragraph("Closing text of the firm.", style="Firm Body")
    document.save(str(path))
    return path


def test_firm_template_placeholder_is_replaced(tmp_path, gen_library):
    template = firm_template(tmp_path / "FIRM.docx", placeholder=True)
    out = tmp_path / "out.docx"
    summary = generate(PROFILES / "dpi_state_telecom.yaml", gen_library, "master", out, template=template)
    assert summary.placement == "placeholder"
    document = docx.Document(str(out))
    texts = [p.text for p in document.paragraphs]
    assert "{{CLAUSEGEN}}" not in texts
    assert texts[0] == "Cover note from the firm." and texts[-1] == "Closing text of the firm."
    assert document.sections[0].header.paragraphs[0].text == "SMITH & PARTNERS LLP - PRIVILEGED DRAFT"
    assert document.sections[0].footer.paragraphs[0].text == "Smith & Partners document 4711"
    assert document.styles["Firm Body"].font.name == "Arial"
    assert document.paragraphs[0].style.name == "Firm Body"
    labels = {text: label for label, _, text in outline(document)}
    for clause in summary.clauses:
        assert labels[clause.title] == f"{clause.number}."
        assert all(body in texts for _, body in paragraphs(clause.text))
    assert document.paragraphs[texts.index(summary.clauses[0].title)].style.name == "Heading 1"
    bookmarks, fields = cross_reference_fields(out)
    assert fields and all(name in bookmarks for name, _ in fields)


def test_firm_template_without_placeholder_gets_a_schedule(tmp_path, gen_library):
    template = firm_template(tmp_path / "FIRM.docx", placeholder=False)
    out = tmp_path / "out.docx"
    summary = generate(PROFILES / "dpi_state_telecom.yaml", gen_library, "master", out, template=template)
    assert summary.placement == "schedule"
    document = docx.Document(str(out))
    texts = [p.text for p in document.paragraphs]
    assert texts[:2] == ["Cover note from the firm.", "Closing text of the firm."]
    schedule_title = texts.index("Schedule: Human-Rights Safeguards")
    assert document.paragraphs[schedule_title].paragraph_format.page_break_before
    assert document.sections[0].header.paragraphs[0].text == "SMITH & PARTNERS LLP - PRIVILEGED DRAFT"
    labels = {text: label for label, _, text in outline(document)}
    assert [labels[c.title] for c in summary.clauses] == [f"{n}." for n in range(2, 2 + len(summary.clauses))]
    full = "\n".join(texts)
    assert re.search(r"paragraph \d+ of this Schedule", full)
    assert "In the event of any conflict between this Schedule and any other provision of this Agreement" in full
    bookmarks, fields = cross_reference_fields(out)
    assert fields and all(name in bookmarks for name, _ in fields)


def test_bad_template_is_a_clear_error(tmp_path, gen_library):
    bogus = tmp_path / "FIRM.docx"
    bogus.write_text("not a zip", encoding="utf-8")
    with pytest.raises(RenderError, match="not a Word .docx template"):
        generate(PROFILES / "dpi_state_telecom.yaml", gen_library, "eula", tmp_path / "o.docx", template=bogus)


# ------------------------------------------------------------------------------------------------ memo


def test_memo_records_the_assessment(tmp_path, gen_library):
    assessment = as_assessment(PROFILES / "facial_recognition_police.yaml", gen_library)
    selections = {kind: select_clauses(assessment, gen_library, kind) for kind in ("eula", "rider")}
    out = write_memo(assessment, gen_library, tmp_path / "memo.docx", selections)
    document = docx.Document(str(out))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    for title in ("Summary", "The Transaction", "Red Flags", "Risk Level", "Open Questions", "Safeguards Chosen",
                  "Sign-Off"):
        assert title in headings
    cells = "\n".join(c.text for t in document.tables for row in t.rows for c in row.cells).replace("\u200b", "")
    body = "\n".join(p.text for p in document.paragraphs)
    for flag in assessment.flags:
        assert flag.id in cells and flag.source in cells
    for question in assessment.open_questions:
        assert question in body
    for reason in assessment.level_reasons:
        assert reason in body
    for clause, _ in selections["eula"]:
        assert clause.id in cells
    assert "step 6: contractual and procedural safeguards before sale" in body
    for role in ("Prepared by", "Reviewed by (Legal)", "Approved by (Compliance)"):
        assert role in cells
    assert document.core_properties.title.startswith("Human-Rights Due-Diligence Memorandum")
    assert re.search(r"> PAGE <", document.sections[0].footer._element.xml)
    assert all(paragraph_numpr(p) for p in document.paragraphs if p.style.name == "Heading 1")


# ------------------------------------------------------------------------------------------------ reviewer's rider


def test_reviewer_rider_drafts_the_gaps_with_the_contract_parties(tmp_path, gen_library):
    from clausegen.reports.rider import write_rider

    review = Review("contracts/acme_eula.docx", "eula", [
        Finding("end_use", "partial", 0.4, required=True, missing_elements=["legitimate_purpose"]),
        Finding("export_control", "present", 0.9, required=True),
        Finding("audit_rights", "missing", 0.0, required=True),
        Finding("human_rights", "missing", 0.0, required=False),
    ])
    parties = {"supplier": "Acme Analytics GmbH", "recipient": "Licensee", "supplier_term": "Licensor",
               "recipient_term": "the Licensee"}
    summary = write_rider(review, gen_library, tmp_path / "rider.docx", parties)
    provided = [c.provides[0] for c in summary.clauses]
    assert provided == ["end_use", "audit_rights"]
    assert all(gen_library.clauses[c.id].strictness == "standard" for c in summary.clauses)
    document = docx.Document(str(tmp_path / "rider.docx"))
    full = "\n".join(p.text for p in document.paragraphs)
    assert "In the event of any conflict between this Rider and the Agreement, this Rider prevails." in full
    assert 'Acme Analytics GmbH (the "Licensor")' in full
    assert '[name of the recipient] (the "Licensee")' in full
    assert "The Licensee shall" in full
    assert "Export" not in "\n".join(c.title for c in summary.clauses)
    assert "partial in acme_eula.docx" in summary.clauses[0].reasons[0]
    labels = {text: label for label, _, text in outline(document)}
    assert [labels[c.title] for c in summary.clauses] == [f"{c.number}." for c in summary.clauses]


def test_reviewer_rider_defaults_for_unknown_parties(tmp_path, gen_library):
    from clausegen.reports.rider import write_rider

    review = Review("x.txt", "unknown", [Finding("end_use", "missing", 0.0, required=True)],
                    parties={"supplier": "we", "recipient": "you", "supplier_term": "we", "recipient_term": "you"})
    write_rider(review, gen_library, tmp_path / "rider.docx")
    full = "\n".join(p.text for p in docx.Document(str(tmp_path / "rider.docx")).paragraphs)
    assert '[name of the supplier] (the "Supplier")' in full and '(the "Customer")' in full


# ------------------------------------------------------------------------------------------------ library


def test_document_templates_validate(gen_library):
    problems = Problems(Path(gen_library.root))
    documents = load_documents(Path(gen_library.root), gen_library.clauses, problems)
    assert problems.lines == []
    assert set(documents) == {"eula", "reseller", "master", "rider", "downstream-eula", "schedule", "memo"}


def test_broken_document_template_is_reported(tmp_path, gen_library):
    root = tmp_path / "lib"
    shutil.copytree(gen_library.root, root)
    eula = root / "documents" / "eula.yaml"
    text = eula.read_text(encoding="utf-8")
    text = text.replace("title: End-User Licence Agreement", "titel: End-User Licence Agreement", 1)
    text = text.replace("{{ warranty_days }} days after delivery", "{{ waranty_days }} days after delivery", 1)
    text = text.replace("under {{ ref('suspension_termination') }}", "under {{ ref('suspension') }}", 1)
    eula.write_text(text, encoding="utf-8")
    (root / "documents" / "memo.yaml").unlink()
    problems = Problems(root)
    load_documents(root, gen_library.clauses, problems)
    lines = problems.lines
    assert "documents/eula.yaml -> titel: unknown field (did you mean 'title'?)" in lines
    assert "documents/eula.yaml -> title: missing" in lines
    assert any(line.startswith("documents/eula.yaml -> articles.warranties.text: template variable 'waranty_days'")
               for line in lines), lines
    assert "documents/eula.yaml -> variables.warranty_days: declared but never used" in lines
    assert any(line.startswith("documents/eula.yaml -> articles.term.text: ref('suspension') names no article")
               for line in lines), lines
    assert "documents/memo.yaml: missing file" in lines
    with pytest.raises(LibraryError, match="memo.yaml: missing file"):
        generate(PROFILES / "dpi_state_telecom.yaml", dataclasses.replace(gen_library, root=str(root)), "eula",
                 tmp_path / "o.docx")


# ------------------------------------------------------------------------------------------------ LibreOffice


@pytest.mark.skipif(shutil.which("soffice") is None,
                    reason="LibreOffice (soffice) is not installed: apt-get install libreoffice-writer-nogui")
def test_libreoffice_renders_every_kind(tmp_path, gen_library):
    from pdfminer.high_level import extract_text
    from pdfminer.layout import LAParams

    summaries = {}
    for kind in KINDS:
        summaries[kind] = generate(PROFILES / "facial_recognition_police.yaml", gen_library, kind,
                                   tmp_path / f"{kind}.docx")
    memo = write_memo(as_assessment(PROFILES / "facial_recognition_police.yaml", gen_library), gen_library,
                      tmp_path / "memo.docx")
    profile_dir = tmp_path / "lo-profile"
    subprocess.run(
        ["soffice", f"-env:UserInstallation={profile_dir.as_uri()}", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path)] + [str(tmp_path / f"{k}.docx") for k in KINDS] + [str(memo)],
        check=True, capture_output=True, timeout=240)
    for kind, summary in summaries.items():
        pdf = tmp_path / f"{kind}.pdf"
        assert pdf.is_file(), f"LibreOffice did not convert {kind}"
        # A wide char_margin keeps the number (before a tab) on the line of its heading.
        text = re.sub(r"\s+", " ", extract_text(str(pdf), laparams=LAParams(char_margin=30))).lower()
        for clause in summary.clauses:
            heading = re.escape(f"{clause.number}.") + r"\s*" + re.escape(clause.title.lower())
            assert re.search(heading, text), f"{kind}: heading '{clause.number}. {clause.title}' not in the PDF"
        assert "page 1 of" in text
    assert (tmp_path / "memo.pdf").is_file()


# ------------------------------------------------------------------------------------------------ cross-references

W_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
REF_INSTRUCTION = re.compile(r"^\s*REF (_RefClausegen(\d+)) \\w \\h\s*$")


def cross_reference_fields(path) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Return the bookmarks (name -> text of the paragraph holding them) and the REF fields (bookmark, cached
    result) of a DOCX body."""
    body = docx.Document(str(path)).element.body
    bookmarks = {}
    for start in body.iter(f"{W_NS}bookmarkStart"):
        paragraph = start.getparent()
        bookmarks[start.get(f"{W_NS}name")] = "".join(t.text or "" for t in paragraph.iter(f"{W_NS}t"))
    fields = []
    for instr in body.iter(f"{W_NS}instrText"):
        match = REF_INSTRUCTION.match(instr.text or "")
        if not match:
            continue
        run = instr.getparent().getnext()  # the "separate" run, then the cached result
        result = run.getnext()
        fields.append((match.group(1), "".join(t.text or "" for t in result.iter(f"{W_NS}t"))))
    return bookmarks, fields


@pytest.mark.parametrize("kind", KINDS)
def test_cross_references_are_ref_fields_to_bookmarked_articles(tmp_path, gen_library, kind):
    summary = generate(PROFILES / "facial_recognition_police.yaml", gen_library, kind, tmp_path / "out.docx")
    bookmarks, fields = cross_reference_fields(tmp_path / "out.docx")
    titles = {c.number: c.title for c in summary.clauses}
    assert fields, "no cross-reference field"
    for name, cached in fields:
        assert name in bookmarks, f"REF to a missing bookmark {name}"
        number = int(name.removeprefix("_RefClausegen"))
        assert cached == str(number)
        if number in titles:  # the bookmark sits on that article's heading
            assert bookmarks[name] == titles[number]
    text = "\n".join(p.text for p in docx.Document(str(tmp_path / "out.docx")).paragraphs)
    assert "\ue000" not in text and "\ue001" not in text


@pytest.mark.skipif(shutil.which("soffice") is None,
                    reason="LibreOffice (soffice) is not installed: apt-get install libreoffice-writer-nogui")
def test_libreoffice_recomputes_cross_references_from_the_bookmarks(tmp_path, gen_library):
    """Poison every cached REF result with "99": the PDF LibreOffice renders still names the right clauses."""
    import zipfile

    from pdfminer.high_level import extract_text

    generate(PROFILES / "facial_recognition_police.yaml", gen_library, "eula", tmp_path / "eula.docx")
    _, fields = cross_reference_fields(tmp_path / "eula.docx")
    expected = {f"Clause {cached}" for _, cached in fields}
    source = zipfile.ZipFile(tmp_path / "eula.docx")
    xml = source.read("word/document.xml").decode("utf-8")
    poisoned, count = re.subn(r'(\\w \\h </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r>'
                              r"<w:r>(?:<w:rPr>.*?</w:rPr>)?<w:t>)\d+(</w:t>)", r"\g<1>99\2", xml)
    assert count == len(fields)
    with zipfile.ZipFile(tmp_path / "poisoned.docx", "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            out.writestr(info, poisoned if info.filename == "word/document.xml" else source.read(info))
    subprocess.run(["soffice", f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}", "--headless", "--convert-to",
                    "pdf", "--outdir", str(tmp_path), str(tmp_path / "poisoned.docx")],
                   check=True, capture_output=True, timeout=240)
    text = re.sub(r"\s+", " ", extract_text(str(tmp_path / "poisoned.pdf")))
    assert "Clause 99" not in text
    assert expected <= set(re.findall(r"Clause \d+", text))


# ------------------------------------------------------------------------------------------------ the export gate


def full_text(path) -> str:
    """Return the paragraphs and table cells of a DOCX as one text."""
    document = docx.Document(str(path))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_a_stop_refuses_without_the_override(tmp_path, gen_library):
    out = tmp_path / "eula.docx"
    with pytest.raises(ExportStopError, match=r"export screen stopped: IR: Comprehensively sanctioned"):
        generate(PROFILES / "sanctioned_destination.yaml", gen_library, "eula", out)
    assert not out.exists()


@pytest.mark.parametrize("kind", KINDS)
def test_an_override_marks_every_page_the_properties_and_the_memo(tmp_path, gen_library, kind):
    reason = "General counsel asked for a draft to brief OFAC counsel"
    out = tmp_path / f"{kind}.docx"
    generate(PROFILES / "sanctioned_destination.yaml", gen_library, kind, out, override_stop=reason)
    document = docx.Document(str(out))
    assert all(section.header.paragraphs[0].text == STOP_HEADER for section in document.sections)
    props = document.core_properties
    assert props.title.startswith(STOP_HEADER) and STOP_HEADER in props.keywords
    assert f"Override reason: {reason}" in props.comments
    text = full_text(out)
    # No recital that diligence was done, no "may be required", no representation that cannot be true.
    assert "The export-control screen of this transaction has not cleared" in text
    assert "in line with the U.S. Department of State" not in text
    assert "may require a licence" not in text and "represents and warrants that neither" not in text
    if "Export Authorisation" in text:
        assert "is prohibited unless a licence or other authorisation" in text
    assessment = as_assessment(PROFILES / "sanctioned_destination.yaml", gen_library)
    memo = write_memo(assessment, gen_library, tmp_path / "memo.docx", override_stop=reason)
    memo_text = full_text(memo)
    assert f'for this reason: "{reason}"' in memo_text and f"Reason: {reason}" in memo_text
    assert reason in docx.Document(str(memo)).core_properties.comments
    assert "Recommended: decline." in memo_text


def test_cli_refuses_a_stop_with_one_line_and_exit_1(tmp_path):
    done = subprocess.run([os.sys.executable, "-m", "clausegen", "generate", str(PROFILES / "sanctioned_destination.yaml"),
                           "--kind", "eula", "-o", str(tmp_path / "e.docx")], capture_output=True, text=True,
                          cwd=REPO, timeout=300)
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "export screen stopped: IR: Comprehensively sanctioned" in lines[0]
    assert not (tmp_path / "e.docx").exists()


def test_a_kind_that_does_not_fit_the_counterparty_is_refused(tmp_path, gen_library):
    with pytest.raises(RenderError, match=r"--kind reseller does not fit a counterparty of type government_agency"):
        generate(PROFILES / "facial_recognition_police.yaml", gen_library, "reseller", tmp_path / "r.docx")


# ------------------------------------------------------------------------------------------------ role fit


def test_reseller_agreement_is_built_around_resale_and_flow_down(drafts):
    summary, _ = drafts[("analytics_distributor_unknown", "reseller")]
    text = "\n".join(p.text for p in drafts[("analytics_distributor_unknown", "reseller")][1].paragraphs)
    assert summary.title == "Distribution Agreement"
    assert "appoints the Distributor as its non-exclusive distributor of the Product to Downstream Customers" in text
    assert "Reseller" not in text.replace("Reseller Due Diligence", "")  # a Distributor draft says Distributor
    ids = [c.id for c in summary.clauses]
    assert "end_use_resale" in ids and "transfer_restriction_resale" in ids
    assert not [i for i in ids if i.startswith(("data_handling", "access_control", "end_use_st", "transfer_restriction_st"))]
    assert "may resell the Product only as this Agreement permits" in text
    assert "model end-user licence terms for the Product" in text  # flow-down to the downstream licence
    assert "the sites identified in the order" not in text.lower()


def test_downstream_eula_is_the_licence_the_reseller_imposes(drafts):
    summary, document = drafts[("analytics_distributor_unknown", "downstream-eula")]
    text = "\n".join(p.text for p in document.paragraphs)
    assert summary.title == "End-User Licence Terms"
    assert "Gulfline Technology Distribution FZ-LLC" in text and "[name of the end user]" in text
    assert "Quarry Analytics Inc. (the \"Manufacturer\")" in text
    assert "directly against the Licensee as a third-party beneficiary" in text
    provided = {sid for c in summary.clauses for sid in c.provides}
    assert {"data_handling", "access_control", "end_use", "misuse_reporting"} <= provided


def test_cli_writes_the_downstream_licence_in_the_same_run(tmp_path):
    done = subprocess.run([os.sys.executable, "-m", "clausegen", "generate",
                           str(PROFILES / "analytics_distributor_unknown.yaml"), "--kind", "reseller",
                           "-o", str(tmp_path / "r.docx"), "--with-downstream", str(tmp_path / "d.docx"),
                           "--memo", str(tmp_path / "m.docx")], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr
    assert docx.Document(str(tmp_path / "d.docx")).core_properties.category == "downstream-eula"
    assert "downstream-eula" in full_text(tmp_path / "m.docx")


# ------------------------------------------------------------------------------------------------ profile fit


def test_drafts_follow_the_profile(drafts):
    """On premises: no hosted-only clause; a facial-recognition product is not barred from facial recognition;
    local law compelling access: no promise to keep authorities out."""
    police = "\n".join(p.text for p in drafts[("facial_recognition_police", "eula")][1].paragraphs)
    assert "only as a service hosted on infrastructure controlled by" not in police
    assert "shall install the Product only at the locations notified" in police
    assert not re.search(r"add[^.]{0,300}facial recognition", police)
    dpi = "\n".join(p.text for p in drafts[("dpi_state_telecom", "master")][1].paragraphs)
    assert "this Clause cannot prevent access that the law compels" in dpi
    assert "shall not give any authority direct, standing or bulk access" not in dpi
    assert "including any government authority." not in dpi


# ------------------------------------------------------------------------------------------------ commercial terms


@pytest.mark.parametrize("profile, kind, government, renews", [
    ("facial_recognition_police", "eula", True, False),
    ("dpi_state_telecom", "master", True, False),
    ("thermal_camera_hospital", "eula", False, True),
    ("body_cameras_municipal", "master", True, True),
])
def test_commercial_completeness(drafts, profile, kind, government, renews):
    summary, document = drafts[(profile, kind)]
    text = "\n".join(p.text for p in document.paragraphs)
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert {"Indemnity", "Anti-Corruption", "Force Majeure"} <= set(headings)
    assert "Foreign Corrupt Practices Act" in text and "UK Bribery Act 2010" in text
    assert "United Nations Convention on Contracts for the International Sale of Goods (1980) does not apply" in text
    assert ("irrevocably waives any immunity" in text) is government
    assert ("seated in [London, England]" in text) is government
    assert ("exclusive jurisdiction of [the courts of ●]" in text) is not government
    assert ("It does not renew automatically" in text) is not renews
    assert ("successive renewal periods" in text) is renews
    numbers = sorted(c.number for c in summary.clauses)
    span = f"Clauses {numbers[0]} to {numbers[-1]}"
    assert f"breach of any of {span} (the safeguard clauses, including those on end use, export control and data handling)" in text
    assert f"including {span} (the safeguard clauses)" in text  # survival


# ------------------------------------------------------------------------------------------------ the memo's decision


def test_memo_analyses_residual_risk_and_recommends(tmp_path, gen_library):
    assessment = as_assessment(PROFILES / "dpi_state_telecom.yaml", gen_library)
    memo = write_memo(assessment, gen_library, tmp_path / "memo.docx")
    document = docx.Document(str(memo))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    for title in ("Export-Control Screen and Classification", "Product Tailoring", "Residual Risk", "Recommendation",
                  "Sources Consulted", "Sign-Off"):
        assert title in headings
    rows = {row.cells[0].text.replace("\u200b", "").split(":")[0]: [c.text for c in row.cells]
            for t in document.tables for row in t.rows if len(row.cells) == 4}
    assert rows["law.access_without_safeguards"][3].startswith("Cannot be mitigated by contract")
    assert "Government Access and Onward Transfer of Data" in rows["law.data_localization"][2]
    text = full_text(memo)
    assert "the recommendation is to proceed with conditions, for these reasons" in text
    assert "Recommended: proceed with conditions." in text
    assert "export control: classification: the product's ECCN (or EAR99) is not determined" in text
    assert "Telecom law grants security agencies direct network access without warrant." in text  # a source
    assert recommend(assessment, gen_library).choice == "proceed with conditions"


def test_memo_states_misuse_reports_only_from_answered_sources(tmp_path, gen_library):
    assessment = as_assessment(PROFILES / "dpi_state_telecom.yaml", gen_library)
    text = full_text(write_memo(assessment, gen_library, tmp_path / "memo.docx"))
    assert "There are reports that a similar product" not in text
    assert "To be confirmed (raised by capability, no report cited): there are reports that a similar product" in text
    police = as_assessment(PROFILES / "facial_recognition_police.yaml", gen_library)
    text = full_text(write_memo(police, gen_library, tmp_path / "police.docx"))
    assert "There are reports that the end user has misused products with similar capabilities." in text  # answered
    assert "Human-rights NGO report, 2024" in text
    assert "Watch-list matching only" in text  # tailoring (step 5)
    assert recommend(police, gen_library).choice == "decline"
