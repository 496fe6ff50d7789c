"""Turn a contract file (DOCX, PDF, TXT, Markdown, HTML) into a Document of Sections with character offsets.

Files are treated as hostile: sizes, zip parts, XML entities and nesting and PDF pages are bounded by `Limits`, and
every failure is an IngestError (or a subclass) whose one-line message starts with the file name.

Offsets: `document.text[s.start:s.end] == s.text` for every section. For TXT and Markdown, Document.text is the
decoded file with line endings normalised to "\\n", so offsets point into the file's own text. For DOCX, PDF and HTML,
Document.text is the extracted text: one section per block, blocks separated by a blank line ("\\n\\n").

Section.number holds the clause number as displayed, without a final period ("4", "4.2", "(a)", "Section 4",
"ARTICLE V"); Section.heading the nearest heading above (or the section's own heading or leading caption);
Section.index is, for DOCX, the ordinal of the block's first w:p among all w:p elements of the part in document order
(`body.iter(w:p)`), and elsewhere the section's position in Document.sections.
"""

from __future__ import annotations

import codecs
import contextvars
import functools
import hashlib
import io
import logging
import math
import os
import posixpath
import re
import stat
import time
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser

from clausegen.errors import (
    CorruptFileError,
    EncryptedFileError,
    IngestError,
    NoTextError,
    UnsafeFileError,
    UnsupportedFileError,
)
from clausegen.model import Document, Section

MB = 1024 * 1024

# pdfminer logs a warning for every oddity of a damaged PDF; without a handler Python prints them to stderr. Errors
# that matter reach the caller as IngestError; an application that configures logging still receives the records.
logging.getLogger("pdfminer").addHandler(logging.NullHandler())


@dataclass(frozen=True)
class Limits:
    """Safety bounds applied while ingesting one file.

    max_file_bytes: largest input accepted, checked before the file is read (50 MB).
    max_unzipped_bytes: largest declared inflated size of a DOCX, for any one part and for all parts together; for a
      PDF, the most bytes its streams may decode to, all streams together (200 MB).
    max_part_ratio: largest compression ratio (inflated / compressed) of a zip part bigger than 1 MB (200:1).
    max_zip_entries: most entries a DOCX zip may list (10,000).
    max_pdf_pages: most pages a PDF may have; a longer PDF is refused, never silently truncated (2,000).
    max_xml_depth: deepest element nesting accepted in a DOCX XML part (200).
    max_pdf_page_objects: most characters and shapes one PDF page may draw (100,000; dense legal pages draw ~10,000).
    max_pdf_forms: most form XObjects one PDF page may draw, nested ones included (1,000).
    max_pdf_token_bytes: longest single token (string, name, number) in a PDF (256 KB); pdfminer builds tokens in
      quadratic time.
    max_pdf_seconds: longest time spent reading one PDF (120 s).

    `Limits.from_env()` (what `ingest` and `ingest_bytes` use when no Limits is passed) takes each field from the
    environment variable CLAUSEGEN_<FIELD NAME IN CAPITALS> when it is set, e.g. CLAUSEGEN_MAX_PDF_PAGES=5000.
    """

    max_file_bytes: int = 50 * MB
    max_unzipped_bytes: int = 200 * MB
    max_part_ratio: int = 200
    max_zip_entries: int = 10_000
    max_pdf_pages: int = 2000
    max_xml_depth: int = 200
    max_pdf_page_objects: int = 100_000
    max_pdf_forms: int = 1000
    max_pdf_token_bytes: int = 256 * 1024
    max_pdf_seconds: float = 120.0

    @classmethod
    def from_env(cls, environ=None) -> "Limits":
        """Return the default limits with every CLAUSEGEN_<FIELD> environment variable applied."""
        from dataclasses import fields

        from clausegen.errors import ClausegenError

        environ = os.environ if environ is None else environ
        values = {}
        for item in fields(cls):
            name = f"CLAUSEGEN_{item.name.upper()}"
            raw = environ.get(name)
            if raw is None or not raw.strip():
                continue
            kind = float if item.type in (float, "float") else int
            try:
                value = kind(raw.strip().replace("_", ""))
            except ValueError:
                value = None
            if value is None or not value > 0 or value != value or value == float("inf"):
                raise ClausegenError(f"{name}: expected a positive {'number' if kind is float else 'whole number'}, "
                                     f"got {raw.strip()!r}")
            values[item.name] = value
        return cls(**values) if values else DEFAULT_LIMITS


DEFAULT_LIMITS = Limits()

# Ratios are only meaningful for big parts: a 2 KB styles part may well compress 300:1.
_RATIO_FLOOR_BYTES = 1 * MB

_FORMAT_BY_EXTENSION = {
    ".docx": "docx",
    ".pdf": "pdf",
    ".txt": "txt",
    ".text": "txt",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
}
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")  # stream name inside an encrypted OOXML container


# ---------------------------------------------------------------- entry points


def ingest(path, limits: Limits | None = None) -> Document:
    """Return the Document read from the file at `path`; the size is checked before anything is read.

    limits: the safety bounds (default: `Limits.from_env()`, the defaults with CLAUSEGEN_<FIELD> variables applied).
    """
    if limits is None:
        limits = Limits.from_env()
    name = os.fspath(path)
    if isinstance(name, bytes):
        name = os.fsdecode(name)
    try:
        info = os.stat(name)
    except FileNotFoundError:
        raise IngestError(f"{name}: file not found") from None
    except OSError as exc:
        raise IngestError(f"{name}: cannot read file ({exc.strerror or type(exc).__name__})") from None
    if stat.S_ISDIR(info.st_mode):
        raise IngestError(f"{name}: is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise IngestError(f"{name}: not a regular file")  # a FIFO or device could block or never end
    if info.st_size > limits.max_file_bytes:
        raise UnsafeFileError(f"{name}: file too large ({_size(info.st_size)} > {_size(limits.max_file_bytes)} limit)")
    try:
        with open(name, "rb") as handle:
            # Read one byte past the limit: a file that grew (or a device) is still caught.
            data = handle.read(limits.max_file_bytes + 1)
    except OSError as exc:
        raise IngestError(f"{name}: cannot read file ({exc.strerror or type(exc).__name__})") from None
    return ingest_bytes(data, name, limits)


def ingest_bytes(data: bytes, name: str, limits: Limits | None = None) -> Document:
    """Return the Document for `data`, a file called `name`; a pure function of its arguments (and, when `limits`
    is None, of the CLAUSEGEN_<FIELD> limit variables: see `Limits.from_env`)."""
    if limits is None:
        limits = Limits.from_env()
    try:
        fmt = _choose_format(data, name, limits)
        if fmt == "docx":
            text, sections = _ingest_docx(data, name, limits)
        elif fmt == "pdf":
            text, sections = _ingest_pdf(data, name, limits)
        elif fmt == "html":
            text, sections = _ingest_html(data, name)
        else:
            text, sections = _ingest_text(data, name, fmt)
    except IngestError:
        raise
    except Exception as exc:  # a parser bug or a hostile file must not escape as another type
        raise CorruptFileError(f"{name}: cannot parse file ({type(exc).__name__}: {_one_line(exc)})") from exc
    return Document(path=name, format=fmt, text=text, sections=sections, sha256=hashlib.sha256(data).hexdigest())


# ---------------------------------------------------------------- format choice


def _choose_format(data: bytes, name: str, limits: Limits) -> str:
    """Return the format to parse `data` as, refusing unknown extensions and content that contradicts the extension."""
    ext = os.path.splitext(name)[1].lower()
    if ext and ext not in _FORMAT_BY_EXTENSION:
        raise UnsupportedFileError(f"{name}: unsupported file type '{ext}'")
    if len(data) > limits.max_file_bytes:
        raise UnsafeFileError(f"{name}: file too large ({_size(len(data))} > {_size(limits.max_file_bytes)} limit)")
    if not data:
        raise NoTextError(f"{name}: empty file")
    kind = _sniff(data)
    fmt = _FORMAT_BY_EXTENSION.get(ext) or {"zip": "docx", "pdf": "pdf"}.get(kind, "txt")
    if kind == "ole2":
        if fmt == "docx":
            if _ENCRYPTION_INFO in data:
                raise EncryptedFileError(f"{name}: password-protected Office file")
            raise EncryptedFileError(
                f"{name}: password-protected Office file or legacy Word .doc (OLE2 container, not a DOCX zip)"
            )
        raise UnsupportedFileError(f"{name}: not a {_label(fmt)} file (looks like an Office OLE2 file)")
    looks = {"zip": "a DOCX or zip archive", "pdf": "a PDF"}
    if fmt == "docx":
        if kind == "zip":
            return fmt
        what = looks.get(kind) or ("text" if not _looks_binary(_decode_sample(data)) else "unrecognised binary data")
        raise UnsupportedFileError(f"{name}: not a DOCX file (looks like {what})")
    if fmt == "pdf":
        if kind == "pdf":
            return fmt
        what = looks.get(kind) or ("text" if not _looks_binary(_decode_sample(data)) else "unrecognised binary data")
        raise UnsupportedFileError(f"{name}: not a PDF file (looks like {what})")
    if kind in looks:
        raise UnsupportedFileError(f"{name}: not a text file (looks like {looks[kind]})")
    return fmt


def _sniff(data: bytes) -> str:
    """Return what the content looks like: zip, ole2, pdf or text."""
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        return "zip"
    if data[:8] == _OLE2_MAGIC:
        return "ole2"
    # Readers accept junk before the header within the first KB.
    if b"%PDF-" in data[:1024]:
        return "pdf"
    return "text"


def _label(fmt: str) -> str:
    """Return the display name of a format."""
    return {"docx": "DOCX", "pdf": "PDF"}.get(fmt, "text")


# ---------------------------------------------------------------- text decoding


_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")  # tab, newlines and form feed are fine in text


def _decode(data: bytes) -> str:
    """Return `data` decoded: BOM, else BOM-less UTF-16 (alternating NULs), else strict UTF-8, else cp1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return data.decode("utf-32", errors="replace").lstrip("\ufeff")
    if data.startswith(b"\xff\xfe"):
        return data[2:].decode("utf-16-le", errors="replace")
    if data.startswith(b"\xfe\xff"):
        return data[2:].decode("utf-16-be", errors="replace")
    # UTF-16 before UTF-8: ASCII-range UTF-16 (NUL every other byte) is also valid UTF-8.
    utf16 = _utf16_guess(data)
    if utf16:
        try:
            return data.decode(utf16)
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _utf16_guess(data: bytes) -> str:
    """Return "utf-16-le"/"utf-16-be" when NUL bytes alternate as in BOM-less UTF-16 ASCII-range text, else ""."""
    sample = data[:4096]
    half = len(sample) // 2
    if half < 16:  # too short to tell: "0\x00\xc2\x80" is UTF-8 text, not the UTF-16 "0\u80c2"
        return ""
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    if odd_nuls > 0.3 * half and even_nuls < 0.05 * half:
        return "utf-16-le"
    if even_nuls > 0.3 * half and odd_nuls < 0.05 * half:
        return "utf-16-be"
    return ""


def _decode_sample(data: bytes) -> str:
    """Return the decoded first 64 KB, for content sniffing."""
    return _decode(data[:65536])


def _looks_binary(text: str) -> bool:
    """Return True when the text holds too many control characters to be prose."""
    sample = text[:65536]
    bad = len(_CONTROL_RE.findall(sample))
    return bad > max(2, len(sample) // 100)


def _text_from_bytes(data: bytes, name: str) -> str:
    """Return the decoded text with "\\n" line endings, refusing binary data and blank files."""
    text = _decode(data)
    if _looks_binary(text):
        raise UnsupportedFileError(f"{name}: binary data, not text")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise NoTextError(f"{name}: empty file (only whitespace)")
    return text


# ---------------------------------------------------------------- numbers, headings, captions (all formats)


_NUMBER_RE = re.compile(
    r"(?:(?P<word>(?:ARTICLE|Article|SECTION|Section|CLAUSE|Clause)[ \t\u00a0]+"
    r"(?:\d{1,3}(?:\.\d{1,3})*|[IVXLC]{1,7}|[A-Z])|§[ \t\u00a0]*\d{1,3}(?:\.\d{1,3})*)\.?"
    r"|\d{1,3}(?:\.\d{1,3})+\.?"
    r"|\d{1,3}[.)]"
    r"|\((?:\d{1,3}|[a-zA-Z]{1,2}|[ivxlcIVXLC]{1,6})\)"
    r"|(?:[a-zA-Z]|[ivxIVX]{2,5})[.)])"
    r"(?=[\s\u00a0]|$)"
)
_BULLETS = "•●▪■◦‣∙·-–*+\uf0b7"  # \uf0b7: the Symbol-font bullet Word uses
_BULLET_RE = re.compile(f"[{re.escape(_BULLETS)}][ \t\u00a0]")
_MARKUP_RE = re.compile(r"(?:#{1,6}[ \t]+|>[ \t]*|[-*+][ \t]+)?(?:\*\*|__|\*|_)?")
_MARKUP_FIRST = frozenset("#>-*+_")
_DIGIT_RE = re.compile(r"\d")
_CAPTION_RE = re.compile(r"([A-Z][^.!?\n]{0,80}?)[.:](?:\s+|$)")
_SMALL_WORDS = frozenset(
    "a an and as at by for from in into of on or per the to under upon via with without its their our your".split()
)
_ABBREVIATIONS = frozenset("inc ltd co corp llc llp plc no nos art sec para cf vs st mr ms dr".split())
_WORD_RE = re.compile(r"[^\W\d_][\w'’-]*")
# Words that start with a lower-case letter (ASCII or Latin-1).
_LOWER_WORD_RE = re.compile(r"(?<![\w'’-])[a-z\u00df-\u00f6\u00f8-\u00ff][\w'’-]*")


def _strip_markup(text: str) -> str:
    """Return `text` without a leading Markdown heading, quote, list or emphasis marker."""
    if text[:1] not in _MARKUP_FIRST:
        return text
    return text[_MARKUP_RE.match(text).end():]


def _split_number(text: str) -> tuple[str, str]:
    """Return (clause number as displayed without a final period, rest of the text) for a leading clause number."""
    body = _strip_markup(text)
    match = _NUMBER_RE.match(body)
    if not match:
        return "", body
    rest = body[match.end():]
    # "Section 4 shall survive" is a cross-reference that happens to start a line, not a number.
    if match.group("word"):
        after = rest.lstrip(" \t\u00a0.:-–—")
        if after[:1].islower():
            return "", body
    number = " ".join(match.group(0).split()).rstrip(".")
    return number, rest.lstrip().lstrip("*_").lstrip()


def _is_title_case(text: str) -> bool:
    """Return True when every word starts with a capital, small joining words apart."""
    first = _WORD_RE.search(text)
    if not first or not first.group(0)[0].isupper():
        return False
    return all(word in _SMALL_WORDS for word in _LOWER_WORD_RE.findall(text))


def _is_caps(text: str) -> bool:
    """Return True when the text has letters and all of them are capitals."""
    return text.upper() == text and text.lower() != text


def _heading_text(text: str, split: tuple[str, str] | None = None) -> str:
    """Return the heading a short heading-like line states, or "" when the line does not look like a heading.

    `split` is the line's (number, rest) when the caller has already split it.
    """
    if len(text) > 120 or "\n" in text:
        return ""
    number, rest = split or _split_number(text)
    body = rest.strip().lstrip("-–—:.|").strip().rstrip("*_#").strip()
    if not body:
        # A bare "ARTICLE V" line heads what follows; a bare "(a)" or "12." does not.
        return number if number[:1].isalpha() and len(number) > 3 else ""
    # Both title case and capitals start with a capital; most body lines fail here cheaply.
    if body[0].islower() or body[-1] in ",;" or len(body.split()) > 12:
        return ""
    core = body.rstrip(".:").strip()
    if len(core) < 2 or not _WORD_RE.search(core):
        return ""
    caps = _is_caps(core)
    if body.endswith(":") and not caps:
        return ""
    if body.endswith(".") and not caps and not number:
        return ""
    if caps or _is_title_case(core):
        return core
    return ""


def _caption(rest: str) -> str:
    """Return the leading caption of a paragraph's text after its number ("Governing Law. This Agreement ...")."""
    match = _CAPTION_RE.match(rest)
    if not match:
        return ""
    caption = match.group(1).strip()
    if len(caption.split()) > 8 or not (_is_caps(caption) or _is_title_case(caption)):
        return ""
    # "Copyright 2018 Acme, Inc. All rights reserved." is a sentence, not a caption.
    if _DIGIT_RE.search(caption) or caption.rsplit(None, 1)[-1].rstrip(",").lower() in _ABBREVIATIONS:
        return ""
    return caption


def _ends_sentence(text: str) -> bool:
    """Return True when a line ends a sentence or a list entry, so the next line may start a new clause."""
    tail = text.rstrip()
    if not tail:
        return True
    if tail[-1] in ".;:!?":
        return True
    if tail[-1] in "\"”’)" and len(tail) > 1 and tail[-2] in ".;:!?":
        return True
    return tail.endswith((" and", " or"))


def _depth(section: Section, caption_only: bool) -> int:
    """Return how deep a section sits in the outline; smaller is higher.

    Markdown headings sit above every number ("#" -6 .. "######" -1), then ARTICLE/Section numbers and lettered or
    roman headings ("ARTICLE V", "A. DEFINITIONS") 0, "4" 1, "4.2" 2, and list letters and romans ("(a)", "iv") 100.
    Unnumbered headings sit at -7 and close everything; an unnumbered caption sits just above list letters.
    """
    number = section.number
    if section.kind == "heading" and section.text.startswith("#"):
        return len(section.text) - len(section.text.lstrip("#")) - 7
    if not number:
        return 99 if caption_only else -7
    if number[0].isdigit():
        return number.count(".") + 1
    if number[0].isalpha() and " " in number:
        return number.count(".")
    if section.kind == "heading" and number.isupper():
        return 0
    return 100


def _annotate(sections: list[Section]) -> None:
    """Fill number (when not set) and heading of each section, in reading order.

    A heading or a leading caption ("4.2 Term. ...") heads the sections that follow it until a section at the same
    or a higher outline level (see _depth) takes its place.
    """
    open_headings: list[tuple[int, str]] = []  # (depth, heading), highest first
    for section in sections:
        if section.kind == "footnote":
            continue
        number, rest = _split_number(section.text)
        if not section.number:
            section.number = number
        own = ""
        if section.kind == "heading":
            own = _heading_text(section.text, (number, rest))
            if not own:
                own = " ".join(rest.split()).strip(" .:-–—#*_") or " ".join(section.text.split())
        elif section.kind == "paragraph":
            own = _caption(rest)
        if own or section.number:
            depth = _depth(section, caption_only=bool(own))
            while open_headings and open_headings[-1][0] >= depth:
                open_headings.pop()
            if own:
                open_headings.append((depth, own))
        section.heading = own or (open_headings[-1][1] if open_headings else "")
    _number_paths(sections)


_ROMAN_CHARS = frozenset("ivxlc")


def _number_paths(sections: list[Section]) -> None:
    """Fill each numbered section's path: its number joined to the numbers of the clauses it sits in.

    An outline number ("4.2", "Section 7", "ARTICLE V", "IV.") starts a path; a list label ("(a)", "ii)", "b.") continues
    the last one, as a new level when its kind (digits, letters, roman numerals, in either case) is new, else in
    place of the label of that kind and of everything below it. A lone "i", "v", "x", "l" or "c" is a letter
    when it follows the letter before it ("(h)" then "(i)"), else a roman numeral. An unnumbered heading ends
    the path, unless it is the title of the numbered heading just before it."""
    base = ""
    labels: list[tuple[str, str]] = []  # (kind, core) of the open list levels, the highest first
    titled = False  # the section before was a numbered heading ("ARTICLE IV"), whose title may follow
    for section in sections:
        if section.kind == "footnote":
            continue
        number = section.number
        after_number, titled = titled, section.kind == "heading" and bool(number)
        if not number:
            if section.kind == "heading" and not after_number:
                base, labels = "", []
            continue
        core = number.strip("().")
        kind = _label_kind(core, labels)
        if (_depth(section, caption_only=False) < 100 and not number.endswith(")")) or \
                (kind == "ROMAN" and core == number):  # "IV." numbers an article; "(IV)" is a list label
            base, labels = number, []
            section.path = number
            continue
        for k, (open_kind, _) in enumerate(labels):
            if open_kind == kind:
                del labels[k:]
                break
        labels.append((kind, core))
        section.path = base + "".join(f"({label})" for _, label in labels)


def _label_kind(core: str, labels: list[tuple[str, str]]) -> str:
    """Return the kind of a list label: digit, letter or roman, upper-cased for capitals ("LETTER")."""
    if core.isdigit():
        return "digit"
    low = core.lower()
    case = str.upper if core.isupper() else str.lower
    if set(low) <= _ROMAN_CHARS:
        letter = case("letter")
        open_letter = next((c for k, c in labels if k == letter), None)
        if len(low) > 1 or open_letter is None or ord(open_letter.lower()[-1]) + 1 != ord(low):
            return case("roman")
        return letter
    return case("letter")


# ---------------------------------------------------------------- grouping lines into sections (TXT, MD, HTML, PDF)


@dataclass(slots=True)
class _Line:
    """One line (or wide-gap piece) of text, with what markup or layout says about it."""

    text: str  # stripped
    start: int = -1  # offsets into the source text (TXT/MD/HTML); -1 for PDF
    end: int = -1
    para: bool = False  # markup or layout says a new paragraph starts here
    heading: bool = False  # markup says this line is a heading (Markdown '#', HTML h1-h6)
    table: bool = False  # markup says this line is a table row (HTML)
    item: bool = False  # markup says this line starts a list item
    page: int | None = None


def _group_lines(lines: list[_Line]) -> list[tuple[int, int, str]]:
    """Return (first, past-last, kind) line ranges: one per section, in order; kind is heading, table or paragraph."""
    groups: list[list] = []
    previous_heading = False
    previous_ends = True
    for i, line in enumerate(lines):
        para = line.para
        # A sentence that runs on past a page break or text box continues in lower case.
        if para and groups and not previous_ends and not previous_heading and line.text[:1].islower():
            para = False
        at_boundary = para or previous_ends or previous_heading
        heading, item = line.heading, line.item or line.table
        split = ("", "")
        if at_boundary and not heading and not line.table:
            split = _split_number(line.text)
            heading = len(line.text) <= 120 and bool(_heading_text(line.text, split))
            item = item or bool(split[0]) or bool(_BULLET_RE.match(line.text))
        # A title set over several lines ("MASTER SUPPLY" / "AGREEMENT") is one heading.
        continues_heading = previous_heading and heading and not para and not line.heading and not split[0]
        starts = (
            not groups
            or para
            or item
            or groups[-1][2] == "table"
            or ((previous_heading or heading) and not continues_heading)
        )
        kind = "table" if line.table else "heading" if heading else "paragraph"
        if starts:
            groups.append([i, i + 1, kind])
        else:
            groups[-1][1] = i + 1
        previous_heading = heading
        previous_ends = line.table or _ends_sentence(line.text)
    return [(g[0], g[1], g[2]) for g in groups]


_LINE_RE = re.compile(r"[^\n]+")
# PDF-to-text conversions (CUAD) separate paragraphs on one line by runs of spaces; spelled "    +" rather than
# " {4,}" for the regex engine's fast literal search.
_GAP_RE = re.compile(r"    +")
_MD_HEADING_RE = re.compile(r"#{1,6}(?:[ \t]|$)")
_MD_ITEM_RE = re.compile(r"(?:[-*+]|\d{1,3}[.)])[ \t]")


def _text_lines(text: str, fmt: str, markup: dict[int, str] | None = None) -> list[_Line]:
    """Return the non-blank lines of `text` (split at wide space gaps in TXT) with their offsets and markup flags."""
    markup = markup or {}
    lines: list[_Line] = []
    previous_end = -1
    for match in _LINE_RE.finditer(text):
        raw = match.group()
        stripped = raw.strip()
        if not stripped:
            continue
        first = match.start() + len(raw) - len(raw.lstrip())
        last = first + len(stripped)
        # A blank line (two line breaks since the last text) starts a paragraph.
        after_blank = previous_end < 0 or text.count("\n", previous_end, first) > 1
        previous_end = last
        spans = [(first, last)]
        if fmt == "txt" and "    " in stripped:
            spans = []
            cursor = first
            for gap in _GAP_RE.finditer(text, first, last):
                spans.append((cursor, gap.start()))
                cursor = gap.end()
            spans.append((cursor, last))
        for n, (start, end) in enumerate(spans):
            piece = text[start:end]
            if fmt == "txt" and piece[0].isdigit() and _PAGE_NUMBER_RE.fullmatch(piece):
                continue  # a page number left by a PDF-to-text conversion
            kind = markup.get(start)
            lines.append(
                _Line(
                    text=piece,
                    start=start,
                    end=end,
                    para=after_blank or n > 0,
                    heading=kind == "heading" or (fmt == "md" and bool(_MD_HEADING_RE.match(piece))),
                    table=kind == "table",
                    item=fmt == "md" and bool(_MD_ITEM_RE.match(piece)),
                )
            )
    return lines


def _sections_from_text(text: str, fmt: str, markup: dict[int, str] | None = None) -> list[Section]:
    """Return the sections of a text whose offsets are those of `text` itself; markup maps line offsets to
    "heading" or "table" where the source's markup says so."""
    lines = _text_lines(text, fmt, markup)
    sections = []
    for first, last, kind in _group_lines(lines):
        start, end = lines[first].start, lines[last - 1].end
        sections.append(Section(text=text[start:end], start=start, end=end, kind=kind, index=len(sections)))
    _annotate(sections)
    return sections


def _ingest_text(data: bytes, name: str, fmt: str) -> tuple[str, list[Section]]:
    """Return (text, sections) of a plain-text or Markdown file."""
    text = _text_from_bytes(data, name)
    return text, _sections_from_text(text, fmt)


# ---------------------------------------------------------------- HTML


_HTML_BLOCKS = frozenset(
    "address article aside blockquote body caption center dd details dialog div dl dt fieldset figcaption figure "
    "footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table tbody thead tfoot ul".split()
)
_HTML_SKIP = frozenset("script style head noscript template svg math object iframe select button".split())


class _HTMLText(HTMLParser):
    """Collect the visible text of an HTML page as blocks: (text, kind) with kind heading, table or paragraph."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, str]] = []
        self._buffer: list[str] = []
        self._skip = 0
        self._pre = 0
        self._heading = False
        self._cells: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "body":
            self._skip = 0  # </head> may be omitted; <body> ends it
            return
        if tag in _HTML_SKIP:
            self._skip += 1
            return
        if self._skip:
            return
        if tag == "br":
            self._buffer.append("\n")
        elif tag == "tr":
            self._flush()
            self._cells = []
        elif tag in ("td", "th"):
            self._end_cell()
        elif tag in _HTML_BLOCKS:
            if self._cells is None:
                self._flush()
            if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
                self._heading = True
            elif tag == "pre":
                self._pre += 1

    def handle_startendtag(self, tag, attrs):
        if tag == "br" and not self._skip:
            self._buffer.append("\n")

    def handle_endtag(self, tag):
        if tag in _HTML_SKIP:
            self._skip = max(0, self._skip - 1)
            return
        if self._skip:
            return
        if tag == "tr":
            self._end_row()
        elif tag in ("td", "th"):
            self._end_cell()
        elif tag in ("table", "tbody", "thead", "tfoot"):
            self._end_row()
            self._flush()
        elif tag in _HTML_BLOCKS and self._cells is None:
            self._flush()
            if tag == "pre" and self._pre:
                self._pre -= 1

    def handle_data(self, data):
        if not self._skip:
            self._buffer.append(data if self._pre else re.sub(r"\s+", " ", data))

    def close(self):
        super().close()
        self._end_row()
        self._flush()

    def _end_cell(self):
        if self._cells is not None:
            cell = " ".join("".join(self._buffer).split())
            self._buffer = []
            if cell:
                self._cells.append(cell)

    def _end_row(self):
        if self._cells is not None:
            self._end_cell()
            if self._cells:
                self.blocks.append((" | ".join(self._cells), "table"))
            self._cells = None

    def _flush(self):
        lines = [" ".join(line.split()) for line in "".join(self._buffer).split("\n")]
        block = "\n".join(line for line in lines if line)
        if block:
            self.blocks.append((block, "heading" if self._heading else "paragraph"))
        self._buffer = []
        self._heading = False


def _ingest_html(data: bytes, name: str) -> tuple[str, list[Section]]:
    """Return (text, sections) of an HTML page: tags, scripts and styles dropped, one block per paragraph."""
    source = _decode_html(data)
    if _looks_binary(source):
        raise UnsupportedFileError(f"{name}: binary data, not text")
    parser = _HTMLText()
    parser.feed(_defuse_html(source.lstrip("\ufeff")))
    parser.close()
    parts: list[str] = []
    markup: dict[int, str] = {}
    offset = 0
    for block, kind in parser.blocks:
        markup[offset] = kind
        parts.append(block)
        offset += len(block) + 2
    text = "\n\n".join(parts)
    if not text.strip():
        raise NoTextError(f"{name}: no visible text in HTML")
    return text, _sections_from_text(text, "html", markup)


_HTML_OPENER_RE = re.compile(r"<(?:!--|!\[|[!?/]|[a-zA-Z])")
_HTML_CLOSERS = {"comment": re.compile(r"--\s*>"), "marked": re.compile(r"\]\s*\]\s*>"), "ms": re.compile(r"\]\s*>")}
_HTML_SECTION_NAME_RE = re.compile(r"[a-zA-Z][-_.a-zA-Z0-9]*")
_HTML_LONE_LT_RE = re.compile(r"<(?![!?/a-zA-Z])")


def _defuse_html(source: str) -> str:
    """Return the HTML with each "<" that opens a construct the rest of the page never closes written as "&lt;".

    Python's HTMLParser (before 3.12.11 / 3.13.4) searches to the end of the page for the end of every unclosed tag,
    comment or marked section and then moves on by a few characters: 400 KB of "<a" or "<!--a>" takes minutes. Such
    a "<" is text to a browser too, so it stays in the text; closed constructs, all a real page has, are untouched.
    A marked section HTMLParser cannot parse ("<![x") is text as well: HTMLParser would raise on it.
    """
    if "<" not in source:
        return source
    last_gt = source.rfind(">")
    last = {key: -1 for key in _HTML_CLOSERS}
    for key, regex in _HTML_CLOSERS.items():
        for match in regex.finditer(source):
            last[key] = match.start()
    out: list[str] = []
    done = 0
    for match in _HTML_OPENER_RE.finditer(source):
        i, opener = match.start(), match.group()
        if opener == "<!--":
            closed = last["comment"] >= i + 4
        elif opener == "<![":
            name = _HTML_SECTION_NAME_RE.match(source, i + 3)
            kind = name.group().lower() if name else ""
            if kind in ("temp", "cdata", "ignore", "include", "rcdata"):
                closed = last["marked"] >= i + 3
            elif kind in ("if", "else", "endif"):
                closed = last["ms"] >= i + 3
            else:
                closed = False
        else:
            closed = i < last_gt  # a tag is closed by any ">" after it; past the last one nothing can close
        if not closed:
            out.append(source[done:i])
            out.append("&lt;")
            done = i + 1
    if out:
        out.append(source[done:])
        source = "".join(out)
    # A "<" that opens nothing is text to HTMLParser too, but it hands it over one character at a time.
    return _HTML_LONE_LT_RE.sub("&lt;", source)


def _decode_html(data: bytes) -> str:
    """Return HTML decoded by the text rules, except that non-UTF-8 bytes follow a declared <meta charset>."""
    if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")) or _utf16_guess(data):
        return _decode(data)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    match = re.search(rb"""charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", data[:4096], re.I)
    if match:
        try:
            return data.decode(codecs.lookup(match.group(1).decode("ascii")).name, errors="replace")
        except LookupError:
            pass
    return _decode(data)


# ---------------------------------------------------------------- PDF


_PAGE_NUMBER_RE = re.compile(
    r"(?:page[ \t]*)?[-–—]?[ \t]*\d{1,4}[ \t]*[-–—]?(?:[ \t]*(?:of|/)[ \t]*\d{1,4})?", re.IGNORECASE
)
_CID_RE = re.compile(r"\(cid:\d+\)")
_ZONE_LINES = 3  # lines at the top and at the bottom of a page that may be running headers or footers
# First parts of compounds that keep their hyphen when broken across lines ("non-" + "exclusive").
_COMPOUND_STEMS = frozenset(
    "non self third co cross anti multi semi quasi ex well end full part first second high low long short one two "
    "three four five six seven eight nine ten".split()
)


def _ingest_pdf(data: bytes, name: str, limits: Limits) -> tuple[str, list[Section]]:
    """Return (text, sections) of a PDF, with page numbers, running headers and footers dropped."""
    pages = _pdf_page_lines(data, name, limits)
    lines = _drop_running_lines(pages)
    if not lines:
        raise NoTextError(f"{name}: no text layer (scanned?)")
    vocabulary = set(re.findall(r"\w[\w-]*", " ".join(line.text for line in lines).lower()))
    parts: list[str] = []
    sections: list[Section] = []
    offset = 0
    for first, last, kind in _group_lines(lines):
        text = _join_pdf_lines([line.text for line in lines[first:last]], vocabulary)
        sections.append(
            Section(text=text, start=offset, end=offset + len(text), page=lines[first].page, kind=kind,
                    index=len(sections))
        )
        parts.append(text)
        offset += len(text) + 2
    _annotate(sections)
    return "\n\n".join(parts), sections


class _PdfGuard:
    """The bounds on reading one PDF: a deadline, a budget of decoded stream bytes, form XObjects and drawn objects
    per page. pdfminer has no such limits; the hooks below (stream decoders, the interpreter, the layout device and
    the object resolver) consult the guard of the PDF being read through `_PDF_GUARD`."""

    def __init__(self, name: str, limits: Limits):
        self.name = name
        self.limits = limits
        self.deadline = time.monotonic() + limits.max_pdf_seconds
        self.budget = limits.max_unzipped_bytes  # decoded stream bytes still allowed
        self.page = 0
        self.forms = 0
        self.ticks = 0
        self.error: IngestError | None = None

    def fail(self, error: IngestError):
        """Raise `error`, and remember it: pdfminer swallows some exceptions, the refusal must still reach the caller."""
        if self.error is None:
            self.error = error
        raise self.error

    def check(self) -> None:
        """Raise when the PDF has already been refused or its time is up."""
        if self.error is not None:
            raise self.error
        if time.monotonic() > self.deadline:
            self.fail(UnsafeFileError(f"{self.name}: PDF takes too long to read "
                                      f"(more than {self.limits.max_pdf_seconds:g} s limit)"))

    def spend(self, size: int) -> None:
        """Account for `size` decoded stream bytes; raise past the budget."""
        self.budget -= size
        if self.budget < 0:
            self.fail(UnsafeFileError(f"{self.name}: PDF streams inflate past {_size(self.limits.max_unzipped_bytes)} "
                                      "(decompression bomb refused)"))


_PDF_GUARD: contextvars.ContextVar[_PdfGuard | None] = contextvars.ContextVar("clausegen_pdf_guard", default=None)


class _GuardedZlib:
    """Stands in for the zlib module inside pdfminer.pdftypes: inflates no more than the guard's budget, and returns
    what a truncated stream holds (pdfminer would otherwise salvage it one byte at a time, in quadratic time)."""

    error = zlib.error

    def __getattr__(self, attribute):
        return getattr(zlib, attribute)

    @staticmethod
    def decompress(data, *args, **kwargs):
        guard = _PDF_GUARD.get()
        if guard is None:
            return zlib.decompress(data, *args, **kwargs)
        guard.check()
        inflater = zlib.decompressobj()
        out = inflater.decompress(data, max(guard.budget, 0) + 1)
        guard.spend(len(out))
        return out


def _salvage_flate(data: bytes) -> bytes:
    """Linear stand-in for pdfminer's decompress_corrupted: inflate the stream, else all of it but the checksum."""
    guard = _PDF_GUARD.get()
    limit = max(guard.budget, 0) + 1 if guard is not None else 0
    for body in (data, data[:-4]):
        try:
            out = zlib.decompressobj().decompress(body, limit)
        except zlib.error:
            if body is not data or len(data) <= 4:
                raise
            continue
        if guard is not None:
            guard.spend(len(out))
        return out
    raise zlib.error("corrupt stream")  # not reached


def _guarded_lzw(data: bytes) -> bytes:
    """pdfminer's LZW decoder, stopped at the guard's budget (LZW inflates up to ~2,700:1)."""
    from pdfminer.lzw import LZWDecoder

    guard = _PDF_GUARD.get()
    pieces, total = [], 0
    for piece in LZWDecoder(io.BytesIO(data)).run():
        pieces.append(piece)
        total += len(piece)
        if guard is not None and total > guard.budget:
            break
    if guard is not None:
        guard.spend(total)
    return b"".join(pieces)


def _guarded_runlength(data: bytes) -> bytes:
    """RunLengthDecode in linear time and bounded memory (pdfminer's builds a list of ints, 8 bytes per byte)."""
    guard = _PDF_GUARD.get()
    limit = guard.budget if guard is not None else math.inf
    out = bytearray()
    i, n = 0, len(data)
    while i < n and len(out) <= limit:
        length = data[i]
        if length == 128:
            break
        if length < 128:
            out += data[i + 1:i + 2 + length]
            i += length + 2
        else:
            out += data[i + 1:i + 2] * (257 - length)
            i += 2
    if guard is not None:
        guard.spend(len(out))
    return bytes(out)


def _install_pdf_guards() -> None:
    """Make pdfminer safe to run on hostile PDFs, once per process.

    In pdfminer.pdftypes: bounded stream decoders (above). In pdfminer.psparser: a check on every step of the
    tokenizer (the guard's deadline, and tokens longer than `max_pdf_token_bytes`, which pdfminer grows by
    concatenation in quadratic time), and line readers that collect their pieces instead of concatenating them. In
    pdfminer.pdfinterp: inline image data collected the same way. Outside `_pdf_page_lines` (no guard set) all of
    these behave like the originals, in linear time."""
    import pdfminer.pdftypes as pdftypes
    from pdfminer.pdfinterp import PDFContentParser
    from pdfminer.psparser import EOL, PSBaseParser

    if getattr(pdftypes, "_clausegen_guarded", False):
        return
    pdftypes.zlib = _GuardedZlib()
    pdftypes.decompress_corrupted = _salvage_flate
    pdftypes.lzwdecode = _guarded_lzw
    pdftypes.rldecode = _guarded_runlength

    def guarded_fillbuf(original):
        def fillbuf(self):
            guard = _PDF_GUARD.get()
            if guard is not None:
                if len(self._curtoken) > guard.limits.max_pdf_token_bytes:
                    guard.fail(UnsafeFileError(f"{guard.name}: PDF holds a token (string, name or number) longer than "
                                               f"{guard.limits.max_pdf_token_bytes // 1024} KB"))
                guard.ticks += 1
                if guard.ticks & 4095 == 0:
                    guard.check()
            return original(self)

        return fillbuf

    def nextline(self):
        """PSBaseParser.nextline, collecting the pieces of a long line instead of concatenating them."""
        pieces = []
        linepos = self.bufpos + self.charpos
        eol = False
        while True:
            self.fillbuf()
            if eol:
                c = self.buf[self.charpos:self.charpos + 1]
                if c == b"\n":  # b"\r\n"
                    pieces.append(c)
                    self.charpos += 1
                break
            m = EOL.search(self.buf, self.charpos)
            if m:
                pieces.append(self.buf[self.charpos:m.end(0)])
                self.charpos = m.end(0)
                if pieces[-1][-1:] == b"\r":
                    eol = True
                else:
                    break
            else:
                pieces.append(self.buf[self.charpos:])
                self.charpos = len(self.buf)
        return linepos, b"".join(pieces)

    def revreadlines(self):
        """PSBaseParser.revreadlines, collecting the pieces of a long line instead of prepending them."""
        self.fp.seek(0, io.SEEK_END)
        pos = self.fp.tell()
        tail: list[bytes] = []  # the pieces of the line being read, last piece first
        while pos > 0:
            guard = _PDF_GUARD.get()
            if guard is not None:
                guard.check()
            prevpos = pos
            pos = max(0, pos - self.BUFSIZ)
            self.fp.seek(pos)
            chunk = self.fp.read(prevpos - pos)
            if not chunk:
                break
            while True:
                n = max(chunk.rfind(b"\r"), chunk.rfind(b"\n"))
                if n == -1:
                    tail.append(chunk)
                    break
                yield chunk[n:] + b"".join(reversed(tail))
                chunk = chunk[:n]
                tail = []

    def get_inline_data(self, pos, target=b"EI"):
        """PDFContentParser.get_inline_data, collecting the pieces instead of concatenating them."""
        self.seek(pos)
        i = 0
        pieces = []
        while i <= len(target):
            self.fillbuf()
            if i:
                c = bytes((self.buf[self.charpos],))
                pieces.append(c)
                self.charpos += 1
                if (len(target) <= i and c.isspace()) or (i < len(target) and c == bytes((target[i],))):
                    i += 1
                else:
                    i = 0
            else:
                j = self.buf.find(target[0], self.charpos)
                if j >= 0:
                    pieces.append(self.buf[self.charpos:j + 1])
                    self.charpos = j + 1
                    i = 1
                else:
                    pieces.append(self.buf[self.charpos:])
                    self.charpos = len(self.buf)
        data = b"".join(pieces)[: -(len(target) + 1)]
        data = re.sub(rb"(\x0d\x0a|[\x0d\x0a])$", b"", data)
        return pos, data

    PSBaseParser.fillbuf = guarded_fillbuf(PSBaseParser.fillbuf)
    if "fillbuf" in PDFContentParser.__dict__:
        PDFContentParser.fillbuf = guarded_fillbuf(PDFContentParser.fillbuf)
    PSBaseParser.nextline = nextline
    PSBaseParser.revreadlines = revreadlines
    PDFContentParser.get_inline_data = get_inline_data
    pdftypes._clausegen_guarded = True


@functools.cache
def _pdf_classes():
    """Return (document, interpreter, device) classes that consult the current _PdfGuard (made once per process)."""
    from pdfminer.converter import PDFPageAggregator
    from pdfminer.layout import LTChar
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfinterp import PDFPageInterpreter
    from pdfminer.pdftypes import PDFObjRef

    class GuardedDocument(PDFDocument):
        def getobj(self, objid):
            guard = _PDF_GUARD.get()
            if guard is not None:
                guard.check()
            obj = super().getobj(objid)
            # An object that is only a reference to another ("2 0 obj 2 0 R endobj") sends pdfminer's resolve1 round
            # a loop forever: follow such chains here, a bounded number of steps.
            seen = {objid}
            while isinstance(obj, PDFObjRef):
                if obj.objid in seen or len(seen) > 32:
                    if guard is not None:
                        guard.fail(CorruptFileError(f"{guard.name}: malformed PDF (object {objid} refers to itself "
                                                    "through a loop of references)"))
                    return None
                seen.add(obj.objid)
                obj = super().getobj(obj.objid)
            return obj

    class GuardedInterpreter(PDFPageInterpreter):
        def push(self, obj) -> None:
            argstack = self.argstack
            argstack.append(obj)
            if len(argstack) > 4096:  # operators take at most a few operands; a junk stream piles up millions
                del argstack[:2048]
            guard = _PDF_GUARD.get()
            if guard is not None:
                guard.ticks += 1
                if guard.ticks & 1023 == 0:
                    guard.check()
                    items = len(getattr(self.device, "cur_item", ()) or ())
                    if items > guard.limits.max_pdf_page_objects:
                        guard.fail(_too_many_objects(guard, items))

        def pop(self, n: int) -> list:
            if n == 0:
                return []
            x = self.argstack[-n:]
            del self.argstack[-n:]  # in place: pdfminer copies the whole stack on every operator
            return x

        def do_q(self) -> None:
            super().do_q()
            if len(self.gstack) > 4096:  # unbalanced "q" operators: keep the innermost saved states
                del self.gstack[:2048]

        def do_Do(self, xobjid_arg) -> None:
            guard = _PDF_GUARD.get()
            if guard is not None:
                guard.check()
                guard.forms += 1
                if guard.forms > guard.limits.max_pdf_forms:
                    guard.fail(UnsafeFileError(f"{guard.name}: page {guard.page} draws more than "
                                               f"{guard.limits.max_pdf_forms} XObjects (nested forms fanning out?)"))
            super().do_Do(xobjid_arg)

    class GuardedAggregator(PDFPageAggregator):
        def end_page(self, page) -> None:
            guard = _PDF_GUARD.get()
            if guard is not None:
                guard.check()
                # Characters drawn wholly outside the page are invisible; laying them out costs quadratic time.
                x0, y0, x1, y1 = self.cur_item.bbox
                objs = self.cur_item._objs
                kept = [o for o in objs if not (isinstance(o, LTChar) and (o.x1 < x0 or o.x0 > x1 or o.y1 < y0 or
                                                                          o.y0 > y1))]
                if len(kept) != len(objs):
                    self.cur_item._objs = kept
                items = _count_layout_items(kept)
                if items > guard.limits.max_pdf_page_objects:
                    guard.fail(_too_many_objects(guard, items))
            super().end_page(page)

    return GuardedDocument, GuardedInterpreter, GuardedAggregator


def _too_many_objects(guard: _PdfGuard, items: int) -> UnsafeFileError:
    return UnsafeFileError(f"{guard.name}: page {guard.page} draws too much ({items} characters and shapes > "
                           f"{guard.limits.max_pdf_page_objects} limit)")


def _count_layout_items(objs) -> int:
    """Return how many layout objects a page holds, counting inside figures."""
    from pdfminer.layout import LTFigure

    total = 0
    stack = [objs]
    while stack:
        for obj in stack.pop():
            total += 1
            if isinstance(obj, LTFigure):
                stack.append(obj._objs)
    return total


def _pdf_page_lines(data: bytes, name: str, limits: Limits) -> list[list[tuple[str, float, bool]]]:
    """Return, per page, its text lines in reading order as (text, top y, starts a text box)."""
    _install_pdf_guards()
    guard = _PdfGuard(name, limits)
    token = _PDF_GUARD.set(guard)
    try:
        pages = _pdf_page_lines_guarded(data, name, limits, guard)
    except IngestError:
        raise
    except Exception as exc:
        if guard.error is not None:
            raise guard.error from None
        raise CorruptFileError(f"{name}: malformed PDF ({type(exc).__name__}: {_one_line(exc)})") from None
    finally:
        _PDF_GUARD.reset(token)
    if guard.error is not None:  # raised inside pdfminer and swallowed there
        raise guard.error
    return pages


def _pdf_page_lines_guarded(data: bytes, name: str, limits: Limits,
                            guard: _PdfGuard) -> list[list[tuple[str, float, bool]]]:
    from pdfminer.layout import LAParams
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfinterp import PDFResourceManager
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser
    from pdfminer.pdftypes import resolve1

    # Any other exception becomes "malformed PDF" (or the guard's refusal) in _pdf_page_lines.
    document_class, interpreter_class, device_class = _pdf_classes()
    try:
        document = document_class(PDFParser(io.BytesIO(data)))
    except PDFPasswordIncorrect:
        raise EncryptedFileError(f"{name}: encrypted PDF (password required)") from None
    except PDFEncryptionError as exc:
        raise EncryptedFileError(f"{name}: encrypted PDF ({_one_line(exc)})") from None
    try:
        declared = resolve1(resolve1(document.catalog["Pages"])["Count"])
    except IngestError:
        raise
    except Exception:  # a broken page tree is found again below, page by page
        declared = None
    if isinstance(declared, int) and declared > limits.max_pdf_pages:
        raise UnsafeFileError(f"{name}: too many pages ({declared} > {limits.max_pdf_pages} limit)")

    manager = PDFResourceManager(caching=True)
    # all_texts: text drawn inside form XObjects (common in EDGAR filings) is laid out too.
    device = device_class(manager, laparams=LAParams(all_texts=True))
    interpreter = interpreter_class(manager, device)
    pages: list[list[tuple[str, float, bool]]] = []
    for page in PDFPage.create_pages(document):
        if len(pages) >= limits.max_pdf_pages:
            raise UnsafeFileError(f"{name}: too many pages (more than {limits.max_pdf_pages})")
        guard.check()
        guard.page, guard.forms = len(pages) + 1, 0
        interpreter.process_page(page)
        layout = device.get_result()
        lines: list[list] = []
        _collect_pdf_lines(layout, layout.bbox, lines)
        pages.append(_attach_labels(lines))
    if not pages:
        raise CorruptFileError(f"{name}: malformed PDF (no pages)")
    return pages


def _collect_pdf_lines(container, page_box, lines: list) -> None:
    """Append the visible text lines of a layout container as (text, top y, starts a text box), in layout order."""
    from pdfminer.layout import LTFigure, LTTextBox, LTTextLine

    x0, y0, x1, y1 = page_box
    for item in container:
        if isinstance(item, LTFigure):
            _collect_pdf_lines(item, page_box, lines)
            continue
        members = item if isinstance(item, LTTextBox) else [item] if isinstance(item, LTTextLine) else []
        first = True
        for line in members:
            if not isinstance(line, LTTextLine):
                continue
            # Text placed outside the page is clipped away by viewers.
            if line.y1 < y0 or line.y0 > y1 or line.x1 < x0 or line.x0 > x1:
                continue
            text = _clean_pdf_line(line.get_text())
            if text:
                lines.append([text, line.y1, first, line.x0, line.y0, line.x1])
                first = False


def _attach_labels(lines: list[list]) -> list[tuple[str, float, bool]]:
    """Return a page's lines with bare list labels ("(a)", "4.2", "•") joined to the text line beside them.

    A hanging indent puts the label and its text in separate layout boxes; without this the labels come out as a
    column of their own.
    """
    labels = [i for i, line in enumerate(lines) if _is_bare_label(line[0])]
    dropped = set()
    for i in labels:
        text, _top, _first, _x0, y0, x1 = lines[i]
        middle = (y0 + lines[i][1]) / 2
        best = None
        for j, other in enumerate(lines):
            if j in dropped or j == i or _is_bare_label(other[0]):
                continue
            if other[3] >= x1 - 1 and other[4] <= middle <= other[1] and (best is None or other[3] < lines[best][3]):
                best = j
        if best is not None:
            lines[best][0] = f"{text} {lines[best][0]}"
            lines[best][2] = True  # a labelled line starts a paragraph
            dropped.add(i)
    return [(line[0], line[1], line[2]) for i, line in enumerate(lines) if i not in dropped]


def _is_bare_label(text: str) -> bool:
    """Return True for a line that is only a clause number or a bullet."""
    return len(text) <= 12 and (bool(_NUMBER_RE.fullmatch(text)) or text in _BULLETS)


def _clean_pdf_line(text: str) -> str:
    """Return a PDF text line without unmapped glyph codes and with single spaces."""
    if "(cid:" in text:
        text = _CID_RE.sub("", text)
    return " ".join(text.split())


def _drop_running_lines(pages: list[list[tuple[str, float, bool]]]) -> list[_Line]:
    """Return the body lines of all pages: running headers/footers and page-number lines removed."""
    zones: list[set[int]] = []
    seen: Counter = Counter()
    for lines in pages:
        by_height = sorted(range(len(lines)), key=lambda i: -lines[i][1])
        zone = set(by_height[:_ZONE_LINES]) | set(by_height[-_ZONE_LINES:])
        zones.append(zone)
        seen.update({_running_key(lines[i][0]) for i in zone})
    threshold = max(2, math.ceil(0.5 * len(pages)))
    repeated = {key for key, count in seen.items() if count >= threshold and len(pages) >= 2}
    body: list[_Line] = []
    for page_no, (lines, zone) in enumerate(zip(pages, zones), start=1):
        for i, (text, _top, box_start) in enumerate(lines):
            if i in zone and (_PAGE_NUMBER_RE.fullmatch(text) or _running_key(text) in repeated):
                continue
            body.append(_Line(text=text, para=box_start, page=page_no))
    return body


def _running_key(text: str) -> str:
    """Return a line with digits masked, so "Page 3 of 9" and "Page 4 of 9" compare equal."""
    return re.sub(r"\d+", "#", text.lower())


def _join_pdf_lines(lines: list[str], vocabulary: set[str]) -> str:
    """Return the lines of one paragraph joined by spaces, rejoining words hyphenated across line breaks.

    "compli-" + "ance" gives "compliance"; the hyphen stays when the document spells the word with one elsewhere
    ("joint-stock"), or when the first part is a usual compound stem ("non-", "third-") or already hyphenated.
    """
    out = lines[0]
    for line in lines[1:]:
        if out.endswith("-") and len(out) > 1 and out[-2].isalpha() and line[:1].islower():
            stem = re.search(r"[\w-]*-$", out).group(0)[:-1].lower()
            tail = re.match(r"[\w-]*", line).group(0).lower()
            if stem + tail in vocabulary:
                keep = False
            else:
                keep = f"{stem}-{tail}" in vocabulary or stem in _COMPOUND_STEMS or "-" in stem
            out = out + line if keep else out[:-1] + line
        elif out.endswith("\u00ad"):
            out = out[:-1] + line
        else:
            out = out + " " + line
    return out


# ---------------------------------------------------------------- DOCX: zip and XML safety


def _open_zip(data: bytes, name: str, limits: Limits) -> zipfile.ZipFile:
    """Return the zip archive after checking entry count, declared sizes and ratios, before inflating anything."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise CorruptFileError(f"{name}: corrupt zip archive ({_one_line(exc)})") from None
    infos = archive.infolist()
    if len(infos) > limits.max_zip_entries:
        raise UnsafeFileError(f"{name}: zip bomb refused ({len(infos)} entries > {limits.max_zip_entries} limit)")
    limit = _size(limits.max_unzipped_bytes)
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise EncryptedFileError(f"{name}: password-protected zip archive ({info.filename} is encrypted)")
        if info.file_size > limits.max_unzipped_bytes:
            raise UnsafeFileError(f"{name}: zip bomb refused ({info.filename} inflates past {limit})")
        if info.file_size > _RATIO_FLOOR_BYTES:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_part_ratio:
                raise UnsafeFileError(
                    f"{name}: zip bomb refused ({info.filename} compression ratio {ratio:.0f}:1 > "
                    f"{limits.max_part_ratio}:1)"
                )
        total += info.file_size
    if total > limits.max_unzipped_bytes:
        raise UnsafeFileError(f"{name}: zip bomb refused (parts inflate to {_size(total)} in total, past {limit})")
    return archive


def _read_part(archive: zipfile.ZipFile, part: str, name: str) -> bytes:
    """Return a zip part's bytes, reading no more than its declared (already checked) size plus one byte."""
    info = archive.getinfo(part)
    with archive.open(info) as stream:
        raw = stream.read(info.file_size + 1)
    if len(raw) > info.file_size:
        raise UnsafeFileError(f"{name}: zip bomb refused ({part} inflates past its declared size)")
    return raw


_ENTITY_MARKS = tuple("<!ENTITY".encode(codec) for codec in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"))


def _parse_xml(raw: bytes, part: str, name: str, limits: Limits):
    """Return the root element of an XML part, refusing entity declarations, external references and deep nesting."""
    from lxml import etree

    if any(mark in raw for mark in _ENTITY_MARKS):
        raise UnsafeFileError(f"{name}: XML entity declarations refused in {part}")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, remove_comments=True
    )
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as exc:
        if "depth" in str(exc).lower():
            raise UnsafeFileError(f"{name}: XML nesting too deep in {part}") from None
        if "amplification" in str(exc).lower():
            raise UnsafeFileError(f"{name}: XML entity declarations refused in {part}") from None
        raise CorruptFileError(f"{name}: malformed XML in {part} ({_one_line(exc)})") from None
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise UnsafeFileError(f"{name}: XML entity declarations refused in {part}")
    depth = 0
    for event, _element in etree.iterwalk(root, events=("start", "end")):
        depth += 1 if event == "start" else -1
        if depth > limits.max_xml_depth:
            raise UnsafeFileError(
                f"{name}: XML nesting too deep in {part} (more than {limits.max_xml_depth} levels)"
            )
    return root


def _docx_parts(archive: zipfile.ZipFile, name: str, limits: Limits) -> dict[str, str]:
    """Return the zip names of the main document and its styles, numbering, footnotes and endnotes parts."""
    names = set(archive.namelist())
    main = "word/document.xml"
    if "_rels/.rels" in names:
        rels = _parse_xml(_read_part(archive, "_rels/.rels", name), "_rels/.rels", name, limits)
        for rel in rels:
            if rel.get("Type", "").endswith("/officeDocument") and rel.get("TargetMode") != "External":
                main = posixpath.normpath(rel.get("Target", "").lstrip("/")) or main
                break
    if main not in names:
        raise CorruptFileError(f"{name}: missing {main}")
    folder = posixpath.dirname(main)
    parts = {"document": main}
    kinds = ("styles", "numbering", "footnotes", "endnotes")
    defaults = {kind: posixpath.join(folder, f"{kind}.xml") for kind in kinds}
    rels_name = posixpath.join(folder, "_rels", posixpath.basename(main) + ".rels")
    if rels_name in names:
        for rel in _parse_xml(_read_part(archive, rels_name, name), rels_name, name, limits):
            kind = rel.get("Type", "").rsplit("/", 1)[-1]
            if kind in defaults and rel.get("TargetMode") != "External":
                target = rel.get("Target", "")
                path = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
                defaults[kind] = posixpath.normpath(path)
    for kind, path in defaults.items():
        if path in names:
            parts[kind] = path
    return parts


# ---------------------------------------------------------------- DOCX: styles and numbering


class _W:
    """Qualified WordprocessingML tag and attribute names for one namespace (transitional or strict)."""

    def __init__(self, ns: str):
        for local in (
            "p pPr pStyle numPr numId ilvl outlineLvl rPr b caps rStyle r t tab ptab br cr noBreakHyphen "
            "tbl tr tc trPr ins moveFrom moveTo hyperlink smartTag fldSimple customXml sdt sdtContent dir bdo "
            "body style name basedOn abstractNum abstractNumId num lvl start numFmt lvlText lvlRestart isLgl "
            "lvlOverride startOverride numStyleLink footnote endnote footnoteReference endnoteReference "
            "val type styleId id"
        ).split():
            setattr(self, local, f"{{{ns}}}{local}")
        self.del_ = f"{{{ns}}}del"  # "del" is a Python keyword


_W_MAIN = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_OFF = frozenset(("0", "false", "off", "none"))


def _on(element, w: _W) -> bool | None:
    """Return a toggle property's value (w:b, w:caps), or None when it is absent."""
    if element is None:
        return None
    return element.get(w.val, "true").lower() not in _OFF


@dataclass
class _Style:
    """What ingestion uses of one style in styles.xml."""

    name: str
    based_on: str
    num_id: str | None
    ilvl: int | None
    outline: int | None
    bold: bool | None
    caps: bool | None


def _read_styles(root, w: _W) -> dict[str, _Style]:
    """Return the styles part as a map of style id to the properties ingestion uses."""
    styles: dict[str, _Style] = {}
    if root is None:
        return styles
    for element in root.iter(w.style):
        style_id = element.get(w.styleId)
        if not style_id:
            continue
        name_el = element.find(w.name)
        based = element.find(w.basedOn)
        ppr = element.find(w.pPr)
        rpr = element.find(w.rPr)
        num_id, ilvl, outline = None, None, None
        if ppr is not None:
            num_pr = ppr.find(w.numPr)
            if num_pr is not None:
                num_id = _val(num_pr.find(w.numId), w)
                ilvl = _int(_val(num_pr.find(w.ilvl), w))
            outline = _int(_val(ppr.find(w.outlineLvl), w))
        styles[style_id] = _Style(
            name=(_val(name_el, w) or style_id).lower(),
            based_on=_val(based, w) or "",
            num_id=num_id,
            ilvl=ilvl,
            outline=outline,
            bold=_on(rpr.find(w.b), w) if rpr is not None else None,
            caps=_on(rpr.find(w.caps), w) if rpr is not None else None,
        )
    return styles


def _style_chain(styles: dict[str, _Style], style_id: str) -> list[_Style]:
    """Return a style and the styles it is based on, nearest first (cycles cut)."""
    chain = []
    seen = set()
    while style_id and style_id in styles and style_id not in seen and len(chain) < 20:
        seen.add(style_id)
        chain.append(styles[style_id])
        style_id = styles[style_id].based_on
    return chain


def _inherited(chain: list[_Style], attribute: str):
    """Return the first value of `attribute` that is set along a style chain."""
    for style in chain:
        value = getattr(style, attribute)
        if value is not None:
            return value
    return None


@dataclass
class _Level:
    """One level (w:lvl) of a list definition."""

    start: int = 1
    fmt: str = "decimal"
    text: str | None = None
    restart: int | None = None
    legal: bool = False
    style: str = ""


def _read_level(element, w: _W) -> _Level:
    """Return one w:lvl definition."""
    restart = _int(_val(element.find(w.lvlRestart), w))
    text_el = element.find(w.lvlText)
    return _Level(
        start=_int(_val(element.find(w.start), w)) if element.find(w.start) is not None else 1,
        fmt=_val(element.find(w.numFmt), w) or "decimal",
        text=_val(text_el, w) if text_el is not None else None,
        restart=restart,
        legal=_on(element.find(w.isLgl), w) or False,
        style=_val(element.find(w.pStyle), w) or "",
    )


class _Numbering:
    """Compute displayed list labels paragraph by paragraph, as Word counts them."""

    def __init__(self, root, w: _W, styles: dict[str, _Style]):
        self.abstract: dict[str, dict[int, _Level]] = {}
        self.nums: dict[str, tuple[str, dict[int, int], dict[int, _Level]]] = {}
        self.counts: dict[str, list[int | None]] = {}
        self.starts: dict[str, dict[int, int]] = {}  # per abstract list: start overrides of the num last applied
        self.used: set[str] = set()
        if root is None:
            return
        links: dict[str, str] = {}
        for element in root.iter(w.abstractNum):
            abstract_id = element.get(w.abstractNumId)
            levels = {}
            for lvl in element.iter(w.lvl):
                ilvl = _int(lvl.get(w.ilvl))
                if ilvl is not None and 0 <= ilvl < 9:
                    levels[ilvl] = _read_level(lvl, w)
            self.abstract[abstract_id] = levels
            link = _val(element.find(w.numStyleLink), w)
            if link:
                links[abstract_id] = link
        for element in root.iter(w.num):
            num_id = element.get(w.numId)
            abstract_id = _val(element.find(w.abstractNumId), w)
            start_overrides: dict[int, int] = {}
            level_overrides: dict[int, _Level] = {}
            for override in element.iter(w.lvlOverride):
                ilvl = _int(override.get(w.ilvl))
                if ilvl is None or not 0 <= ilvl < 9:
                    continue
                start = _int(_val(override.find(w.startOverride), w))
                if start is not None:
                    start_overrides[ilvl] = start
                lvl = override.find(w.lvl)
                if lvl is not None:
                    level_overrides[ilvl] = _read_level(lvl, w)
            self.nums[num_id] = (abstract_id, start_overrides, level_overrides)
        # An abstract list that only links to a numbering style takes the levels of the list that style names.
        for abstract_id, style_id in links.items():
            target_num = _inherited(_style_chain(styles, style_id), "num_id")
            target = self.nums.get(target_num)
            if target and self.abstract.get(target[0]) and not self.abstract.get(abstract_id):
                self.abstract[abstract_id] = self.abstract[target[0]]

    def level_for_style(self, num_id: str, style_id: str) -> int | None:
        """Return the level of list `num_id` that is tied to paragraph style `style_id`, if any."""
        entry = self.nums.get(num_id)
        if not entry:
            return None
        for ilvl, level in self.abstract.get(entry[0], {}).items():
            if level.style == style_id:
                return ilvl
        return None

    def label(self, num_id: str, ilvl: int) -> tuple[str, bool]:
        """Return (displayed label, is a bullet) for the next paragraph of list `num_id` at level `ilvl`."""
        entry = self.nums.get(num_id)
        if not entry or entry[0] not in self.abstract:
            return "", False
        abstract_id, start_overrides, level_overrides = entry
        levels = dict(self.abstract[abstract_id])
        levels.update(level_overrides)
        if ilvl not in levels:
            return "", False
        counts = self.counts.setdefault(abstract_id, [None] * 9)
        # Lists that share an abstract definition continue each other unless a num restarts a level.
        if num_id not in self.used:
            self.used.add(num_id)
            if start_overrides:
                self.starts[abstract_id] = dict(start_overrides)
                for overridden in start_overrides:
                    counts[overridden] = None
        starts = self.starts.get(abstract_id, {})

        def start_of(k: int) -> int:
            return starts.get(k, levels[k].start if k in levels else 1)

        counts[ilvl] = start_of(ilvl) if counts[ilvl] is None else counts[ilvl] + 1
        for deeper in range(ilvl + 1, 9):
            restart = levels[deeper].restart if deeper in levels else None
            if restart is None or (restart != 0 and ilvl < restart):
                counts[deeper] = None
        level = levels[ilvl]
        if level.fmt == "bullet":
            return (level.text or "").strip(), True
        if level.fmt == "none" or level.text is None:
            return "", False

        def substitute(match: re.Match) -> str:
            k = int(match.group(1)) - 1
            value = counts[k] if counts[k] is not None else start_of(k)
            fmt = levels[k].fmt if k in levels else "decimal"
            if level.legal and k < ilvl:
                fmt = "decimal"
            return _format_number(value, fmt)

        return re.sub(r"%([1-9])", substitute, level.text).strip(), False


def _format_number(value: int, fmt: str) -> str:
    """Return a list counter in a Word number format."""
    if fmt == "none":
        return ""
    if value <= 0 or value > 32767:  # Word counts to 32767; a hostile start of 10**18 would spell a billion letters
        return str(value)
    if fmt in ("lowerLetter", "upperLetter"):
        # Word goes a..z, then aa..zz, aaa..: the letter repeats.
        letter = chr(ord("a") + (value - 1) % 26) * ((value - 1) // 26 + 1)
        return letter if fmt == "lowerLetter" else letter.upper()
    if fmt in ("lowerRoman", "upperRoman"):
        roman = _roman(value)
        return roman.lower() if fmt == "lowerRoman" else roman
    if fmt == "decimalZero":
        return f"{value:02d}"
    if fmt == "ordinal":
        suffix = "th" if 10 <= value % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(value % 10, "th")
        return f"{value}{suffix}"
    return str(value)


def _roman(value: int) -> str:
    """Return `value` in upper-case Roman numerals."""
    out = []
    for number, letters in (
        (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
        (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
    ):
        while value >= number:
            out.append(letters)
            value -= number
    return "".join(out)


def _val(element, w: _W) -> str | None:
    """Return the w:val attribute of an element, or None."""
    return None if element is None else element.get(w.val)


def _int(value) -> int | None:
    """Return `value` as an int, or None when it is absent or not a number."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------- DOCX: body


_SPACES_RE = re.compile(r"[ \t]+")
_INLINE_CONTAINERS_LOCAL = ("ins", "moveTo", "hyperlink", "smartTag", "fldSimple", "customXml", "sdt", "sdtContent",
                            "dir", "bdo")


class _DocxReader:
    """Walk a DOCX body in reading order and produce its sections."""

    def __init__(self, w: _W, styles: dict[str, _Style], numbering: _Numbering, char_bold: dict[str, bool]):
        self.w = w
        self.styles = styles
        self.numbering = numbering
        self.char_bold = char_bold
        self.inline = frozenset(getattr(w, local) for local in _INLINE_CONTAINERS_LOCAL)
        self.blocks: list[tuple[str, str, str, int]] = []  # (text, number, kind, index)
        self.order: dict = {}
        self.notes: list[tuple[str, str]] = []  # (kind, id) of note references in reading order
        self.note_block: dict[tuple[str, str], int] = {}  # note -> index in blocks of the paragraph citing it
        self._carry = ""

    def read_body(self, body) -> None:
        """Append the blocks of the w:body element to self.blocks, in reading order."""
        self.order = {p: i for i, p in enumerate(body.iter(self.w.p))}
        self._blocks(body)
        if self._carry:
            self.blocks.append((self._carry, "", "paragraph", len(self.order)))
            self._carry = ""

    def _blocks(self, container) -> None:
        """Append the paragraphs and tables of a block container (body, cell, content control) to self.blocks."""
        w = self.w
        for child in container:
            tag = child.tag
            if tag == w.p:
                self._paragraph(child)
            elif tag == w.tbl:
                self._table(child)
            elif tag in (w.sdt, w.sdtContent, w.customXml, w.ins, w.moveTo):
                self._blocks(child)

    def _paragraph(self, p) -> None:
        """Append one body paragraph, applying a deleted paragraph mark before it."""
        text, label, number, heading, deleted_mark = self.paragraph_text(p)
        if deleted_mark:
            # Accepting a deleted paragraph mark joins this text to the next paragraph, which keeps its own mark
            # (and so its list label).
            self._carry = f"{self._carry} {text}".strip()
            return
        if self._carry:
            # Text normalisation stripped the space at the junction; a deleted mark almost always sits between words.
            if label and text.startswith(label + " "):
                text = f"{label} {self._carry} {text[len(label) + 1:]}"
            else:
                text = f"{self._carry} {text}".strip()
            self._carry = ""
        if text:
            self.blocks.append((text, number, "heading" if heading else "paragraph", self.order.get(p, 0)))

    def paragraph_text(self, p) -> tuple[str, str, str, bool, bool]:
        """Return (text with its list label, the label, clause number, looks like a heading, mark deleted) of a w:p."""
        w = self.w
        ppr = p.find(w.pPr)
        style_id = ""
        num_id, ilvl, outline = None, None, None
        deleted_mark = False
        if ppr is not None:
            style_id = _val(ppr.find(w.pStyle), w) or ""
            num_pr = ppr.find(w.numPr)
            if num_pr is not None:
                num_id = _val(num_pr.find(w.numId), w)
                ilvl = _int(_val(num_pr.find(w.ilvl), w))
            outline = _int(_val(ppr.find(w.outlineLvl), w))
            mark = ppr.find(w.rPr)
            deleted_mark = mark is not None and (mark.find(w.del_) is not None or mark.find(w.moveFrom) is not None)
        chain = _style_chain(self.styles, style_id)
        if num_id is None:
            num_id = _inherited(chain, "num_id")
            if ilvl is None:
                ilvl = _inherited(chain, "ilvl")
        if outline is None:
            outline = _inherited(chain, "outline")
        style_bold = bool(_inherited(chain, "bold"))
        style_caps = bool(_inherited(chain, "caps"))
        pieces: list[str] = []
        flags = {"plain": False, "lower": False, "runs": 0}
        self._inline(p, pieces, flags, style_bold, style_caps)
        text = "\n".join(
            line for line in (_SPACES_RE.sub(" ", raw).strip() for raw in "".join(pieces).split("\n")) if line
        )
        label, number = "", ""
        if num_id and num_id != "0" and not deleted_mark:
            if ilvl is None:
                ilvl = self.numbering.level_for_style(num_id, style_id) or 0
            label, bullet = self.numbering.label(num_id, min(max(ilvl, 0), 8))
            if bullet:
                label = ""
            number = label.rstrip(".:").strip()
        if label and text:
            text = f"{label} {text}"
        names = [style.name for style in chain]
        styled_heading = any(n == "title" or re.fullmatch(r"heading \d", n) for n in names) or (
            outline is not None and 0 <= outline < 9
        )
        short = 0 < len(text) <= 120 and len(text.split()) <= 14 and text[-1] not in ",;"
        emphasised = flags["runs"] > 0 and (not flags["plain"] or (not flags["lower"] and _is_caps(text)))
        # A heading is styled as one, emphasised, or reads as one (short, Title Case or capitals). Clause paragraphs
        # and list items are often styled as headings: a heading is short, and a sentence ending in a period is not
        # one unless it reads as a caption ("1. SCOPE OF RIGHTS.").
        stated = bool(_heading_text(text)) if short else False
        heading = short and (styled_heading or emphasised or stated) and (not text.endswith(".") or stated)
        return text, label, number, heading, deleted_mark

    def _inline(self, element, pieces: list[str], flags: dict, style_bold: bool, style_caps: bool) -> None:
        """Append the visible text of a paragraph's inline content, accepting tracked insertions and deletions."""
        w = self.w
        for child in element:
            tag = child.tag
            if tag == w.r:
                bold, caps = style_bold, style_caps
                rpr = child.find(w.rPr)
                if rpr is not None:
                    char_style = _val(rpr.find(w.rStyle), w)
                    if char_style in self.char_bold:
                        bold = self.char_bold[char_style]
                    run_bold = _on(rpr.find(w.b), w)
                    bold = bold if run_bold is None else run_bold
                    run_caps = _on(rpr.find(w.caps), w)
                    caps = caps if run_caps is None else run_caps
                for part in child:
                    ptag = part.tag
                    if ptag == w.t:
                        value = part.text or ""
                        pieces.append(value)
                        if value.strip():
                            flags["runs"] += 1
                            if not bold:
                                flags["plain"] = True
                            if not caps and value.upper() != value:
                                flags["lower"] = True
                    elif ptag == w.tab or ptag == w.ptab:
                        pieces.append("\t")
                    elif ptag == w.br:
                        if part.get(w.type) in (None, "textWrapping"):
                            pieces.append("\n")
                    elif ptag == w.cr:
                        pieces.append("\n")
                    elif ptag == w.noBreakHyphen:
                        pieces.append("-")
                    elif ptag == w.footnoteReference or ptag == w.endnoteReference:
                        kind = "footnote" if ptag == w.footnoteReference else "endnote"
                        self.notes.append((kind, part.get(w.id)))
                        self.note_block.setdefault((kind, part.get(w.id)), len(self.blocks))
            elif tag in self.inline:
                # w:del and w:moveFrom are not in self.inline: deleted and moved-away text is dropped.
                self._inline(child, pieces, flags, style_bold, style_caps)

    def _table(self, tbl) -> None:
        """Append a table: one "cell | cell" block per row; a one-cell row's paragraphs as paragraphs."""
        for row in self._rows(tbl):
            cells = self._cells(row)
            if len(cells) == 1:
                # A one-column table is a frame around ordinary paragraphs: keep them as paragraphs.
                self._blocks(cells[0])
                continue
            texts = [self._cell_text(cell) for cell in cells]
            if any(texts):
                first_p = next(cells[0].iter(self.w.p), None)
                index = self.order.get(first_p, 0) if first_p is not None else 0
                self.blocks.append((" | ".join(texts), "", "table", index))

    def _rows(self, tbl) -> list:
        """Return the rows of a table that survive accepting tracked changes."""
        w = self.w
        rows = []
        for child in tbl:
            if child.tag == w.tr:
                trpr = child.find(w.trPr)
                if trpr is None or trpr.find(w.del_) is None:
                    rows.append(child)
            elif child.tag in (w.sdt, w.sdtContent, w.customXml):
                rows.extend(self._rows(child))
        return rows

    def _cells(self, row) -> list:
        """Return the cells of a table row, looking through content controls."""
        w = self.w
        cells = []
        for child in row:
            if child.tag == w.tc:
                cells.append(child)
            elif child.tag in (w.sdt, w.sdtContent, w.customXml):
                cells.extend(self._cells(child))
        return cells

    def _cell_text(self, cell) -> str:
        """Return a cell's paragraphs (with list labels) and nested table rows, one per line."""
        w = self.w
        lines = []
        for child in cell:
            if child.tag == w.p:
                text = self.paragraph_text(child)[0]
                if text:
                    lines.append(text)
            elif child.tag == w.tbl:
                for row in self._rows(child):
                    row_text = " | ".join(self._cell_text(c) for c in self._cells(row))
                    if row_text.strip(" |"):
                        lines.append(row_text)
            elif child.tag in (w.sdt, w.sdtContent, w.customXml):
                inner = self._cell_text(child)
                if inner:
                    lines.append(inner)
        return "\n".join(lines)


def _ingest_docx(data: bytes, name: str, limits: Limits) -> tuple[str, list[Section]]:
    """Return (text, sections) of a DOCX: body paragraphs and tables in reading order, then footnotes and endnotes."""
    archive = _open_zip(data, name, limits)
    parts = _docx_parts(archive, name, limits)
    roots = {kind: _parse_xml(_read_part(archive, part, name), part, name, limits) for kind, part in parts.items()}
    document = roots["document"]
    ns = document.tag[1:].split("}", 1)[0] if document.tag.startswith("{") else _W_MAIN
    w = _W(ns)
    body = document.find(w.body)
    if body is None:
        raise CorruptFileError(f"{name}: {parts['document']} has no w:body")
    styles = _read_styles(roots.get("styles"), w)
    char_bold = {sid: s.bold for sid, s in styles.items() if s.bold is not None}
    reader = _DocxReader(w, styles, _Numbering(roots.get("numbering"), w, styles), char_bold)
    reader.read_body(body)

    sections: list[Section] = []
    parts_text: list[str] = []
    offset = 0

    def add(text: str, number: str, kind: str, index: int, heading: str = "") -> None:
        nonlocal offset
        sections.append(
            Section(text=text, start=offset, end=offset + len(text), number=number, heading=heading, kind=kind,
                    index=index)
        )
        parts_text.append(text)
        offset += len(text) + 2

    for text, number, kind, index in reader.blocks:
        add(text, number, kind, index)
    _annotate(sections)

    body_count = len(sections)
    for kind, fmt in (("footnote", "decimal"), ("endnote", "lowerRoman")):
        root = roots.get(kind + "s")
        if root is None:
            continue
        notes = _read_notes(root, w, kind, reader)
        cited = [note_id for note_kind, note_id in reader.notes if note_kind == kind]
        for n, note_id in enumerate(dict.fromkeys(cited), start=1):
            if note_id not in notes:
                continue
            text, index = notes[note_id]
            citing = reader.note_block.get((kind, note_id), -1)
            heading = sections[min(citing, body_count - 1)].heading if 0 <= citing and body_count else ""
            add(text, _format_number(n, fmt), "footnote", index, heading)
    if not sections:
        raise NoTextError(f"{name}: no text in document")
    return "\n\n".join(parts_text), sections


def _read_notes(root, w: _W, kind: str, reader: _DocxReader) -> dict[str, tuple[str, int]]:
    """Return the footnotes (or endnotes) part as id -> (text, ordinal of its first w:p in the part)."""
    order = {p: i for i, p in enumerate(root.iter(w.p))}
    tag = w.footnote if kind == "footnote" else w.endnote
    notes = {}
    for note in root.iter(tag):
        if note.get(w.type) not in (None, "normal"):
            continue  # separators and continuation notices
        lines = []
        for p in note.iter(w.p):
            text = reader.paragraph_text(p)[0]
            if text:
                lines.append(text)
        if lines:
            first = next(note.iter(w.p))
            notes[note.get(w.id)] = ("\n".join(lines), order.get(first, 0))
    return notes


# ---------------------------------------------------------------- small helpers


def _size(n: int) -> str:
    """Return a byte count for messages ("50 MB", "3.2 MB", "900 bytes")."""
    if n >= MB:
        return f"{n // MB} MB" if n % MB == 0 else f"{n / MB:.1f} MB"
    return f"{n} bytes"


def _one_line(exc: BaseException) -> str:
    """Return the first line of an exception's message, shortened."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else ""
    return text if len(text) <= 200 else text[:197] + "..."
