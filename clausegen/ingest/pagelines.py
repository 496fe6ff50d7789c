"""Lines of laid-out pages (PDF text layers read by pdfminer or PDFium, OCR), and the layout rules they share:
list labels set apart from their text, running headers and footers, and lines that run to the right margin."""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import NamedTuple

from clausegen.ingest.structure import _BULLETS, _Line, _NUMBER_RE, _PAGE_NUMBER_RE

_ZONE_LINES = 3  # lines at the top and at the bottom of a page that may be running headers or footers
_MARGIN_SHARE = 0.9  # a page's right margin: the right end this share of its lines stay within
_WORD_RE = re.compile(r"\S+")


class PageLine(NamedTuple):
    """One text line of a page, in reading order."""

    text: str
    top: float  # height on the page, larger higher up
    para: bool  # the layout starts a new paragraph (or text box) here
    left: float | None = None  # where the line starts and ends across the page, in points, when the reader knows
    right: float | None = None


def attach_labels(lines: list[list]) -> list[PageLine]:
    """Return a page's lines, given as [text, top, starts a paragraph, left, bottom, right], with bare list labels
    ("(a)", "4.2", "•") joined to the text line beside them.

    A hanging indent sets the label and its text apart (in separate pdfminer layout boxes, or separate PDFium
    segments drawn in any order); without this the labels come out as a column of their own.
    """
    labels = [i for i, line in enumerate(lines) if is_bare_label(line[0])]
    dropped = set()
    starts = {}  # a labelled line starts where its label does
    for i in labels:
        text, _top, _first, _x0, y0, x1 = lines[i]
        middle = (y0 + lines[i][1]) / 2
        best = None
        for j, other in enumerate(lines):
            if j in dropped or j == i or is_bare_label(other[0]):
                continue
            if other[3] >= x1 - 1 and other[4] <= middle <= other[1] and (best is None or other[3] < lines[best][3]):
                best = j
        if best is not None:
            lines[best][0] = f"{text} {lines[best][0]}"
            lines[best][2] = True  # a labelled line starts a paragraph
            starts[best] = lines[i][3]
            dropped.add(i)
    return [PageLine(line[0], line[1], line[2], starts.get(i, line[3]), line[5])
            for i, line in enumerate(lines) if i not in dropped]


def is_bare_label(text: str) -> bool:
    """Return True for a line that is only a clause number or a bullet."""
    return len(text) <= 12 and (bool(_NUMBER_RE.fullmatch(text)) or text in _BULLETS)


def body_lines(pages: list[list[PageLine]]) -> list[_Line]:
    """Return the body lines of all pages: running headers/footers and page-number lines removed; a line that runs
    to its page's right margin is marked `wraps`."""
    zones: list[set[int]] = []
    seen: Counter = Counter()
    for lines in pages:
        by_height = sorted(range(len(lines)), key=lambda i: -lines[i].top)
        zone = set(by_height[:_ZONE_LINES]) | set(by_height[-_ZONE_LINES:])
        zones.append(zone)
        seen.update({_running_key(lines[i].text) for i in zone})
    threshold = max(2, math.ceil(0.5 * len(pages)))
    repeated = {key for key, count in seen.items() if count >= threshold and len(pages) >= 2}
    body: list[_Line] = []
    kept: list[PageLine] = []
    margins: list[float | None] = []
    for page_no, (lines, zone) in enumerate(zip(pages, zones), start=1):
        page = [line for i, line in enumerate(lines)
                if not (i in zone and (_PAGE_NUMBER_RE.fullmatch(line.text) or _running_key(line.text) in repeated))]
        margin = _right_margin(page)
        for line in page:
            body.append(_Line(text=line.text, para=line.para, page=page_no, left=line.left))
            kept.append(line)
            margins.append(margin)
    for k, line in enumerate(kept[:-1]):
        body[k].wraps = _runs_to_margin(line, kept[k + 1].text, margins[k])
    return body


def _right_margin(lines: list[PageLine]) -> float | None:
    """Return the right end that most of a page's lines stay within, or None when the reader gave no positions."""
    rights = sorted(line.right for line in lines if line.right is not None)
    if not rights:
        return None
    return rights[int(_MARGIN_SHARE * (len(rights) - 1))]


def _runs_to_margin(line: PageLine, following: str, margin: float | None) -> bool:
    """Return True when the first word of the following line would not have fit after `line` before the margin:
    the line was broken there by wrapping, not ended."""
    if margin is None or line.left is None or line.right is None or not line.text:
        return False
    word = _WORD_RE.match(following)
    if not word:
        return False
    char_width = (line.right - line.left) / len(line.text)
    return line.right + (len(word.group(0)) + 1) * char_width >= margin


def _running_key(text: str) -> str:
    """Return a line with digits masked, so "Page 3 of 9" and "Page 4 of 9" compare equal."""
    return re.sub(r"\d+", "#", text.lower())
