"""Hostile and broken inputs (docs/security.md).

1. A table of hostile contract files. Each goes through `ingest_bytes` (or `ingest` for the 1 GB file) and through
   `clausegen review FILE` as a real process: refused files raise an IngestError whose one-line message starts with the
   file name and gives the reason, and make the CLI exit 2 with one line on stderr naming the file, never a traceback;
   files that can be read are read. Every case has a loose wall-clock bound.
2. Templates and profile values cannot run code or read files through Jinja2: hostile text in a clause's text.j2 of a
   library copy, in a document template and in profile values.
3. Outputs: the audit writes only inside OUTDIR whatever the contract files are called; `generate -o/--memo` and
   `review --annotate/--rider` never overwrite an existing file without --force, nor an input, nor each other.
4. Limits from the environment (CLAUSEGEN_<FIELD>) and hostile profiles.

The fault test of the batch audit (1,000 files, 10% broken, killed part way and resumed) is
tests/test_audit.py::test_hostile_input_fault_1000_files_killed_and_resumed.
"""

from __future__ import annotations

import functools
import io
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest
import yaml

from clausegen.errors import (
    ClausegenError,
    CorruptFileError,
    EncryptedFileError,
    IngestError,
    NoTextError,
    RenderError,
    UnsafeFileError,
    UnsupportedFileError,
)
from clausegen.ingest import Limits, ingest, ingest_bytes

from conftest import PROFILES, REPO, make_pdf, read_jsonl

MB = 1024 * 1024
INGEST_SECONDS = 10.0  # loose bound for one ingest_bytes call on one hostile file
CLI_SECONDS = 30.0  # loose bound for one `clausegen review` process (start-up and library loading included)
SECRET = "S3CRET-7f1c2"  # planted in files a hostile template or document must not be able to read


# ---------------------------------------------------------------------------------------------------------------
# Builders: DOCX
# ---------------------------------------------------------------------------------------------------------------

W_URI = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
CLAUSE = "The Customer shall not use the Product to violate human rights."


@functools.lru_cache(maxsize=None)
def base_docx() -> bytes:
    """A real DOCX made with python-docx: a heading and two clauses."""
    import docx

    document = docx.Document()
    document.add_heading("Software Licence Agreement", 1)
    document.add_paragraph("1. " + CLAUSE)
    document.add_paragraph("2. The Customer shall comply with all applicable export control laws.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def docx_with(replace: dict[str, bytes] | None = None, drop: tuple[str, ...] = (),
              compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """Return base_docx() with parts replaced (or added) and dropped."""
    replace = dict(replace or {})
    source = zipfile.ZipFile(io.BytesIO(base_docx()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as out:
        for info in source.infolist():
            if info.filename in drop:
                continue
            out.writestr(info.filename, replace.pop(info.filename, None) or source.read(info.filename))
        for name, data in replace.items():
            out.writestr(name, data)
    return buffer.getvalue()


def document_xml(body: str, prolog: str = "", encoding: str = "utf-8") -> bytes:
    declaration = f'<?xml version="1.0" encoding="{encoding.upper()}"?>'
    text = f'{declaration}{prolog}<w:document xmlns:w="{W_URI}"><w:body>{body}</w:body></w:document>'
    return text.encode(encoding)


def paragraph(text: str) -> str:
    return f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>"


LAUGHS = ('<!DOCTYPE w:document [<!ENTITY a "aaaaaaaaaa">'
          + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8)) + "]>")


def docx_laughs(encoding: str = "utf-8") -> bytes:
    return docx_with({"word/document.xml": document_xml(paragraph("&i;"), LAUGHS, encoding)})


def docx_streamed_part(part: str, size: int, byte: bytes = b" ") -> bytes:
    """Return base_docx() plus a deflated part of `size` bytes, written in chunks (never `size` bytes in memory)."""
    buffer = io.BytesIO(docx_with())
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        info = zipfile.ZipInfo(part)
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as stream:
            chunk = byte * (4 * MB)
            for _ in range(size // len(chunk)):
                stream.write(chunk)
    return buffer.getvalue()


def docx_lying_size() -> bytes:
    """A part whose zip headers declare 100 bytes but which inflates to 5 MB."""
    data = bytearray(docx_with({"word/document.xml": document_xml(paragraph("A" * (5 * MB)))}))
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("word/document.xml")
    fake = (100).to_bytes(4, "little")
    data[info.header_offset + 22:info.header_offset + 26] = fake  # local header: uncompressed size
    for offset in _central_entries(bytes(data)):
        name_length = int.from_bytes(data[offset + 28:offset + 30], "little")
        if data[offset + 46:offset + 46 + name_length] == b"word/document.xml":
            data[offset + 24:offset + 28] = fake  # central directory: uncompressed size
    return bytes(data)


def _central_entries(data: bytes):
    """Yield the offsets of the central directory entries of a zip archive."""
    start = data.find(b"PK\x01\x02")
    while start >= 0:
        yield start
        start = data.find(b"PK\x01\x02", start + 4)


def docx_encrypted_entry() -> bytes:
    data = bytearray(docx_with())
    data[6] |= 0x1  # the first local header's general-purpose flags: "encrypted"
    for offset in _central_entries(bytes(data)):
        data[offset + 8] |= 0x1
    return bytes(data)


def docx_many_entries(count: int) -> bytes:
    buffer = io.BytesIO(docx_with())
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_STORED) as archive:
        for i in range(count):
            archive.writestr(f"junk/{i}.xml", b"")
    return buffer.getvalue()


def docx_numbering_bomb() -> bytes:
    """A list level starting at 10**18 in Roman numerals: spelt out, a billion billion 'M's."""
    numbering = (f'<w:numbering xmlns:w="{W_URI}"><w:abstractNum w:abstractNumId="7"><w:lvl w:ilvl="0">'
                 '<w:start w:val="1000000000000000000"/><w:numFmt w:val="upperRoman"/><w:lvlText w:val="%1."/>'
                 '</w:lvl></w:abstractNum><w:num w:numId="7"><w:abstractNumId w:val="7"/></w:num></w:numbering>')
    body = ('<w:p><w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="7"/></w:numPr></w:pPr>'
            f'<w:r><w:t>{CLAUSE}</w:t></w:r></w:p>')
    return docx_with({"word/document.xml": document_xml(body), "word/numbering.xml": numbering.encode()})


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


# ---------------------------------------------------------------------------------------------------------------
# Builders: PDF
# ---------------------------------------------------------------------------------------------------------------

TEXT_OP = b"BT /F1 11 Tf 72 760 Td (" + CLAUSE.encode() + b") Tj ET"
FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def build_pdf(objects: list[bytes | str], root: int = 1) -> bytes:
    """Return a PDF of the given object bodies (objects 1..n) with a correct xref table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        body = body.encode("latin-1") if isinstance(body, str) else body
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root {root} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def stream(data: bytes, extra: str = "") -> bytes:
    return f"<< /Length {len(data)} {extra}>>\nstream\n".encode() + data + b"\nendstream"


def page(contents: int, extra: str = "") -> str:
    return (f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> {extra}>> "
            f"/Contents {contents} 0 R >>")


def one_page_pdf(content: bytes = TEXT_OP, filters: str = "", pages: str = "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                 extra_objects: tuple = (), page_extra: str = "") -> bytes:
    """catalog 1, pages 2, page 3, font 4, contents 5, then extra_objects 6.."""
    return build_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", pages, page(5, page_extra), FONT,
                      stream(content, f"/Filter {filters} " if filters else ""), *extra_objects])


def deflate_stream(total: int, byte: bytes = b"\x00", tail: bytes = b"", level: int = 1) -> bytes:
    """Return zlib data of `total` copies of byte (plus tail), compressed in chunks."""
    compressor = zlib.compressobj(level)
    chunk = byte * (4 * MB)
    parts = [compressor.compress(chunk) for _ in range(total // len(chunk))]
    parts.append(compressor.compress(tail))
    parts.append(compressor.flush())
    return b"".join(parts)


def pdf_encrypted() -> bytes:
    from reportlab.lib.pdfencrypt import StandardEncryption

    return make_pdf([[[CLAUSE]]], encrypt=StandardEncryption("user-secret", ownerPassword="owner"))


def pdf_truncated() -> bytes:
    full = make_pdf([[[CLAUSE], ["The Customer shall comply with export control laws."]]] * 3)
    return full[: len(full) // 3]


def pdf_page_tree_loop() -> bytes:
    """The page tree lists itself among its kids, and a child node points back to it."""
    return one_page_pdf(pages="<< /Type /Pages /Kids [2 0 R 3 0 R 6 0 R] /Count 1 >>",
                        extra_objects=(b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R 6 0 R] /Count 1 >>",))


def pdf_reference_loop() -> bytes:
    """Object 2 (the page tree) is a reference to object 6, which is a reference back to 2."""
    return build_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"6 0 R", page(5), FONT, stream(TEXT_OP), b"2 0 R"])


def pdf_pages(count: int, declared: int) -> bytes:
    kids = " ".join(f"{6 + i} 0 R" for i in range(count))
    pages = [page(5) for _ in range(count)]
    return build_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", f"<< /Type /Pages /Kids [{kids}] /Count {declared} >>",
                      b"<< >>", FONT, stream(TEXT_OP), *pages])


def pdf_form_fanout(depth: int = 40) -> bytes:
    """Form n draws form n+1 twice: 2**40 drawings from a 7 KB file."""
    forms = []
    for i in range(depth):
        inner = f"/Resources << /XObject << /X {7 + i} 0 R >> >> " if i < depth - 1 else ""
        forms.append(stream(b"/X Do /X Do" if i < depth - 1 else TEXT_OP,
                            f"/Type /XObject /Subtype /Form /BBox [0 0 595 842] {inner}"))
    return one_page_pdf(TEXT_OP + b" /X Do", page_extra="/XObject << /X 6 0 R >> ", extra_objects=tuple(forms))


@functools.lru_cache(maxsize=None)
def pdf_flate_bomb() -> bytes:
    """A 300 KB content stream that inflates to 300 MB."""
    return one_page_pdf(deflate_stream(300 * MB, tail=b" " + TEXT_OP), "/FlateDecode")


def pdf_layered_flate_bomb() -> bytes:
    """Two Flate layers: 2 KB that inflate to 300 KB that inflate to 300 MB."""
    inner = deflate_stream(300 * MB, level=9)
    return one_page_pdf(zlib.compress(inner, 9), "[/FlateDecode /FlateDecode]")


def pdf_runlength_bomb() -> bytes:
    """RunLengthDecode: two bytes make 128; 4 MB make 256 MB."""
    return one_page_pdf(b"\x81\x20" * (2 * MB) + b"\x80", "/RunLengthDecode")


def pdf_truncated_flate() -> bytes:
    """A Flate content stream cut in half: pdfminer's salvage path took quadratic time (one byte at a time)."""
    data = deflate_stream(64 * MB, byte=b" ", tail=TEXT_OP)
    return one_page_pdf(data[: len(data) // 2], "/FlateDecode")


def pdf_long_token() -> bytes:
    """A single 20 MB keyword in a content stream: pdfminer grows tokens by concatenation, in quadratic time."""
    return one_page_pdf(deflate_stream(20 * MB, byte=b"a", tail=b" " + TEXT_OP), "/FlateDecode")


def pdf_slow_junk() -> bytes:
    """20 MB of NUL bytes as page content: read one byte at a time, slowly; the time limit stops it."""
    return one_page_pdf(deflate_stream(20 * MB, tail=b" " + TEXT_OP), "/FlateDecode")


def pdf_offpage_lines(count: int = 2500) -> bytes:
    """One line on the page and thousands below it: invisible, but pdfminer's layout of them is quadratic."""
    lines = [TEXT_OP, b"BT /F1 11 Tf 72 -100 Td 14 TL"]
    lines += [b"(Hidden line %d of text placed below the page.) Tj T*" % i for i in range(count)]
    return one_page_pdf(b"\n".join(lines + [b"ET"]))


def pdf_crowded_page() -> bytes:
    """150,000 characters drawn on one page (a dense legal page draws ~10,000)."""
    lines = [TEXT_OP, b"BT /F1 1 Tf 20 830 Td 0.5 TL"]
    lines += [b"(" + b"x" * 100 + b") Tj T*" for _ in range(1500)]
    return one_page_pdf(b"\n".join(lines + [b"ET"]))


def pdf_inline_image_of_e() -> bytes:
    """Inline image data full of 'E' (the start of its end marker "EI"): pdfminer concatenated byte by byte."""
    content = b"BI /W 1 /H 1 /BPC 8 /CS /G ID " + b"E" * MB + b" EI " + TEXT_OP
    return one_page_pdf(zlib.compress(content), "/FlateDecode")


def pdf_without_newlines() -> bytes:
    """20 MB after %PDF- with no line break: pdfminer read its lines backwards and forwards in quadratic time."""
    return b"%PDF-1.4 " + b"a" * (20 * MB)


# ---------------------------------------------------------------------------------------------------------------
# Builders: text
# ---------------------------------------------------------------------------------------------------------------

def sample_text() -> bytes:
    return (REPO / "contract_samples" / "contracts" / "strong_integrator_all_present.txt").read_bytes()


def mixed_encodings() -> bytes:
    """UTF-8, then cp1252 bytes that are not UTF-8, then a stray UTF-16 fragment and a BOM in the middle."""
    return (sample_text()[:3000] + "\nCafé Müller GmbH – “Reseller”\n".encode("utf-8")
            + "\nThe Licensee’s obligations – naïve façade\n".encode("cp1252")
            + "Clause".encode("utf-16-le") + b"\xef\xbb\xbf" + b"\n" + CLAUSE.encode())


# ---------------------------------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    """One hostile file: its name, how to build its bytes, and what must happen to it.

    error: the IngestError subclass expected, or None when the file must be read (then `read` is a phrase its text
    holds). reason: a regex the one-line message must match. env: CLAUSEGEN_* limit variables for this case (the
    same limits go to ingest_bytes as Limits.from_env(env)). sparse: create the file sparse, of this size, instead of
    building bytes (checked through `ingest(path)`).
    """

    id: str
    name: str
    build: Callable[[], bytes] | None
    error: type | None
    reason: str = ""
    read: str = ""
    env: dict = field(default_factory=dict)
    sparse: int = 0
    cli: bool = True  # False: ingest_bytes only (the CLI run would only repeat the reviewer's start-up)


CASES = [
    # ---- DOCX ----
    Case("docx-ratio-bomb", "ratio.docx", lambda: docx_with({"word/document.xml": document_xml(
        paragraph(CLAUSE) + "<w:p><w:r><w:t>" + " " * (20 * MB) + "</w:t></w:r></w:p>")}),
         UnsafeFileError, r"zip bomb refused \(word/document\.xml compression ratio \d+:1 > 200:1\)"),
    Case("docx-inflates-past-limit", "huge-part.docx", lambda: docx_streamed_part("word/media/image1.bin", 300 * MB),
         UnsafeFileError, r"zip bomb refused \(word/media/image1\.bin inflates past 200 MB\)"),
    Case("docx-lying-sizes", "lying.docx", docx_lying_size, CorruptFileError,
         r"Bad CRC-32 for file 'word/document\.xml'"),  # zipfile stops at the declared size
    Case("docx-many-entries", "entries.docx", lambda: docx_many_entries(10_001), UnsafeFileError,
         r"zip bomb refused \(1\d{4} entries > 10000 limit\)"),
    Case("docx-billion-laughs", "laughs.docx", docx_laughs, UnsafeFileError,
         r"XML entity declarations refused in word/document\.xml"),
    Case("docx-billion-laughs-utf16", "laughs16.docx", lambda: docx_laughs("utf-16"), UnsafeFileError,
         r"XML entity declarations refused in word/document\.xml"),
    Case("docx-billion-laughs-utf32", "laughs32.docx", lambda: docx_laughs("utf-32"), UnsafeFileError,
         r"XML entity declarations refused in word/document\.xml"),
    Case("docx-laughs-in-styles", "styles.docx", lambda: docx_with({"word/styles.xml": (
        '<?xml version="1.0"?>' + LAUGHS.replace("w:document", "w:styles") + f'<w:styles xmlns:w="{W_URI}">&i;'
        "</w:styles>").encode()}), UnsafeFileError, r"XML entity declarations refused in word/styles\.xml"),
    Case("docx-external-entity", "xxe.docx", lambda: docx_with({"word/document.xml": document_xml(
        paragraph("&xxe;"), '<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>')}),
         UnsafeFileError, r"XML entity declarations refused"),
    Case("docx-parameter-entity", "param.docx", lambda: docx_with({"word/document.xml": document_xml(
        paragraph(CLAUSE), '<!DOCTYPE w:document [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;]>')}),
         UnsafeFileError, r"XML entity declarations refused"),
    Case("docx-nested-250", "nested.docx", lambda: docx_with({"word/document.xml": document_xml(
        "<w:p>" + "<w:customXml>" * 250 + "</w:customXml>" * 250 + "</w:p>" + paragraph(CLAUSE))}),
         UnsafeFileError, r"XML nesting too deep in word/document\.xml \(more than 200 levels\)"),
    Case("docx-nested-100000", "deeper.docx", lambda: docx_with({"word/document.xml": document_xml(
        "<w:p>" + "<w:customXml>" * 100_000 + "</w:customXml>" * 100_000 + "</w:p>")}, compression=zipfile.ZIP_STORED),
         UnsafeFileError, r"XML nesting too deep in word/document\.xml"),
    Case("docx-missing-document", "nodoc.docx", lambda: docx_with(drop=("word/document.xml",)), CorruptFileError,
         r"missing word/document\.xml"),
    Case("docx-rels-outside", "rels.docx", lambda: docx_with({"_rels/.rels": base_docx_rels().replace(
        b"word/document.xml", b"../../../../etc/passwd")}), CorruptFileError, r"missing \.\./\.\./\.\./\.\./etc/passwd"),
    Case("docx-is-pdf", "really-pdf.docx", lambda: make_pdf([[[CLAUSE]]]), UnsupportedFileError,
         r"not a DOCX file \(looks like a PDF\)"),
    Case("docx-is-text", "really-text.docx", sample_text, UnsupportedFileError, r"not a DOCX file \(looks like text\)"),
    Case("docx-password-protected", "locked.docx", lambda: OLE2 + "EncryptionInfo".encode("utf-16-le") + bytes(512),
         EncryptedFileError, r"password-protected Office file$"),
    Case("docx-legacy-doc", "old.docx", lambda: OLE2, EncryptedFileError,
         r"password-protected Office file or legacy Word \.doc"),
    Case("docx-encrypted-zip-entry", "zipcrypto.docx", docx_encrypted_entry, EncryptedFileError,
         r"password-protected zip archive \(\[Content_Types\]\.xml is encrypted\)"),
    Case("docx-truncated", "cut.docx", lambda: base_docx()[: len(base_docx()) // 2], CorruptFileError,
         r"corrupt zip archive"),
    Case("docx-numbering-bomb", "numbering.docx", docx_numbering_bomb, None, read="1000000000000000000. " + CLAUSE),
    # ---- PDF ----
    Case("pdf-encrypted", "locked.pdf", pdf_encrypted, EncryptedFileError, r"encrypted PDF \(password required\)"),
    Case("pdf-truncated", "cut.pdf", pdf_truncated, CorruptFileError, r"malformed PDF \("),
    Case("pdf-malformed", "junk.pdf", lambda: b"%PDF-1.7\n" + bytes(range(256)) * 64, CorruptFileError,
         r"malformed PDF \("),
    Case("pdf-no-newlines", "oneline.pdf", pdf_without_newlines, CorruptFileError, r"malformed PDF \("),
    Case("pdf-page-tree-loop", "tree-loop.pdf", pdf_page_tree_loop, None, read=CLAUSE),
    Case("pdf-reference-loop", "ref-loop.pdf", pdf_reference_loop, CorruptFileError,
         r"malformed PDF \(object \d+ refers to itself through a loop of references\)"),
    Case("pdf-huge-page-count", "count.pdf", lambda: pdf_pages(1, 100_000_000), UnsafeFileError,
         r"too many pages \(100000000 > 2000 limit\)"),
    Case("pdf-more-pages-than-declared", "pages.pdf", lambda: pdf_pages(60, 1), UnsafeFileError,
         r"too many pages \(more than 50\)", env={"CLAUSEGEN_MAX_PDF_PAGES": "50"}),
    Case("pdf-form-fanout", "fanout.pdf", pdf_form_fanout, UnsafeFileError,
         r"page 1 draws more than 1000 XObjects"),
    Case("pdf-flate-bomb", "flate.pdf", pdf_flate_bomb, UnsafeFileError,
         r"PDF streams inflate past 200 MB \(decompression bomb refused\)"),
    Case("pdf-flate-bomb-lower-limit", "flate-limit.pdf", pdf_flate_bomb, UnsafeFileError,
         r"PDF streams inflate past 10 MB", env={"CLAUSEGEN_MAX_UNZIPPED_BYTES": str(10 * MB)}),
    Case("pdf-layered-flate-bomb", "layers.pdf", pdf_layered_flate_bomb, UnsafeFileError,
         r"PDF streams inflate past 200 MB"),
    Case("pdf-runlength-bomb", "runlength.pdf", pdf_runlength_bomb, UnsafeFileError,
         r"PDF streams inflate past 200 MB"),
    Case("pdf-truncated-flate", "cut-flate.pdf", pdf_truncated_flate, NoTextError, r"no text layer"),
    Case("pdf-long-token", "token.pdf", pdf_long_token, UnsafeFileError,
         r"PDF holds a token \(string, name or number\) longer than 256 KB"),
    Case("pdf-slow-junk-time-limit", "slow.pdf", pdf_slow_junk, UnsafeFileError,
         r"PDF takes too long to read \(more than 2 s limit\)", env={"CLAUSEGEN_MAX_PDF_SECONDS": "2"}),
    Case("pdf-offpage-lines", "offpage.pdf", pdf_offpage_lines, None, read=CLAUSE, cli=False),
    Case("pdf-crowded-page", "crowded.pdf", pdf_crowded_page, UnsafeFileError,
         r"page 1 draws too much \(\d+ characters and shapes > 100000 limit\)"),
    Case("pdf-inline-image-of-e", "inline.pdf", pdf_inline_image_of_e, None, read=CLAUSE, cli=False),
    Case("pdf-is-docx", "really-docx.pdf", base_docx, UnsupportedFileError,
         r"not a PDF file \(looks like a DOCX or zip archive\)"),
    # ---- text, Markdown, HTML ----
    Case("txt-binary-junk", "junk.txt", lambda: bytes(range(256)) * 256, UnsupportedFileError,
         r"binary data, not text"),
    Case("txt-nul-filled", "zeros.txt", lambda: bytes(10 * MB), UnsupportedFileError, r"binary data, not text"),
    Case("txt-is-pdf", "really-pdf.txt", lambda: make_pdf([[[CLAUSE]]]), UnsupportedFileError,
         r"not a text file \(looks like a PDF\)"),
    Case("txt-mixed-encodings", "mixed.txt", mixed_encodings, None, read="naïve façade"),
    Case("txt-1gb-sparse", "big.txt", None, UnsafeFileError, r"file too large \(1024 MB > 50 MB limit\)",
         sparse=1024 * MB),
    Case("txt-size-limit-from-env", "medium.txt", lambda: sample_text() * 200, UnsafeFileError,
         r"file too large \(\d\.\d MB > 1000000 bytes limit\)", env={"CLAUSEGEN_MAX_FILE_BYTES": "1000000"}),
    Case("txt-20mb-one-line", "line.txt", lambda: b"word " * (4 * MB) + CLAUSE.encode(), None, read=CLAUSE),
    Case("txt-20mb-one-line-of-sentences", "sentences.txt",
         lambda: (CLAUSE.encode() + b" ") * (20 * MB // (len(CLAUSE) + 1)), None, read=CLAUSE, cli=False),
    Case("txt-2mb-one-line-of-sentences", "sentences2.txt",
         lambda: (CLAUSE.encode() + b" ") * (2 * MB // (len(CLAUSE) + 1)), None, read=CLAUSE, cli=False),
    Case("md-heading-marks", "hashes.md", lambda: b"#" * (5 * MB) + b"\n\n" + CLAUSE.encode(), None, read=CLAUSE),
    Case("html-unclosed-tags", "tags.html", lambda: b"<p>" + CLAUSE.encode() + b"</p>" + b"<a" * 500_000, None,
         read=CLAUSE),
    Case("html-unclosed-comments", "comments.html",
         lambda: b"<p>" + CLAUSE.encode() + b"</p>" + b"<!--a>" * 300_000, None, read=CLAUSE, cli=False),
    Case("html-unclosed-end-tags", "endtags.html", lambda: b"<p>" + CLAUSE.encode() + b"</p>" + b"</" * 1_000_000,
         None, read=CLAUSE),
    Case("html-unknown-marked-section", "marked.html", lambda: b"<p>" + CLAUSE.encode() + b" <![x y</p>", None,
         read="<![x y", cli=False),
]


@functools.lru_cache(maxsize=None)
def base_docx_rels() -> bytes:
    return zipfile.ZipFile(io.BytesIO(base_docx())).read("_rels/.rels")


@functools.lru_cache(maxsize=None)
def case_bytes(case_id: str) -> bytes:
    case = next(c for c in CASES if c.id == case_id)
    return case.build()


def write_case(case: Case, folder: Path) -> Path:
    path = folder / case.name
    if case.sparse:
        with open(path, "wb") as handle:
            handle.truncate(case.sparse)  # a hole: no disk space used
    else:
        path.write_bytes(case_bytes(case.id))
    return path


def check_message(message: str, name: str, case: Case) -> None:
    assert "\n" not in message, message
    assert message.startswith(f"{name}: "), message
    assert re.search(case.reason, message), (case.reason, message)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_ingest_refuses_or_reads_hostile_file(case, tmp_path):
    limits = Limits.from_env(case.env)
    started = time.monotonic()
    try:
        if case.sparse:
            path = write_case(case, tmp_path)
            document = ingest(path, limits)
        else:
            data = case_bytes(case.id)
            started = time.monotonic()
            document = ingest_bytes(data, case.name, limits)
    except IngestError as exc:
        elapsed = time.monotonic() - started
        assert case.error is not None, f"{case.id} should be read, got {type(exc).__name__}: {exc}"
        assert isinstance(exc, case.error), f"{type(exc).__name__}: {exc}"
        check_message(str(exc), str(tmp_path / case.name) if case.sparse else case.name, case)
    else:
        elapsed = time.monotonic() - started
        assert case.error is None, f"{case.id} should be refused ({case.error.__name__}), but was read"
        assert case.read in document.text
        assert all(document.text[s.start:s.end] == s.text for s in document.sections)
    assert elapsed < INGEST_SECONDS, f"{case.id} took {elapsed:.1f} s"


# ---- the same files through `clausegen review` as a real process (run concurrently: each is mostly start-up) ----

def run_review(path: Path, env: dict) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "clausegen", "review", str(path)], capture_output=True, text=True,
                          cwd=REPO, timeout=600, env={**os.environ, **env})
    return done, time.monotonic() - started


@pytest.fixture(scope="module")
def cli_results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile-cli")
    cases = [c for c in CASES if c.cli]
    paths = {c.id: write_case(c, folder) for c in cases}
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        futures = {c.id: pool.submit(run_review, paths[c.id], c.env) for c in cases}
        return {case_id: (paths[case_id], *future.result()) for case_id, future in futures.items()}


@pytest.mark.parametrize("case", [c for c in CASES if c.cli], ids=lambda c: c.id)
def test_cli_review_refuses_or_reads_hostile_file(case, cli_results):
    path, done, elapsed = cli_results[case.id]
    assert "Traceback" not in done.stderr
    if case.error is None:
        assert done.returncode == 0, done.stderr
        assert "safeguard" in done.stdout
    else:
        assert done.returncode == 2, (done.returncode, done.stdout[-500:], done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr
        assert lines[0].startswith("error: ")
        check_message(lines[0][len("error: "):], str(path), case)
    assert elapsed < CLI_SECONDS, f"{case.id}: clausegen review took {elapsed:.1f} s"


def test_docx_external_dtd_is_never_read(tmp_path):
    """An external DTD is not loaded (load_dtd=False, no network): entities it would define stay undefined."""
    dtd = tmp_path / "evil.dtd"
    dtd.write_text(f'<!ENTITY secret "{SECRET}">')
    data = docx_with({"word/document.xml": document_xml(paragraph(CLAUSE) + paragraph("&secret;"),
                                                         f'<!DOCTYPE w:document SYSTEM "{dtd.as_uri()}">')})
    try:
        document = ingest_bytes(data, "dtd.docx")
    except IngestError as exc:
        assert SECRET not in str(exc) and "\n" not in str(exc)
    else:
        assert SECRET not in document.text


# ---------------------------------------------------------------------------------------------------------------
# Limits from the environment
# ---------------------------------------------------------------------------------------------------------------

def test_limits_from_env_applies_and_validates():
    assert Limits.from_env({}) == Limits()
    limits = Limits.from_env({"CLAUSEGEN_MAX_PDF_PAGES": "5", "CLAUSEGEN_MAX_PDF_SECONDS": "2.5",
                              "CLAUSEGEN_MAX_FILE_BYTES": "1_000_000", "CLAUSEGEN_UNRELATED": "x"})
    assert (limits.max_pdf_pages, limits.max_pdf_seconds, limits.max_file_bytes) == (5, 2.5, 1_000_000)
    for name, value in [("CLAUSEGEN_MAX_PDF_PAGES", "abc"), ("CLAUSEGEN_MAX_XML_DEPTH", "0"),
                        ("CLAUSEGEN_MAX_PDF_SECONDS", "nan"), ("CLAUSEGEN_MAX_ZIP_ENTRIES", "-3"),
                        ("CLAUSEGEN_MAX_PART_RATIO", "1.5")]:
        with pytest.raises(ClausegenError, match=f"^{name}: expected a positive"):
            Limits.from_env({name: value})


def test_ingest_uses_limits_from_env(monkeypatch):
    monkeypatch.setenv("CLAUSEGEN_MAX_FILE_BYTES", "100")
    with pytest.raises(UnsafeFileError, match=r"^x\.txt: file too large \(101 bytes > 100 bytes limit\)$"):
        ingest_bytes(b"a" * 101, "x.txt")


def test_cli_reports_a_bad_limit_variable_once(tmp_path):
    path = tmp_path / "c.txt"
    path.write_bytes(sample_text())
    done = subprocess.run([sys.executable, "-m", "clausegen", "review", str(path)], capture_output=True, text=True,
                          cwd=REPO, timeout=120, env={**os.environ, "CLAUSEGEN_MAX_PDF_PAGES": "lots"})
    assert done.returncode == 2
    assert done.stderr.strip() == "error: CLAUSEGEN_MAX_PDF_PAGES: expected a positive whole number, got 'lots'"


# ---------------------------------------------------------------------------------------------------------------
# Templates and profile values: the Jinja2 sandbox
# ---------------------------------------------------------------------------------------------------------------

ESCAPES = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ lipsum.__globals__ }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ lipsum|attr('__globals__') }}",
    "{{ self.__init__.__globals__ }}",
    "{{ self._TemplateReference__context }}",
    "{{ ref.__globals__ }}",
    "{{ '{0.__class__}'.format(ref) }}",
    "{{ range.__self__ }}",
    "{% include '/etc/passwd' %}",
    "{% include '" + "{secret}" + "' %}",
    "{% import '/etc/passwd' as p %}{{ p }}",
    "{% from '" + "{secret}" + "' import x %}{{ x }}",
    "{% extends '/etc/passwd' %}",
    "{{ range(10**9)|list }}",
    "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
]


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path


@pytest.mark.parametrize("source", ESCAPES)
def test_render_refuses_escapes_and_file_reads(source, secret_file):
    from clausegen.render import render_text

    source = source.replace("{secret}", str(secret_file))
    with pytest.raises(RenderError) as info:
        render_text(source, {"product": "the Product"}, "end_use_standard")
    message = str(info.value)
    assert message.startswith("end_use_standard: ") and "\n" not in message
    assert SECRET not in message and "root:" not in message


@pytest.fixture
def library_copy(tmp_path):
    target = tmp_path / "library"
    shutil.copytree(REPO / "clause_library", target)
    return target


def run_cli(*args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "clausegen", *map(str, args)], capture_output=True, text=True,
                          cwd=REPO, timeout=300, env={**os.environ, **(env or {})})


@pytest.mark.parametrize("source", [
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{% include '{secret}' %}",
    "{% import '{secret}' as s %}{{ s }}",
])
def test_hostile_clause_text_in_a_library_copy(source, library_copy, secret_file, tmp_path):
    clause = library_copy / "clauses" / "end_use_standard" / "text.j2"
    clause.write_text(source.replace("{secret}", str(secret_file)) + "\n" + clause.read_text(encoding="utf-8"),
                      encoding="utf-8")
    out = tmp_path / "out.docx"
    for args in (("library", "validate", "--library", library_copy),
                 ("generate", PROFILES / "facial_recognition_police.yaml", "--kind", "eula", "-o", out,
                  "--library", library_copy)):
        done = run_cli(*args)
        assert done.returncode == 2, done.stdout + done.stderr
        assert "Traceback" not in done.stderr
        assert "end_use_standard" in done.stderr
        assert SECRET not in done.stdout + done.stderr and "uid=" not in done.stdout + done.stderr
    assert not out.exists()


@pytest.mark.parametrize("source", [
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ lipsum.__globals__ }}",
    "{% include '{secret}' %}",
    "{% from '{secret}' import x %}{{ x }}",
])
def test_hostile_document_template_in_a_library_copy(source, library_copy, secret_file, tmp_path):
    template = library_copy / "documents" / "eula.yaml"
    data = yaml.safe_load(template.read_text(encoding="utf-8"))
    data["recitals"]["items"][0] = source.replace("{secret}", str(secret_file))
    template.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    out = tmp_path / "out.docx"
    done = run_cli("generate", PROFILES / "facial_recognition_police.yaml", "--kind", "eula", "-o", out,
                   "--library", library_copy)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert "eula.yaml" in done.stderr  # a LibraryError: a head line, then one line per problem
    assert SECRET not in done.stdout + done.stderr and "uid=" not in done.stdout + done.stderr
    assert not out.exists()
    validated = run_cli("library", "validate", "--library", library_copy)
    assert validated.returncode == 2 and "eula.yaml" in validated.stderr and "Traceback" not in validated.stderr


def test_hostile_profile_values_stay_text(tmp_path, secret_file):
    """Every string of a profile carrying template syntax is written literally: values are context, never source."""
    import docx

    data = yaml.safe_load((PROFILES / "facial_recognition_police.yaml").read_text(encoding="utf-8"))
    payloads = {
        "seller.name": "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
        "counterparty.name": "{{ lipsum.__globals__ }}",
        "product.name": "{{ ''.__class__.__mro__ }}",
        "governing_law": "{% include '" + str(secret_file) + "' %}",
        "variables.authorized_purpose": "{% import '" + str(secret_file) + "' as s %}{{ s }}",
    }
    for dotted, value in payloads.items():
        target = data
        *parents, key = dotted.split(".")
        for part in parents:
            target = target.setdefault(part, {})
        target[key] = value
    profile = tmp_path / "hostile.yaml"
    profile.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    out, memo = tmp_path / "eula.docx", tmp_path / "memo.docx"
    done = run_cli("generate", profile, "--kind", "eula", "-o", out, "--memo", memo)
    assert done.returncode == 0, done.stderr
    for path in (out, memo):
        text = "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
        text += "\n".join(c.text for t in docx.Document(str(path)).tables for r in t.rows for c in r.cells)
        assert SECRET not in text and "uid=" not in text and "<class" not in text
    contract = "\n".join(p.text for p in docx.Document(str(out)).paragraphs)
    for value in payloads.values():
        if "popen" not in value:  # the seller's name, a long one, may be shortened in running headers
            assert value in contract, value


# ---------------------------------------------------------------------------------------------------------------
# Hostile profiles
# ---------------------------------------------------------------------------------------------------------------

def profile_text() -> str:
    return (PROFILES / "facial_recognition_police.yaml").read_text(encoding="utf-8")


BILLION_LAUGHS_YAML = ('variables:\n  a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
                       + "".join(f"  a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]\n" for i in range(1, 9)))


@pytest.mark.parametrize("name, content, message", [
    ("laughs.yaml", lambda: "\n".join(line for line in profile_text().splitlines() if not line.startswith("variables"))
     + "\n" + BILLION_LAUGHS_YAML, r"expands to more than 100,000 values \(YAML aliases\?\)"),
    ("deep.json", lambda: '{"title": ' + "[" * 100_000 + "]" * 100_000 + "}", r"nested too deeply"),
    ("deep.yaml", lambda: "title: " + "[" * 5_000 + "]" * 5_000 + "\n", r"nest|depth"),
    ("bigint.yaml", lambda: profile_text() + "\nvariables:\n  n: " + "9" * 5000 + "\n", r"malformed YAML"),
    ("python.yaml", lambda: profile_text() + "\nvariables:\n  x: !!python/object/apply:os.system ['id']\n",
     r"malformed YAML.*could not determine a constructor"),
    ("large.yaml", lambda: profile_text() + "\n# " + "x" * 1_100_000 + "\n", r"larger than 1000 kB"),
    ("binary.yaml", lambda: "title: \udcff\n", r"not UTF-8"),
])
def test_hostile_profiles_are_refused_in_one_line(name, content, message, tmp_path):
    path = tmp_path / name
    path.write_text(content(), encoding="utf-8", errors="surrogateescape")
    for command in (("assess", path), ("generate", path, "--kind", "eula", "-o", tmp_path / "o.docx")):
        started = time.monotonic()
        done = run_cli(*command)
        assert time.monotonic() - started < CLI_SECONDS
        assert done.returncode == 2, done.stdout[-300:] + done.stderr
        assert "Traceback" not in done.stderr and "internal error" not in done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and str(path) in lines[0] and re.search(message, lines[0]), done.stderr


def test_profile_values_are_not_terminal_markup(tmp_path):
    """rich markup in a name ("[/]", "[bold]") is printed as is: neither a crash nor a changed display."""
    text = profile_text().replace("name: Directorate of Public Security (fictional)",
                                  'name: "[/] Directorate [bold]of[/bold] Security"')
    path = tmp_path / "markup.yaml"
    path.write_text(text + "\n# " + "A" * 500_000 + "\n", encoding="utf-8")
    started = time.monotonic()
    done = run_cli("assess", path)
    assert done.returncode == 0, done.stderr
    assert "[/] Directorate [bold]of[/bold] Security" in done.stdout
    assert time.monotonic() - started < CLI_SECONDS


def test_contract_text_and_names_are_not_terminal_markup(tmp_path):
    path = tmp_path / "terms[bold].txt"
    path.write_text('SOFTWARE LICENCE AGREEMENT\n\nThis Agreement is made between [/] Evil [/bold] Ltd ("Licensor") '
                    f'and Acme [red]Corp[/red] ("Licensee").\n\n1. {CLAUSE}\n', encoding="utf-8")
    done = run_cli("review", path)
    assert done.returncode == 0, done.stderr
    assert f"Review: {path}" in done.stdout


# ---------------------------------------------------------------------------------------------------------------
# Outputs: confined to OUTDIR, never overwritten without --force
# ---------------------------------------------------------------------------------------------------------------

HOSTILE_NAMES = [
    "..docx", "...txt", "-rf.txt", "--output=x.txt", "=HYPERLINK(\"x\").txt", "<img src=x onerror=alert(1)><script>.html",
    "new\nline.txt", "tab\tand\rcr.txt", "\u202egnp.txt", "x" * 240 + ".txt", "spaces   .md", "%2e%2e%2fx.docx",
    "CON.txt", "back\\slash\\..\\..\\x.txt", "quote'\"`$(id).txt",
]


def test_audit_writes_only_inside_outdir_whatever_the_file_names(tmp_path):
    from clausegen.audit import run_audit
    from clausegen.library import load_library

    root = tmp_path / "root"
    folder = root / "contracts" / "deep" / "er"
    folder.mkdir(parents=True)
    text = (REPO / "contract_samples" / "contracts" / "reseller_with_flowdown.txt").read_text(encoding="utf-8")
    for i, name in enumerate(HOSTILE_NAMES):
        path = folder / name
        if name.endswith(".docx"):
            path.write_bytes(base_docx())
        else:
            path.write_text(f"{text}\n\nSchedule {i}.\n", encoding="utf-8")
    (folder / "escape.docx").symlink_to("../../../x.docx")  # dangling, pointing outside the tree
    (folder / "out-link").symlink_to(root)  # a folder symlink back up: a loop, walked once
    outdir = root / "out"
    before = set(tmp_path.rglob("*"))
    summary = run_audit(root / "contracts", outdir, load_library(), jobs=1, progress=False)
    new = set(tmp_path.rglob("*")) - before
    assert [p for p in new if p != outdir and outdir not in p.parents] == []
    assert not (tmp_path / "x.docx").exists() and not (root / "x.docx").exists()
    allowed = {"cache.sqlite", "cache.sqlite-wal", "cache.sqlite-shm", ".clausegen-audit.lock", "results.jsonl",
               "summary.csv", "evidence.csv", "summary.xlsx", "dashboard.html", "skipped.csv"}
    assert {p.name for p in outdir.iterdir()} <= allowed
    rows = read_jsonl(outdir / "results.jsonl")
    documents = {r["document"] for r in rows} | {d for r in rows for d in r["duplicates"]}
    visible = {f"deep/er/{name}" for name in HOSTILE_NAMES if not name.startswith(".")}
    assert visible <= documents, visible - documents
    assert summary.errors == 0, [r["errors"] for r in rows if r["errors"]]
    dashboard = (outdir / "dashboard.html").read_text(encoding="utf-8")
    assert "<img src=x onerror=alert(1)>" not in dashboard and "<script>.html" not in dashboard


def test_generate_never_overwrites_without_force(tmp_path):
    out, memo = tmp_path / "eula.docx", tmp_path / "memo.docx"
    out.write_bytes(b"my signed contract")
    memo.write_bytes(b"my memo")
    profile = PROFILES / "facial_recognition_police.yaml"
    for args in (("-o", out), ("-o", tmp_path / "new.docx", "--memo", memo)):
        done = run_cli("generate", profile, "--kind", "eula", *args)
        assert done.returncode == 2 and "file exists (use --force to overwrite)" in done.stderr
        assert "Traceback" not in done.stderr
    assert out.read_bytes() == b"my signed contract" and memo.read_bytes() == b"my memo"
    assert not (tmp_path / "new.docx").exists()
    dangling = tmp_path / "link.docx"
    dangling.symlink_to(tmp_path / "elsewhere" / "target.docx")
    done = run_cli("generate", profile, "--kind", "eula", "-o", dangling)
    assert done.returncode == 2 and "file exists" in done.stderr
    same = run_cli("generate", profile, "--kind", "eula", "-o", tmp_path / "a.docx", "--memo", tmp_path / "a.docx",
                   "--force")
    assert same.returncode == 2 and "another output" in same.stderr and not (tmp_path / "a.docx").exists()
    into_profile = tmp_path / "profile.yaml"
    into_profile.write_bytes(profile.read_bytes())
    done = run_cli("generate", into_profile, "--kind", "eula", "-o", into_profile, "--force")
    assert done.returncode == 2 and "is also an input" in done.stderr
    assert into_profile.read_bytes() == profile.read_bytes()
    forced = run_cli("generate", profile, "--kind", "eula", "-o", out, "--memo", memo, "--force")
    assert forced.returncode == 0, forced.stderr
    assert out.read_bytes()[:2] == b"PK" and memo.read_bytes()[:2] == b"PK"


def test_review_outputs_never_overwrite_without_force(tmp_path):
    contract = tmp_path / "contract.docx"
    contract.write_bytes((REPO / "contract_samples" / "contracts" / "reseller_with_flowdown.docx").read_bytes())
    original = contract.read_bytes()
    annotated, rider = tmp_path / "annotated.docx", tmp_path / "rider.docx"
    annotated.write_bytes(b"keep me")
    rider.write_bytes(b"keep me too")
    for args in (("--annotate", annotated), ("--rider", rider)):
        done = run_cli("review", contract, *args)
        assert done.returncode == 2 and "file exists (use --force to overwrite)" in done.stderr, done.stderr
    assert annotated.read_bytes() == b"keep me" and rider.read_bytes() == b"keep me too"
    done = run_cli("review", contract, "--annotate", contract, "--force")
    assert done.returncode == 2 and "is also an input" in done.stderr
    done = run_cli("review", contract, "--annotate", tmp_path / "x.docx", "--rider", tmp_path / "x.docx")
    assert done.returncode == 2 and "another output" in done.stderr
    assert contract.read_bytes() == original and not (tmp_path / "x.docx").exists()
    forced = run_cli("review", contract, "--annotate", annotated, "--rider", rider, "--force")
    assert forced.returncode == 0, forced.stderr
    assert annotated.read_bytes()[:2] == b"PK" and rider.read_bytes()[:2] == b"PK"
    assert contract.read_bytes() == original


def test_firm_template_zip_bomb_is_refused(tmp_path):
    template = tmp_path / "firm.docx"
    template.write_bytes(docx_streamed_part("word/media/image9.bin", 300 * MB))
    out = tmp_path / "out.docx"
    done = run_cli("generate", PROFILES / "facial_recognition_police.yaml", "--kind", "eula", "-o", out,
                   "--template", template)
    assert done.returncode == 2 and "zip bomb refused" in done.stderr and str(template) in done.stderr
    assert "Traceback" not in done.stderr and not out.exists()
