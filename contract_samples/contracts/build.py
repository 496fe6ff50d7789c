#!/usr/bin/env python3
"""Build the DOCX (and PDF) test inputs from the plain-text sample contracts.

The .txt files are the sources: one paragraph per line, with typed numbers. This script parses the typed
numbers and emits them as real Word automatic numbering (a numbering.xml multi-level list):

    level 0  "1."    article headings, style Heading 1          typed as  "3. EXPORT CONTROL"
    level 1  "1.1"   clauses, style Normal                      typed as  "3.2 The Licensee shall ..."
    level 2  "(a)"   sub-clauses, style Normal                  typed as  "(a) to surveil ..."

Recitals typed "A." / "(A)" become an upper-letter list; unnumbered section headings (RECITALS, BACKGROUND,
SCHEDULE ..., ANNEX ...) become Heading 2 and restart the article numbering for what follows; the first line
becomes the Title. The typed numbers are checked while parsing (an article must follow the previous one, a
clause must belong to the current article, sub-clause letters must run a, b, c ...), so the generated
numbering always renders exactly the numbers of the text.

Usage (from the repository root or this folder; needs python-docx; PDFs need LibreOffice's soffice):
    .venv/bin/python contract_samples/contracts/build.py            # the default DOCX and PDF sets below
    .venv/bin/python contract_samples/contracts/build.py NAME ...    # DOCX for NAME.txt (add --pdf for PDFs)
    .venv/bin/python contract_samples/contracts/build.py --check     # also verify every evidence quote
                                                                     # of NAME.expected.json is in each output
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent

# The samples that are also committed as DOCX, and the subset also committed as PDF.
DOCX_SET = [
    "strong_integrator_all_present",
    "reseller_with_flowdown",
    "misleading_headings",
    "carveouts_negations",
    "internal_use_cure_period",
]
PDF_SET = [
    "strong_integrator_all_present",
    "misleading_headings",
    "carveouts_negations",
]

# ----------------------------------------------------------------------------------------------- parsing

RE_ARTICLE = re.compile(r"^(?:(?:ARTICLE|Article|SECTION|Section|CLAUSE|Clause)\s+)?(\d+)(?:\.|\s+-)\s+(\S.*)$")
RE_CLAUSE = re.compile(r"^(\d+)\.(\d+)\.?\s+(\S.*)$")
RE_ITEM = re.compile(r"^\(([a-z])\)\s+(\S.*)$")
RE_RECITAL = re.compile(r"^(?:\(([A-Z])\)|([A-Z])\.)\s+(\S.*)$")
RE_SECTION = re.compile(r"^(RECITALS|BACKGROUND|PREAMBLE|WHEREAS:?|(?:SCHEDULE|ANNEX|EXHIBIT|APPENDIX)\b.*)$", re.I)
RE_SUBTITLE = re.compile(r"^\(.*\)$")


@dataclass
class Block:
    kind: str          # title | subtitle | section | article | clause | item | recital | para
    text: str
    number: str = ""   # the typed number, for error messages


class NumberingError(ValueError):
    pass


def _is_article_heading(rest: str) -> bool:
    """'3. EXPORT CONTROL' is a heading; '1. HELIOGRAPH LIMITED, incorporated ...' is a party paragraph."""
    return len(rest) <= 70 and not rest.rstrip().endswith((".", ";", ",")) or rest.isupper() and len(rest) <= 70


def parse(text: str, name: str = "<text>") -> list[Block]:
    lines = [ln.strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln]
    if not lines:
        raise NumberingError(f"{name}: empty document")
    blocks = [Block("title", lines[0])]
    i = 1
    if len(lines) > 1 and RE_SUBTITLE.match(lines[1]):
        blocks.append(Block("subtitle", lines[1]))
        i = 2
    article = 0          # current article number (0 before the first)
    clause = 0           # current clause number within the article
    letter = ""          # last sub-clause letter within the clause
    recital = ""         # last recital letter
    in_recitals = False
    for ln in lines[i:]:
        m = RE_CLAUSE.match(ln)
        if m and article:
            a, c = int(m.group(1)), int(m.group(2))
            if a != article or c != clause + 1:
                raise NumberingError(f"{name}: clause {a}.{c} follows {article}.{clause}")
            clause, letter = c, ""
            blocks.append(Block("clause", m.group(3), f"{a}.{c}"))
            continue
        m = RE_ARTICLE.match(ln)
        if m and _is_article_heading(m.group(2)):
            a = int(m.group(1))
            if a != article + 1:
                raise NumberingError(f"{name}: article {a} follows article {article}")
            article, clause, letter, in_recitals = a, 0, "", False
            blocks.append(Block("article", m.group(2), str(a)))
            continue
        m = RE_ITEM.match(ln)
        if m and article:
            expected = chr(ord(letter) + 1) if letter else "a"
            if m.group(1) != expected:
                raise NumberingError(f"{name}: sub-clause ({m.group(1)}) where ({expected}) was expected "
                                     f"in {article}.{clause}")
            letter = m.group(1)
            blocks.append(Block("item", m.group(2), f"({letter})"))
            continue
        if RE_SECTION.match(ln) and len(ln) <= 80:
            in_recitals = not article and ln.upper().rstrip(":") in ("RECITALS", "BACKGROUND", "PREAMBLE", "WHEREAS")
            recital = ""
            if article:          # a schedule after the articles: numbering restarts there
                article, clause, letter = 0, 0, ""
            blocks.append(Block("section", ln))
            continue
        m = RE_RECITAL.match(ln)
        if m and in_recitals:
            got = m.group(1) or m.group(2)
            expected = chr(ord(recital) + 1) if recital else "A"
            if got != expected:
                raise NumberingError(f"{name}: recital {got} where {expected} was expected")
            recital = got
            blocks.append(Block("recital", m.group(3), got))
            continue
        blocks.append(Block("para", ln))
    return blocks


# ----------------------------------------------------------------------------------------------- DOCX

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

ARTICLE_ABSTRACT = f"""
<w:abstractNum xmlns:w="{W_NS}" w:abstractNumId="{{aid}}">
  <w:multiLevelType w:val="multilevel"/>
  <w:lvl w:ilvl="0">
    <w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/><w:lvlJc w:val="left"/>
    <w:pPr><w:ind w:left="567" w:hanging="567"/></w:pPr>
  </w:lvl>
  <w:lvl w:ilvl="1">
    <w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1.%2"/><w:lvlJc w:val="left"/>
    <w:pPr><w:ind w:left="567" w:hanging="567"/></w:pPr>
  </w:lvl>
  <w:lvl w:ilvl="2">
    <w:start w:val="1"/><w:numFmt w:val="lowerLetter"/><w:lvlText w:val="(%3)"/><w:lvlJc w:val="left"/>
    <w:pPr><w:ind w:left="1134" w:hanging="567"/></w:pPr>
  </w:lvl>
</w:abstractNum>"""

RECITAL_ABSTRACT = f"""
<w:abstractNum xmlns:w="{W_NS}" w:abstractNumId="{{aid}}">
  <w:multiLevelType w:val="singleLevel"/>
  <w:lvl w:ilvl="0">
    <w:start w:val="1"/><w:numFmt w:val="upperLetter"/><w:lvlText w:val="%1."/><w:lvlJc w:val="left"/>
    <w:pPr><w:ind w:left="567" w:hanging="567"/></w:pPr>
  </w:lvl>
</w:abstractNum>"""


class Numbering:
    """Adds abstract numbering definitions and list instances to a document's numbering part."""

    def __init__(self, document):
        from docx.oxml import parse_xml
        from docx.oxml.ns import qn

        self._parse_xml, self._qn = parse_xml, qn
        self.root = document.part.numbering_part.element
        used_a = [int(e.get(qn("w:abstractNumId"))) for e in self.root.findall(qn("w:abstractNum"))]
        used_n = [int(e.get(qn("w:numId"))) for e in self.root.findall(qn("w:num"))]
        self._next_a = max(used_a, default=0) + 1
        self._next_n = max(used_n, default=0) + 1
        self.article_abstract = self._add_abstract(ARTICLE_ABSTRACT)
        self.recital_abstract = self._add_abstract(RECITAL_ABSTRACT)

    def _add_abstract(self, template: str) -> int:
        aid = self._next_a
        self._next_a += 1
        el = self._parse_xml(template.replace("{aid}", str(aid)))
        first_num = self.root.find(self._qn("w:num"))   # schema order: every abstractNum before any num
        if first_num is not None:
            first_num.addprevious(el)
        else:
            self.root.append(el)
        return aid

    def new_list(self, abstract_id: int, levels: int) -> int:
        """A list instance that starts again at 1 on every level."""
        nid = self._next_n
        self._next_n += 1
        overrides = "".join(f'<w:lvlOverride w:ilvl="{lvl}"><w:startOverride w:val="1"/></w:lvlOverride>'
                            for lvl in range(levels))
        self.root.append(self._parse_xml(
            f'<w:num xmlns:w="{W_NS}" w:numId="{nid}"><w:abstractNumId w:val="{abstract_id}"/>{overrides}</w:num>'))
        return nid


def _set_num(paragraph, num_id: int, ilvl: int) -> None:
    numPr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
    numPr.get_or_add_ilvl().val = ilvl
    numPr.get_or_add_numId().val = num_id


def build_docx(blocks: list[Block], out: Path, title: str) -> None:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(11)
    for style_name in ("Heading 1", "Heading 2"):
        doc.styles[style_name].font.size = Pt(12)
    cp = doc.core_properties
    cp.title = title
    cp.author = "clausegen test material"
    cp.created = cp.modified = _dt.datetime(2025, 1, 1)
    cp.revision = 1

    numbering = Numbering(doc)
    article_list = numbering.new_list(numbering.article_abstract, 3)
    recital_list = numbering.new_list(numbering.recital_abstract, 1)
    articles_seen = False
    for b in blocks:
        if b.kind == "title":
            doc.add_paragraph(b.text, style="Title")
        elif b.kind == "subtitle":
            doc.add_paragraph(b.text, style="Subtitle")
        elif b.kind == "section":
            doc.add_paragraph(b.text, style="Heading 2")
            if articles_seen:            # numbered text after a schedule heading starts again at 1
                article_list = numbering.new_list(numbering.article_abstract, 3)
            recital_list = numbering.new_list(numbering.recital_abstract, 1)
        elif b.kind == "article":
            articles_seen = True
            _set_num(doc.add_paragraph(b.text, style="Heading 1"), article_list, 0)
        elif b.kind == "clause":
            p = doc.add_paragraph(b.text)
            p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
            _set_num(p, article_list, 1)
        elif b.kind == "item":
            p = doc.add_paragraph(b.text)
            p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
            _set_num(p, article_list, 2)
        elif b.kind == "recital":
            _set_num(doc.add_paragraph(b.text), recital_list, 0)
        else:
            doc.add_paragraph(b.text)
    doc.save(str(out))


# ----------------------------------------------------------------------------------------------- PDF

def find_soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def build_pdf(docx_path: Path, soffice: str) -> Path:
    with tempfile.TemporaryDirectory() as profile, tempfile.TemporaryDirectory() as outdir:
        cmd = [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
               "--outdir", outdir, str(docx_path)]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
        produced = Path(outdir) / (docx_path.stem + ".pdf")
        target = docx_path.with_suffix(".pdf")
        shutil.copyfile(produced, target)
    return target


# ----------------------------------------------------------------------------------------------- checks

def _norm(t: str) -> str:
    return re.sub(r"\s+", " ", t).strip()


def extracted_text(path: Path) -> str:
    if path.suffix == ".txt":
        return path.read_text(encoding="utf-8")
    if path.suffix == ".docx":
        from docx import Document
        return "\n".join(p.text for p in Document(str(path)).paragraphs)
    if path.suffix == ".pdf":
        try:
            from pdfminer.high_level import extract_text
            return extract_text(str(path))
        except ImportError:
            return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True,
                                  text=True).stdout
    raise ValueError(path)


def check(name: str) -> list[str]:
    problems = []
    exp = json.loads((HERE / f"{name}.expected.json").read_text(encoding="utf-8"))
    for ext in (".txt", ".docx", ".pdf"):
        path = HERE / f"{name}{ext}"
        if not path.exists():
            continue
        text = _norm(extracted_text(path))
        for sid, sg in exp["safeguards"].items():
            if sg["evidence"] and _norm(sg["evidence"]) not in text:
                problems.append(f"{path.name}: evidence for {sid} not found: {sg['evidence'][:60]!r}")
    return problems


# ----------------------------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="*", help="sample names (file stems); default: the committed DOCX set")
    ap.add_argument("--pdf", action="store_true", help="also make PDFs of the named samples")
    ap.add_argument("--check", action="store_true", help="verify the evidence quotes in every output")
    ap.add_argument("--no-build", action="store_true", help="only run --check")
    args = ap.parse_args(argv)

    docx_names = args.names or DOCX_SET
    pdf_names = (args.names if args.pdf else []) if args.names else PDF_SET
    if not args.no_build:
        soffice = find_soffice() if pdf_names else None
        for name in docx_names:
            src = HERE / f"{name}.txt"
            blocks = parse(src.read_text(encoding="utf-8"), src.name)
            out = src.with_suffix(".docx")
            build_docx(blocks, out, blocks[0].text.title())
            print(f"wrote {out.relative_to(HERE)}")
        for name in pdf_names:
            if soffice is None:
                print("soffice not found: install LibreOffice Writer to build PDFs", file=sys.stderr)
                return 2
            print(f"wrote {build_pdf(HERE / f'{name}.docx', soffice).relative_to(HERE)}")
    if args.check:
        names = sorted(p.name[: -len(".expected.json")] for p in HERE.glob("*.expected.json"))
        problems = [msg for n in names for msg in check(n)]
        for msg in problems:
            print(msg, file=sys.stderr)
        print(f"checked {len(names)} samples: {'OK' if not problems else f'{len(problems)} problems'}")
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
