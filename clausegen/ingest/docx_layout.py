"""DOCX content outside the paragraph flow: text boxes (DrawingML wps:txbx and VML v:textbox) in reading order.

A text box belongs to the paragraph that anchors it. Word's own text boxes hold whole paragraphs; a DOCX that
LibreOffice makes from a PDF holds every line of every page in a box of its own, placed by coordinates. Both come
out as lines, page by page: sorted by position when every box states one, boxes on the same row joined, and a new
paragraph where a box holds several paragraphs or the gap to the row above is wider than the usual line spacing
(or, for large type, than the row's height).
"""

from __future__ import annotations

import re

from clausegen.ingest.pagelines import PageLine
from clausegen.ingest.pdfium import line_step


MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
WP = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"
VML_SHAPES = frozenset(f"{{urn:schemas-microsoft-com:vml}}{local}" for local in ("shape", "rect", "roundrect"))
_EMU = {"pt": 12700, "in": 914400, "cm": 360000, "mm": 36000, "px": 9525, "": 12700}
_VML_POS_RE = re.compile(r"(?:^|;)\s*(margin-top|margin-left|top|left|height)\s*:\s*(-?[\d.]+)\s*(pt|in|cm|mm|px|)")


def text_boxes(p, w) -> list[tuple[tuple[float, float, float] | None, object]]:
    """Return the text boxes (w:txbxContent) a paragraph anchors, each once, with (top, left, height) in EMU when
    its anchor states them. The VML copy that Word writes as the fallback of a DrawingML box is skipped."""
    boxes = []
    for box in p.iter(w.txbxContent):
        node, keep = box.getparent(), True
        while keep and node is not None and node is not p:
            if node.tag == w.txbxContent:
                keep = False  # a box inside a box: its paragraphs are read with the outer box
            elif node.tag == MC + "Fallback":
                keep = not any(True for choice in node.getparent().iterchildren(MC + "Choice")
                               for _ in choice.iter(w.txbxContent))
            node = node.getparent()
        if keep:
            boxes.append((_position(box, p), box))
    return boxes


def _position(box, p) -> tuple[float, float, float] | None:
    """Return (top, left, height) in EMU of a text box from its DrawingML anchor or VML style, else None."""
    node = box.getparent()
    while node is not None and node is not p:
        if node.tag == WP + "anchor":
            top = node.findtext(f"{WP}positionV/{WP}posOffset")
            left = node.findtext(f"{WP}positionH/{WP}posOffset")
            extent = node.find(WP + "extent")
            if top is None or left is None:
                return None
            try:
                return float(top), float(left), float(extent.get("cy", 0)) if extent is not None else 0.0
            except ValueError:
                return None
        if node.tag in VML_SHAPES:
            found = {}
            for key, number, unit in _VML_POS_RE.findall(node.get("style", "")):
                found[key.replace("margin-", "")] = float(number) * _EMU[unit]
            if "top" in found and "left" in found:
                return found["top"], found["left"], found.get("height", 0.0)
            return None
        node = node.getparent()
    return None


def box_pages(boxes, paragraphs) -> list[list[PageLine]]:
    """Return the lines of a paragraph's text boxes in reading order, per page (their `top` is minus the height
    down the page, so larger is higher up); `paragraphs(box)` gives a box's paragraph texts (empty ones left out).

    Boxes that state no position keep document order, one paragraph per line. Positioned boxes come page by page:
    in document order, a box placed far above the one before starts a new page."""
    read = [(where, paragraphs(box)) for where, box in boxes]
    read = [(where, texts) for where, texts in read if texts]
    if not read:
        return []
    if any(where is None for where, _ in read):
        return [[PageLine(text, 0.0, True) for _, texts in read for text in texts]]
    pages: list[list] = [[]]
    for item in read:
        if pages[-1] and item[0][0] < pages[-1][-1][0][0] - _PAGE_RESET:
            pages.append([])
        pages[-1].append(item)
    page_rows = [_rows(sorted(page, key=lambda item: (item[0][0], item[0][1]))) for page in pages]
    steps = [b[0] - a[0] for rows in page_rows for a, b in zip(rows, rows[1:]) if b[0] > a[0]]
    usual = line_step(steps, [row[1] for rows in page_rows for row in rows])
    out = []
    for rows in page_rows:
        lines: list[PageLine] = []
        previous_top, previous_height = None, 0.0
        for top, height, pieces, several in rows:
            # A title set in a large font has wide line spacing of its own: compare with the taller of the two.
            para = previous_top is None or several or top - previous_top > 1.45 * max(usual, previous_height)
            previous_top, previous_height = top, height
            text = " ".join(piece for _, piece in sorted(pieces, key=lambda item: item[0]))
            lines.extend(PageLine(part, -top, para) for part in text.split("\n"))
        out.append(lines)
    return out


_PAGE_RESET = 914400  # one inch, in EMU


def _rows(items) -> list[list]:
    """Return positioned boxes (sorted top to bottom) joined into rows: [top, height, [(left, text)], several
    paragraphs]; single-line boxes at the same height (a list label and its text) share a row."""
    rows: list[list] = []
    for (top, left, height), texts in items:
        row = rows[-1] if rows else None
        if row and len(texts) == 1 and not row[3] and abs(top - row[0]) <= 0.5 * max(min(height, row[1]), 25400):
            row[2].append((left, texts[0]))
        else:
            rows.append([top, height, [(left, "\n".join(texts))], len(texts) > 1])
    return rows

