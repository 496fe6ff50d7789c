"""Plain text and Markdown: decoding (BOMs, UTF-16, UTF-8, cp1252) and sections with offsets into the file's text."""

from __future__ import annotations

import re

from clausegen.errors import NoTextError, UnsupportedFileError
from clausegen.model import Section
from clausegen.ingest.structure import (_BULLET_RE, _Line, _PAGE_NUMBER_RE, _annotate, _ends_sentence, _group_lines,
                                        _split_number)

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


_LINE_RE = re.compile(r"[^\n]+")
_FILING_FOOTER_RE = re.compile(r"Source: [^\n]{1,120}, \d{1,2}/\d{1,2}/\d{4}")  # "Source: ACME CORP, 8-K, 6/4/2008"
# PDF-to-text conversions (CUAD) separate paragraphs on one line by runs of spaces; spelled "    +" rather than
# " {4,}" for the regex engine's fast literal search.
_GAP_RE = re.compile(r"    +")
_MD_HEADING_RE = re.compile(r"#{1,6}(?:[ \t]|$)")
_MD_ITEM_RE = re.compile(r"(?:[-*+]|\d{1,3}[.)])[ \t]")
_MD_HEADING_LINE_RE = re.compile(r"^#{1,6}[ \t]+\S", re.MULTILINE)
MD_SNIFF_CHARS, MD_SNIFF_HEADINGS = 50_000, 3  # Markdown headings at the start of a .txt file that make it Markdown


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
            if fmt == "txt" and piece.startswith("Source: ") and _FILING_FOOTER_RE.fullmatch(piece):
                continue  # the footer of every page of a contract taken from an SEC filing, inside its sentences
            # a gap is where the conversion put a paragraph break, or a line break inside a sentence ("No Joint
            # Venturer shall"): after words that do not end a sentence, only a clause number or bullet starts one;
            # "... practice and" before a lower-case word goes on ("and such practice continues uncured ...")
            gap_break = n > 0 and (not lines or _ends_sentence(lines[-1].text, list_entry=not piece[0].islower())
                                   or bool(_split_number(piece)[0]) or bool(_BULLET_RE.match(piece)))
            kind = markup.get(start)
            lines.append(
                _Line(
                    text=piece,
                    start=start,
                    end=end,
                    para=after_blank if n == 0 else gap_break,
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
    """Return (text, sections) of a plain-text or Markdown file; a .txt file written in Markdown (published terms
    saved from the web: "## 5. Termination") is laid out as Markdown."""
    text = _text_from_bytes(data, name)
    if fmt == "txt" and len(_MD_HEADING_LINE_RE.findall(text, 0, MD_SNIFF_CHARS)) >= MD_SNIFF_HEADINGS:
        fmt = "md"
    return text, _sections_from_text(text, fmt)
