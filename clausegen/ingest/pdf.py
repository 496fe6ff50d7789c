"""PDF text layers: lines per page in reading order, running headers and page numbers dropped, paragraphs joined."""

from __future__ import annotations

import io
import logging
import re

from clausegen.errors import CorruptFileError, EncryptedFileError, IngestError, NoTextError, UnsafeFileError
from clausegen.model import Section
from clausegen.ingest.limits import Limits, _one_line
from clausegen.ingest.structure import _annotate, _group_lines
from clausegen.ingest.pagelines import PageLine, attach_labels, body_lines, is_bare_label
from clausegen.ingest.pdfium import FAST_PAGES, page_count, pdfium_page_lines
from clausegen.ingest.pdfguard import _PDF_GUARD, _PdfGuard, _install_pdf_guards, _pdf_classes

# pdfminer logs a warning for every oddity of a damaged PDF; without a handler Python prints them to stderr. Errors
# that matter reach the caller as IngestError; an application that configures logging still receives the records.
logging.getLogger("pdfminer").addHandler(logging.NullHandler())


# ---------------------------------------------------------------- PDF


_CID_RE = re.compile(r"\(cid:\d+\)")
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
    lines = body_lines(pages)
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


def ocr_wanted(pages: list[list[PageLine]], shares: list[float], mode: str) -> list[int]:
    """Return the page numbers (1-based) to read by OCR: all for "always", none for "never"; for "auto" each page
    mostly covered by images whose text layer is no more than a stamp, cover line or Bates number."""
    if mode == "never":
        return []
    if mode == "always":
        return list(range(1, len(pages) + 1))
    return [n for n, (lines, share) in enumerate(zip(pages, shares), start=1)
            if share >= SCAN_IMAGE_SHARE and sum(len(line.text) for line in lines) < STAMP_CHARS]


def _pdf_page_lines(data: bytes, name: str, limits: Limits) -> tuple[list[list[PageLine]], list[float]]:
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
                            guard: _PdfGuard) -> tuple[list[list[PageLine]], list[float]]:
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
    pages: list[list[PageLine]] = []
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
        pages.append(attach_labels(_join_pieces(lines)))
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
    """Append the visible text lines of a layout container as [text, top y, starts a text box, left, bottom, right,
    the box's lines], in layout order."""
    from pdfminer.layout import LTFigure, LTTextBox, LTTextLine

    x0, y0, x1, y1 = page_box
    for item in container:
        if isinstance(item, LTFigure):
            _collect_pdf_lines(item, page_box, lines)
            continue
        members = item if isinstance(item, LTTextBox) else [item] if isinstance(item, LTTextLine) else []
        box: list[str] = []
        for line in members:
            if not isinstance(line, LTTextLine):
                continue
            # Text placed outside the page is clipped away by viewers.
            if line.y1 < y0 or line.y0 > y1 or line.x1 < x0 or line.x0 > x1:
                continue
            text = _clean_pdf_line(line.get_text())
            if text:
                lines.append([text, line.y1, not box, line.x0, line.y0, line.x1, box])
                box.append(text)


_BAND_PIECES = 64  # most line pieces on one baseline band that _join_pieces compares


def _join_pieces(lines: list[list]) -> list[list]:
    """Return a page's lines ([text, top, starts a box, left, bottom, right, the box's lines]) as [text, top, starts a
    box, left, bottom, right], the pieces of one line joined: pdfminer cuts a justified line at its wide word gaps,
    and may box a piece apart, out of reading order. Pieces on one baseline less than 1.5 line heights apart are
    one line when they share a box or one of them is a box of its own (a table's cells of several lines are not);
    bare list labels are left to attach_labels."""
    out: list[list] = []
    gone: set[int] = set()  # ids of lines joined into another
    bands: dict[int, list[list]] = {}  # kept lines by baseline, in 3-point bands, to find pieces quickly

    def mate_of(line: list) -> list | None:
        band = int(line[4] // 3)
        # A band crowded past _BAND_PIECES is no line of text (a hostile page draws 100,000 glyphs on one
        # baseline): it is not searched, which keeps the work linear.
        return next((other for k in (band - 1, band, band + 1) if len(bands.get(k, ())) <= _BAND_PIECES
                     for other in bands.get(k, ())
                     if other is not line and id(other) not in gone and _same_line(line, other)), None)

    for piece in lines:
        target = None if is_bare_label(piece[0]) else mate_of(piece)
        if target is None:
            out.append(piece)
            bands.setdefault(int(piece[4] // 3), []).append(piece)
            continue
        _merge_piece(target, piece)  # the piece read first keeps its place
        while (other := mate_of(target)) is not None:  # the joined line may now reach a piece read earlier
            _merge_piece(target, other)
            gone.add(id(other))
    return [line[:6] for line in out if id(line) not in gone]


def _same_line(a: list, b: list) -> bool:
    """Return True when two line pieces share a baseline and stand close enough to be one line."""
    if is_bare_label(b[0]) or not (a[6] is b[6] or len(a[6]) == 1 or len(b[6]) == 1):
        return False
    height = max(min(a[1] - a[4], b[1] - b[4]), 1.0)
    gap = max(a[3] - b[5], b[3] - a[5])
    return abs(a[4] - b[4]) <= 0.25 * height and -1 <= gap <= 1.5 * height


def _merge_piece(line: list, piece: list) -> None:
    """Join `piece` into `line`, in left-to-right order."""
    line[0] = f"{piece[0]} {line[0]}" if piece[3] < line[3] else f"{line[0]} {piece[0]}"
    line[3], line[5] = min(line[3], piece[3]), max(line[5], piece[5])


def _clean_pdf_line(text: str) -> str:
    """Return a PDF text line without unmapped glyph codes and with single spaces."""
    if "(cid:" in text:
        text = _CID_RE.sub("", text)
    return " ".join(text.split())


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
