"""PDF text layers: lines per page in reading order, running headers and page numbers dropped, paragraphs joined."""

from __future__ import annotations

import io
import logging
import math
import re
from collections import Counter

from clausegen.errors import CorruptFileError, EncryptedFileError, IngestError, NoTextError, UnsafeFileError
from clausegen.model import Section
from clausegen.ingest.limits import Limits, _one_line
from clausegen.ingest.structure import _BULLETS, _Line, _NUMBER_RE, _PAGE_NUMBER_RE, _annotate, _group_lines
from clausegen.ingest.pdfium import FAST_PAGES, page_count, pdfium_page_lines
from clausegen.ingest.pdfguard import _PDF_GUARD, _PdfGuard, _install_pdf_guards, _pdf_classes

# pdfminer logs a warning for every oddity of a damaged PDF; without a handler Python prints them to stderr. Errors
# that matter reach the caller as IngestError; an application that configures logging still receives the records.
logging.getLogger("pdfminer").addHandler(logging.NullHandler())


# ---------------------------------------------------------------- PDF


_CID_RE = re.compile(r"\(cid:\d+\)")
_ZONE_LINES = 3  # lines at the top and at the bottom of a page that may be running headers or footers
# First parts of compounds that keep their hyphen when broken across lines ("non-" + "exclusive").
_COMPOUND_STEMS = frozenset(
    "non self third co cross anti multi semi quasi ex well end full part first second high low long short one two "
    "three four five six seven eight nine ten".split()
)


def _ingest_pdf(data: bytes, name: str, limits: Limits) -> tuple[str, list[Section], dict]:
    """Return (text, sections, what OCR read) of a PDF, with page numbers, running headers and footers dropped;
    the pages `ocr_wanted` picks are read by OCR instead of their text layer. PDFs longer than FAST_PAGES are read
    by PDFium (see pdfium.py), the others by pdfminer."""
    if page_count(data) > FAST_PAGES:
        pages, shares = pdfium_page_lines(data, name, limits)
    else:
        pages, shares = _pdf_page_lines(data, name, limits)
    wanted = ocr_wanted(pages, shares, limits.ocr)
    extras: dict = {}
    if wanted:
        from clausegen.ingest import ocr

        read = ocr.ocr_pages(data, name, wanted, limits)
        for page in read:
            pages[page.number - 1] = page.lines
        extras["ocr"], extras["warnings"] = ocr.summary(read)
    lines = _drop_running_lines(pages)
    if not lines:
        raise NoTextError(f"{name}: no text found by OCR" if wanted else f"{name}: no text layer (scanned?)")
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
    return "\n\n".join(parts), sections, extras


# A page is a scan when images cover this share of it; its text layer is then only a stamp, cover line or Bates
# number when it holds fewer characters than this (a typed page holds 1,500-4,000).
SCAN_IMAGE_SHARE = 0.3
STAMP_CHARS = 200


def ocr_wanted(pages: list[list[tuple[str, float, bool]]], shares: list[float], mode: str) -> list[int]:
    """Return the page numbers (1-based) to read by OCR: all for "always", none for "never"; for "auto" each page
    mostly covered by images whose text layer is no more than a stamp, cover line or Bates number."""
    if mode == "never":
        return []
    if mode == "always":
        return list(range(1, len(pages) + 1))
    return [n for n, (lines, share) in enumerate(zip(pages, shares), start=1)
            if share >= SCAN_IMAGE_SHARE and sum(len(line[0]) for line in lines) < STAMP_CHARS]


def _pdf_page_lines(data: bytes, name: str, limits: Limits) -> tuple[list[list[tuple[str, float, bool]]], list[float]]:
    """Return, per page, its text lines in reading order as (text, top y, starts a text box), and the share of each
    page that images cover."""
    _install_pdf_guards()
    guard = _PdfGuard(name, limits)
    token = _PDF_GUARD.set(guard)
    try:
        result = _pdf_page_lines_guarded(data, name, limits, guard)
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
    return result


def _pdf_page_lines_guarded(data: bytes, name: str, limits: Limits,
                            guard: _PdfGuard) -> tuple[list[list[tuple[str, float, bool]]], list[float]]:
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
    shares: list[float] = []
    for page in PDFPage.create_pages(document):
        if len(pages) >= limits.max_pdf_pages:
            raise UnsafeFileError(f"{name}: too many pages (more than {limits.max_pdf_pages})")
        guard.check()
        guard.page, guard.forms = len(pages) + 1, 0
        # /Rotate is how a viewer turns the page; text is read in the direction it runs (see _text_turn).
        page.rotate, guard.turn = 0, 0
        interpreter.process_page(page)
        layout = device.get_result()
        if guard.turn:
            # pdfminer's page rotation r maps text running at r degrees counter-clockwise to left-to-right.
            page.rotate, guard.forms = {90: 90, 180: 180, 270: 270}[guard.turn], 0
            interpreter.process_page(page)
            layout = device.get_result()
        lines: list[list] = []
        _collect_pdf_lines(layout, layout.bbox, lines)
        pages.append(_attach_labels(lines))
        shares.append(_image_share(layout))
    if not pages:
        raise CorruptFileError(f"{name}: malformed PDF (no pages)")
    return pages, shares


def _image_share(layout) -> float:
    """Return the share (0-1) of a laid-out page that its images cover, overlaps counted twice."""
    from pdfminer.layout import LTFigure, LTImage

    x0, y0, x1, y1 = layout.bbox
    area = max((x1 - x0) * (y1 - y0), 1.0)
    covered = 0.0
    stack = [layout]
    while stack:
        for item in stack.pop():
            if isinstance(item, LTImage):
                width = min(item.x1, x1) - max(item.x0, x0)
                height = min(item.y1, y1) - max(item.y0, y0)
                covered += max(width, 0) * max(height, 0)
            elif isinstance(item, LTFigure):
                stack.append(item)
    return min(covered / area, 1.0)


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
