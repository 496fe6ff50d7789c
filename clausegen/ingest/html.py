"""HTML pages: the visible text, one block per paragraph, heading or table row."""

from __future__ import annotations

import codecs
import re
from html.parser import HTMLParser

from clausegen.errors import NoTextError, UnsupportedFileError
from clausegen.model import Section
from clausegen.ingest.text import _decode, _looks_binary, _sections_from_text, _utf16_guess

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
