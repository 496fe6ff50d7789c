"""Long PDFs read by PDFium (pypdfium2): text lines with their positions, about 15x faster than pdfminer's layout.

pdfminer builds an object per character and lays the page out in Python (~0.1 s a page), which puts a 2,000-page
contract past the read time limit. A PDF longer than FAST_PAGES is read here instead: PDFium's own text of each
page, line by line in its reading order, lines at the same height joined, list labels drawn apart joined to their
text, and a new paragraph where the gap to the line above is clearly wider than the document's usual line spacing.
The lines feed the same running-header, paragraph and outline logic as pdfminer's (see pagelines.py and pdf.py).
"""

from __future__ import annotations

import re
import time
import unicodedata

from clausegen.errors import UnsafeFileError
from clausegen.ingest.limits import Limits
from clausegen.ingest.pagelines import PageLine, attach_labels, is_bare_label

FAST_PAGES = 200  # PDFs with more pages than this are read by PDFium
_LINE_RE = re.compile("[^\r\n\ufffe]+\ufffe?|\ufffe")  # a line, up to a line break or a hyphen that ends it
_HYPHENS = str.maketrans({"\ufffe": "-", "\x02": "-"})


def page_count(data: bytes) -> int:
    """Return the number of pages PDFium finds, or 0 when it cannot open the PDF (pdfminer then says why)."""
    import pypdfium2

    try:
        pdf = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError:
        return 0
    try:
        return len(pdf)
    finally:
        pdf.close()


def pdfium_page_lines(data: bytes, name: str, limits: Limits) -> tuple[list[list[PageLine]], list[float]]:
    """Return, per page, its text lines in reading order, and the share of each page that images cover; refuse PDFs
    over the page and time limits."""
    import pypdfium2
    import pypdfium2.raw as pdfium_c

    pdf = pypdfium2.PdfDocument(data)
    deadline = time.monotonic() + limits.max_pdf_seconds
    page_rows, shares = [], []
    try:
        if len(pdf) > limits.max_pdf_pages:
            raise UnsafeFileError(f"{name}: too many pages ({len(pdf)} > {limits.max_pdf_pages} limit)")
        for number in range(len(pdf)):
            if time.monotonic() > deadline:
                raise UnsafeFileError(f"{name}: PDF takes too long to read (more than {limits.max_pdf_seconds:g} s "
                                      "limit)")
            page = pdf[number]
            textpage = page.get_textpage()
            try:
                page_rows.append(_rows(_segments(textpage)))
                width, height = page.get_size()
                covered = 0.0
                for image in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=4):
                    x0, y0, x1, y1 = image.get_bounds()
                    covered += max(min(x1, width) - max(x0, 0), 0) * max(min(y1, height) - max(y0, 0), 0)
                shares.append(min(covered / max(width * height, 1.0), 1.0))
            finally:
                textpage.close()
                page.close()
    finally:
        pdf.close()
    # The line spacing of the whole document: a page of single-line paragraphs (a signature block) has no line
    # step of its own.
    steps = [a[0] - b[0] for rows in page_rows for a, b in zip(rows, rows[1:]) if a[0] > b[0]]
    usual = line_step(steps, [row[0] - row[1] for rows in page_rows for row in rows])
    return [_lines(rows, usual) for rows in page_rows], shares


def _segments(textpage) -> list[tuple[str, float, float, float, float]]:
    """Return the lines PDFium finds on a page, in its reading order, as (text, left, bottom, top, right); the
    height is the font's (ascent to descent) of the first character, as pdfminer measures lines."""
    text = textpage.get_text_range()  # one character per index; PDFium puts "\r\n" between lines
    segments = []
    for match in _LINE_RE.finditer(text):
        raw = match.group(0)
        if raw.isspace():
            continue
        first = match.start() + len(raw) - len(raw.lstrip())
        last = match.start() + len(raw.rstrip()) - 1
        left, bottom, _, top = textpage.get_charbox(first, loose=True)
        right = textpage.get_charbox(last, loose=True)[2]
        # PDFium marks a hyphen that ends a line as \ufffe (or \x02) and runs the line on; pdfminer reads "-". NFC:
        # PDFium may give a semicolon as U+037E, the Greek question mark, which NFC maps to ";".
        line = unicodedata.normalize("NFC", " ".join(raw.translate(_HYPHENS).split()))
        segments.append((line, left, bottom, top, max(right, left)))
    return segments


def _rows(segments: list[tuple[str, float, float, float, float]]) -> list[list]:
    """Return a page's segments (text, left, bottom, top, right) joined into rows: [top, bottom, [(left, right,
    text)]], segments that follow each other at the same height in one row."""
    rows: list[list] = []
    for text, left, bottom, top, right in segments:
        row = rows[-1] if rows else None
        if row and abs((top + bottom) / 2 - (row[0] + row[1]) / 2) <= 0.5 * max(min(top - bottom, row[0] - row[1]), 1):
            row[2].append((left, right, text))
        else:
            rows.append([top, bottom, [(left, right, text)]])
    return rows


def _lines(rows: list[list], usual: float) -> list[PageLine]:
    """Return a page's rows as lines, a new paragraph where the gap to the row above is clearly wider than the usual
    line spacing (or, for large type, than the row's height); list labels set apart from their text are joined to
    it, as pdfminer's lines are (see attach_labels)."""
    lines = []
    previous = None
    for top, bottom, pieces in rows:
        para = previous is None or not 0 < previous[0] - top <= 1.45 * max(usual, previous[0] - previous[1])
        previous = (top, bottom)
        pieces.sort()
        # A label set apart from its text (a hanging indent) starts a paragraph: pdfminer boxes the two apart.
        para = para or (len(pieces) > 1 and is_bare_label(pieces[0][2]))
        lines.append([" ".join(text for _, _, text in pieces), top, para, pieces[0][0], bottom,
                      max(right for _, right, _ in pieces)])
    return attach_labels(lines)  # labels drawn apart from their row's text (after all of it, say)


def line_step(steps: list[float], heights: list[float]) -> float:
    """Return the line spacing within a paragraph: the smallest step between rows that is at least 80% of the usual
    row height (a superscript or a row split by a few points steps less); paragraph gaps may outnumber line steps."""
    if not steps:
        return 0.0
    height = sorted(heights)[len(heights) // 2]
    return min((step for step in steps if step >= 0.8 * height), default=0.0)
