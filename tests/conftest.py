"""Shared fixtures. Each part of the suite keeps its fixtures in its own labelled block."""

from __future__ import annotations

from pathlib import Path

import pytest

# ---- paths and the library (lead) ----
REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
PROFILES = REPO / "contract_samples" / "profiles"
SHARED = REPO.parent / "shared"
needs_shared = pytest.mark.skipif(not (SHARED / "corpus").is_dir(), reason="../shared (corpus and labels) is absent")


@pytest.fixture(scope="session")
def library():
    """Return the bundled clause library, loaded once."""
    from clausegen.library import load_library

    return load_library()


@pytest.fixture(scope="session")
def sample_profiles():
    """Return the paths of the bundled sample profiles."""
    return sorted(PROFILES.glob("*.yaml"))


# ---- package shape: small files, no import circles (refactor) ----
def package_problems(name: str) -> list[str]:
    """Return what breaks the rules of the package clausegen/<name>/: a file of 500 lines or more, a module that
    fails when it is the first one imported (an import circle shows only then)."""
    import subprocess
    import sys

    folder = REPO / "clausegen" / name
    files = sorted(folder.glob("*.py"))
    problems = [f"{p.name}: {n} lines" for p in files if (n := p.read_text(encoding="utf-8").count("\n")) >= 500]
    modules = [f"clausegen.{name}" if p.stem == "__init__" else f"clausegen.{name}.{p.stem}" for p in files]
    script = ("import importlib, sys\n"
              "for name in sys.argv[1:]:\n"
              "    for loaded in [m for m in sys.modules if m.split('.')[0] == 'clausegen']:\n"
              "        del sys.modules[loaded]\n"
              "    try:\n"
              "        importlib.import_module(name)\n"
              "    except ImportError as exc:\n"
              "        print(f'{name}: {exc}')\n")
    run = subprocess.run([sys.executable, "-c", script, *modules], capture_output=True, text=True, timeout=300)
    return problems + run.stdout.splitlines() + ([run.stderr.strip()] if run.returncode else [])


# ---- document generator: library without the reviewer's checks, and reading back generated DOCX (generator) ----
KINDS = ("eula", "reseller", "master", "rider")
GOLDEN = FIXTURES / "golden"


@pytest.fixture(scope="session")
def gen_library():
    """Return the bundled library loaded for drafting (the reviewer's detection rules are not checked here)."""
    from clausegen.library import load_library

    return load_library(check_detection=False)


def _num_format(fmt: str, n: int) -> str:
    """Return counter n in a Word number format."""
    if fmt == "lowerLetter":
        return chr(ord("a") + n - 1)
    if fmt == "upperLetter":
        return chr(ord("A") + n - 1)
    if fmt == "lowerRoman":
        numerals = [(10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")]
        out = ""
        for value, text in numerals:
            while n >= value:
                out, n = out + text, n - value
        return out
    return str(n)


def numbering_levels(document) -> dict[int, dict[int, tuple[str, str]]]:
    """Return numId -> ilvl -> (numFmt, lvlText) from a document's numbering.xml."""
    from docx.oxml.ns import qn

    numbering = document.part.numbering_part.element
    abstracts = {}
    for abstract in numbering.findall(qn("w:abstractNum")):
        levels = {}
        for lvl in abstract.findall(qn("w:lvl")):
            fmt = lvl.find(qn("w:numFmt"))
            text = lvl.find(qn("w:lvlText"))
            levels[int(lvl.get(qn("w:ilvl")))] = (fmt.get(qn("w:val")) if fmt is not None else "decimal",
                                                   text.get(qn("w:val")) if text is not None else "")
        abstracts[abstract.get(qn("w:abstractNumId"))] = levels
    return {int(num.get(qn("w:numId"))): abstracts.get(num.find(qn("w:abstractNumId")).get(qn("w:val")), {})
            for num in numbering.findall(qn("w:num"))}


def paragraph_numpr(paragraph) -> tuple[int, int] | None:
    """Return (numId, ilvl) of a paragraph's own w:numPr, or None."""
    ppr = paragraph._p.pPr
    if ppr is None or ppr.numPr is None or ppr.numPr.numId is None:
        return None
    ilvl = ppr.numPr.ilvl.val if ppr.numPr.ilvl is not None else 0
    return ppr.numPr.numId.val, ilvl


def body_blocks(document):
    """Yield the body's paragraphs and tables in document order."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for child in document.element.body.iterchildren():
        if child.tag.endswith("}p"):
            yield Paragraph(child, document)
        elif child.tag.endswith("}tbl"):
            yield Table(child, document)


def outline(document) -> list[tuple[str, str, str]]:
    """Return (number label as Word shows it, style name, text) for every body paragraph, computing the labels
    from numPr and numbering.xml; a table gives one ("", "table", "cell | cell") entry per row."""
    from docx.table import Table

    levels = numbering_levels(document)
    counters: dict[int, list[int]] = {}
    lines = []
    for block in body_blocks(document):
        if isinstance(block, Table):
            for row in block.rows:
                lines.append(("", "table", " | ".join(c.text for c in row.cells)))
            continue
        label = ""
        numpr = paragraph_numpr(block)
        if numpr and numpr[0] in levels:
            num_id, ilvl = numpr
            count = counters.setdefault(num_id, [0] * 9)
            count[ilvl] += 1
            for deeper in range(ilvl + 1, 9):
                count[deeper] = 0
            fmt, text = levels[num_id].get(ilvl, ("decimal", ""))
            for level in range(ilvl + 1):
                lvl_fmt = levels[num_id].get(level, ("decimal", ""))[0]
                text = text.replace(f"%{level + 1}", _num_format(lvl_fmt if level != ilvl else fmt, count[level]))
            label = text
        lines.append((label, block.style.name if block.style is not None else "", block.text))
    return lines


def outline_text(document) -> str:
    """Return the outline as text, one "[style] label text" line per paragraph (the golden-file format)."""
    return "\n".join(f"[{style}] {label + ' ' if label else ''}{text}".rstrip() for label, style, text in outline(document)) + "\n"


# ---- ingest: building DOCX (with real numbering, tracked changes, footnotes) and PDFs for tests/test_ingest.py ----
W_URI = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W_NS = f'xmlns:w="{W_URI}"'


class DocxBuilder:
    """Build a real DOCX with python-docx, plus the raw WordprocessingML python-docx has no API for."""

    def __init__(self):
        import docx

        self.document = docx.Document()
        self.numbering = self.document.part.numbering_part.element
        self.notes: dict[str, list[tuple[int, str]]] = {"footnote": [], "endnote": []}

    def abstract_list(self, abstract_id: int, levels: list[tuple]) -> None:
        """Define a multi-level list; levels are (numFmt, lvlText, start[, extra w:lvl XML]) for ilvl 0, 1, ..."""
        from docx.oxml import parse_xml

        lvls = "".join(
            f'<w:lvl w:ilvl="{i}"><w:start w:val="{level[2]}"/><w:numFmt w:val="{level[0]}"/>'
            f'{level[3] if len(level) > 3 else ""}<w:lvlText w:val="{level[1]}"/></w:lvl>'
            for i, level in enumerate(levels)
        )
        element = parse_xml(f'<w:abstractNum {W_NS} w:abstractNumId="{abstract_id}">{lvls}</w:abstractNum>')
        # abstractNum elements must precede every w:num.
        first_num = self.numbering.find(f"{{{W_URI}}}num")
        if first_num is None:
            self.numbering.append(element)
        else:
            first_num.addprevious(element)

    def num(self, num_id: int, abstract_id: int, start_overrides: dict[int, int] | None = None) -> None:
        """Define list instance num_id of abstract_id, optionally restarting levels at given values."""
        from docx.oxml import parse_xml

        overrides = "".join(
            f'<w:lvlOverride w:ilvl="{ilvl}"><w:startOverride w:val="{value}"/></w:lvlOverride>'
            for ilvl, value in (start_overrides or {}).items()
        )
        self.numbering.append(
            parse_xml(f'<w:num {W_NS} w:numId="{num_id}"><w:abstractNumId w:val="{abstract_id}"/>{overrides}</w:num>')
        )

    def para(self, text: str = "", num: int | None = None, level: int = 0, style: str | None = None, bold=False):
        """Add a paragraph, numbered with list num at level when num is given."""
        paragraph = self.document.add_paragraph(style=style)
        if text:
            paragraph.add_run(text).bold = bold
        if num is not None:
            numpr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
            numpr.get_or_add_ilvl().val = level
            numpr.get_or_add_numId().val = num
        return paragraph

    def heading(self, text: str, level: int = 1):
        """Add a paragraph in style "Heading <level>" ("Title" for level 0)."""
        return self.document.add_heading(text, level)

    def raw_para(self, inner_xml: str):
        """Add a paragraph whose content is raw WordprocessingML (runs, w:ins, w:del ...)."""
        from docx.oxml import parse_xml

        p = parse_xml(f"<w:p {W_NS}>{inner_xml}</w:p>")
        self.document.element.body.insert(len(self.document.element.body) - 1, p)  # before w:sectPr
        return p

    def table(self, rows: list[list[str]]):
        """Add a table holding rows of cell texts."""
        table = self.document.add_table(rows=len(rows), cols=len(rows[0]))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                table.cell(r, c).text = text
        return table

    def footnote(self, text_before: str, note: str, kind: str = "footnote") -> None:
        """Add a paragraph ending in a footnote (or endnote) reference whose note says `note`."""
        note_id = len(self.notes[kind]) + 1
        self.notes[kind].append((note_id, note))
        self.raw_para(
            f'<w:r><w:t xml:space="preserve">{text_before}</w:t></w:r>'
            f'<w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr><w:{kind}Reference w:id="{note_id}"/></w:r>'
        )

    def save(self, path):
        """Write the DOCX to path and return path."""
        for kind, notes in self.notes.items():
            if notes:
                self._add_notes_part(kind, notes)
        self.document.save(str(path))
        return path

    def _add_notes_part(self, kind: str, notes: list[tuple[int, str]]) -> None:
        """Add word/footnotes.xml or word/endnotes.xml (with the separator notes Word writes) and its relationship."""
        from docx.opc.constants import CONTENT_TYPE as CT, RELATIONSHIP_TYPE as RT
        from docx.opc.packuri import PackURI
        from docx.opc.part import Part

        body = "".join(
            f'<w:{kind} w:id="{i}"><w:p><w:r><w:{kind}Ref/></w:r>'
            f'<w:r><w:t xml:space="preserve"> {text}</w:t></w:r></w:p></w:{kind}>'
            for i, text in notes
        )
        blob = (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:{kind}s {W_NS}>'
            f'<w:{kind} w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:{kind}>'
            f'<w:{kind} w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r></w:p>'
            f"</w:{kind}>{body}</w:{kind}s>"
        ).encode("utf-8")
        content_type = CT.WML_FOOTNOTES if kind == "footnote" else CT.WML_ENDNOTES
        part = Part(PackURI(f"/word/{kind}s.xml"), content_type, blob, self.document.part.package)
        self.document.part.relate_to(part, RT.FOOTNOTES if kind == "footnote" else RT.ENDNOTES)



@pytest.fixture
def docx_builder():
    """Return a new DocxBuilder."""
    return DocxBuilder()


def make_pdf(pages: list[list[list[str]]], header: str | None = None, footer: bool = False, encrypt=None,
             draw_text: bool = True) -> bytes:
    """Return PDF bytes: pages of paragraphs of lines, with an optional running header and "Page n of m" footer.

    A line is a string, or a (label, text) pair drawn as a hanging indent. encrypt: a reportlab StandardEncryption.
    """
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, encrypt=encrypt, invariant=1)
    width, height = A4
    for number, paragraphs in enumerate(pages, start=1):
        if header:
            pdf.setFont("Helvetica", 9)
            pdf.drawString(72, height - 40, header)
        if footer:
            pdf.setFont("Helvetica", 9)
            pdf.drawString(width / 2 - 30, 30, f"Page {number} of {len(pages)}")
        pdf.setFont("Helvetica", 11)
        y = height - 90
        for paragraph in paragraphs:
            for line in paragraph:
                if draw_text and isinstance(line, tuple):
                    # (label, text): a hanging indent, label and text set apart on one baseline
                    pdf.drawString(72, y, line[0])
                    pdf.drawString(108, y, line[1])
                elif draw_text:
                    pdf.drawString(72, y, line)
                y -= 14
            y -= 16  # paragraph gap
        if not draw_text:
            pdf.rect(72, 300, 200, 200, fill=1)  # a "scan": only graphics
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


@pytest.fixture
def pdf_maker():
    """Return make_pdf."""
    return make_pdf
# ---- end of ingest block ----


# ---- batch audit: generated folders, the CLI in-process, headless Chromium (audit) ----
import json as _audit_json
import os as _audit_os
import shutil as _audit_shutil
import subprocess as _audit_subprocess

AUDIT_SAMPLES = REPO / "contract_samples" / "contracts"


_audit_previous_configure = globals().get("pytest_configure")


def pytest_configure(config):
    """Register the `slow` marker (chaining any pytest_configure defined above)."""
    if _audit_previous_configure is not None:
        _audit_previous_configure(config)
    config.addinivalue_line("markers", "slow: runs for several seconds (deselect with -m 'not slow')")


def read_jsonl(path) -> list[dict]:
    """Return the objects of a JSON-lines file."""
    return [_audit_json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def audit_cli(*args) -> int:
    """Run `clausegen audit ARGS` in this process and return its exit code."""
    from clausegen.cli import main

    try:
        main(["audit", *map(str, args)])
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    return 0


def minimal_pdf(lines: list[str]) -> bytes:
    """Return a small valid one-page PDF showing lines of text (Helvetica), with a correct xref table."""
    def esc(text):
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    stream = "BT /F1 10 Tf 50 780 Td 12 TL " + " ".join(f"({esc(line)}) '" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def write_contracts(folder, count: int, size: int | None = None) -> list[Path]:
    """Write count distinct small .txt contracts (from the bundled samples) named contract_NNN.txt; pad each to about
    size bytes with more sample text when size is given."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    texts = [p.read_text(encoding="utf-8") for p in sorted(AUDIT_SAMPLES.glob("*.txt"))]
    paths = []
    for i in range(count):
        body = f"Contract number {i}\n\n" + texts[i % len(texts)]
        k = 1
        while size and len(body) < size:
            body += "\n\n" + texts[(i + k) % len(texts)]
            k += 1
        path = folder / f"contract_{i:03d}.txt"
        path.write_text(body[: size] if size else body, encoding="utf-8")
        paths.append(path)
    return paths


def make_audit_folder(root) -> tuple[Path, dict]:
    """Build a folder of good, broken, duplicate and skipped files; return it with what the audit should say."""
    import docx

    root = Path(root)
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "copies").mkdir()
    sample = lambda name: (AUDIT_SAMPLES / name).read_text(encoding="utf-8")  # noqa: E731
    strong = sample("strong_integrator_all_present.txt")
    (root / "strong.txt").write_text(strong, encoding="utf-8")
    (root / "reseller.md").write_text(sample("reseller_with_flowdown.txt"), encoding="utf-8")
    weak_paragraphs = [p for p in sample("weak_purchase_almost_all_missing.txt").split("\n\n") if p.strip()]
    import html as _html

    (root / "weak.html").write_text("<!DOCTYPE html><html><body>" + "".join(f"<p>{_html.escape(p)}</p>" for p in weak_paragraphs)
                                    + "</body></html>", encoding="utf-8")
    document = docx.Document()
    for paragraph in sample("eula_you_we_paraphrase.txt").split("\n\n"):
        if paragraph.strip():
            document.add_paragraph(paragraph.strip())
    document.save(root / "eula.docx")
    (root / "sub" / "deeper" / "internal.txt").write_text(sample("internal_use_cure_period.txt"), encoding="utf-8")
    lines = [line for line in sample("reseller_no_flowdown.txt").splitlines() if line.strip()][:50]
    (root / "sub" / "reseller.pdf").write_bytes(minimal_pdf([line[:90] for line in lines]))
    (root / "copies" / "strong-copy.txt").write_bytes((root / "strong.txt").read_bytes())

    (root / "corrupt.docx").write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    (root / "locked.docx").write_bytes(ole2 + "EncryptionInfo".encode("utf-16-le") + b"\x00" * 512)
    (root / "truncated.pdf").write_bytes(minimal_pdf(["This agreement is cut short"])[:180])
    (root / "empty.txt").write_bytes(b"")
    (root / "junk.txt").write_bytes(bytes(range(256)) * 16)
    (root / "big.txt").write_text("The Customer shall comply with export laws. " * 7000, encoding="utf-8")

    (root / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    (root / "book.xlsx").write_bytes(b"PK\x03\x04 a spreadsheet")
    (root / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (root / "README").write_text("notes", encoding="utf-8")
    (root / "sub" / "loop").symlink_to(root)
    _audit_os.mkfifo(root / "pipe.txt")
    good = ["strong.txt", "reseller.md", "weak.html", "eula.docx", "sub/deeper/internal.txt", "sub/reseller.pdf"]
    broken = {"corrupt.docx": r"docx|zip|corrupt", "locked.docx": r"encrypt|password|protected",
              "truncated.pdf": r"pdf|corrupt|truncat", "empty.txt": r"empty", "junk.txt": r"binary|not text|unsupported",
              "big.txt": r"size limit"}
    skipped = {"logo.png": r"unsupported type \.png", "book.xlsx": r"unsupported type \.xlsx", ".DS_Store": "hidden",
               "README": r"no extension", "sub/loop/": "symlink loop", "pipe.txt": "not a regular file"}
    return root, {"good": good, "broken": broken, "duplicates": {"copies/strong-copy.txt": "strong.txt"},
                  "skipped": skipped, "strong": "strong.txt", "weak": "weak.html",
                  "files": len(good) + len(broken) + 1}


def chromium_executable() -> str | None:
    """Return the headless browser to use, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = _audit_shutil.which(name)
        if found:
            return found
    return None


def run_chromium(args, profile_dir) -> str:
    """Run headless Chromium (as root: no sandbox) with a throwaway profile and no network chatter; return stdout."""
    command = [chromium_executable(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={profile_dir}", *map(str, args)]
    done = _audit_subprocess.run(command, capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


# ---- reviewer: the labelled dev set and corpus paths (reviewer) ----
DEV_LABELS = SHARED / "eval" / "dev_labels.jsonl"
SHARED_CORPUS = SHARED / "corpus"


@pytest.fixture(scope="session")
def dev_labels() -> list[dict]:
    """Return the labelled dev documents of ../shared/eval (skip when they are absent)."""
    if not DEV_LABELS.is_file():
        pytest.skip("../shared/eval/dev_labels.jsonl is absent")
    return [_audit_json.loads(line) for line in DEV_LABELS.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="session")
def bench_accuracy():
    """Return the bench/accuracy.py module (bench/ is no package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_accuracy", REPO / "bench" / "accuracy.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def dev_scores(library, dev_labels, bench_accuracy) -> dict:
    """Return bench/accuracy.py's scores of the reviewer and the keyword baseline on the dev set (run once)."""
    return bench_accuracy.evaluate(DEV_LABELS, SHARED_CORPUS, library)
# ---- end of reviewer block ----
