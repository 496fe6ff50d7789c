"""DOCX bodies: paragraphs, tables, text boxes, embedded HTML and RTF (altChunk), footnotes and endnotes in reading
order, tracked changes accepted and hidden text (w:vanish) left out."""

from __future__ import annotations

import re

from clausegen.errors import CorruptFileError, NoTextError
from clausegen.model import Section
from clausegen.ingest.docx_layout import box_pages, text_boxes
from clausegen.ingest.html import _ingest_html
from clausegen.ingest.limits import Limits
from clausegen.ingest.pdf import _join_pdf_lines
from clausegen.ingest.pagelines import body_lines
from clausegen.ingest.rtf import _ingest_rtf, is_rtf
from clausegen.ingest.structure import _annotate, _group_lines, _heading_text, _is_caps
from clausegen.ingest.ooxml import _docx_parts, _open_zip, _parse_xml, _read_part
from clausegen.ingest.numbering import (
    _Numbering,
    _Style,
    _W,
    _W_MAIN,
    _format_number,
    _inherited,
    _int,
    _on,
    _read_styles,
    _style_chain,
    _val,
)

# ---------------------------------------------------------------- DOCX: body


_SPACES_RE = re.compile(r"[ \t]+")
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_INLINE_CONTAINERS_LOCAL = ("ins", "moveTo", "hyperlink", "smartTag", "fldSimple", "customXml", "sdt", "sdtContent",
                            "dir", "bdo")


class _DocxReader:
    """Walk a DOCX body in reading order and produce its sections."""

    def __init__(self, w: _W, styles: dict[str, _Style], numbering: _Numbering, chunks=None):
        self.w = w
        self.styles = styles
        self.numbering = numbering
        self.char_bold = {sid: s.bold for sid, s in styles.items() if s.bold is not None}
        self.char_hidden = {sid: s.hidden for sid, s in styles.items() if s.hidden is not None}
        self.chunks = chunks  # altChunk relationship id -> [(text, kind)] of the embedded document
        self.hidden_chars = 0  # characters of hidden text left out
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
            elif tag == w.altChunk and self.chunks is not None:
                index = self.blocks[-1][3] if self.blocks else 0
                for text, kind in self.chunks(child.get(_R_ID, "")):
                    self.blocks.append((text, "", kind, index))

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
        self._text_boxes(p)

    def _text_boxes(self, p) -> None:
        """Append the text boxes a paragraph anchors, as paragraphs in reading order (see docx_layout)."""
        w = self.w
        pages = box_pages(text_boxes(p, w), lambda box: [t for t in (self.paragraph_text(q)[0] for q in
                                                                    box.iter(w.p)) if t])
        lines = body_lines(pages) if pages else []  # page numbers of a LibreOffice-from-PDF layout
        if not lines:
            return
        vocabulary = set(re.findall(r"\w[\w-]*", " ".join(line.text for line in lines).lower()))
        for first, last, kind in _group_lines(lines):
            text = _join_pdf_lines([line.text for line in lines[first:last]], vocabulary)
            self.blocks.append((text, "", kind, self.order.get(p, 0)))

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
        flags = {"plain": False, "lower": False, "runs": 0, "hidden": bool(_inherited(chain, "hidden"))}
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
                bold, caps, hidden = style_bold, style_caps, flags["hidden"]
                rpr = child.find(w.rPr)
                if rpr is not None:
                    char_style = _val(rpr.find(w.rStyle), w)
                    if char_style in self.char_bold:
                        bold = self.char_bold[char_style]
                    hidden = self.char_hidden.get(char_style, hidden)
                    run_bold = _on(rpr.find(w.b), w)
                    bold = bold if run_bold is None else run_bold
                    run_caps = _on(rpr.find(w.caps), w)
                    caps = caps if run_caps is None else run_caps
                    run_hidden = _on(rpr.find(w.vanish), w)
                    hidden = hidden if run_hidden is None else run_hidden
                if hidden:  # Word and LibreOffice do not show it: a reader never sees it
                    self.hidden_chars += sum(len(t.text or "") for t in child.iter(w.t))
                    continue
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


# A web archive (MHT) starts with MIME headers; Word writes "MIME-Version" first.
_MIME_RE = re.compile(rb"\s*(?:MIME-Version|Content-Type)\s*:", re.IGNORECASE)


def mht_html(data: bytes) -> bytes | None:
    """Return the first HTML page of a web archive (MHT, a MIME message) as UTF-8, or None when it has none."""
    import email
    import email.policy

    message = email.message_from_bytes(data, policy=email.policy.compat32)
    for piece in message.walk():
        if piece.get_content_type() == "text/html":
            payload = piece.get_payload(decode=True) or b""
            try:
                return payload.decode(piece.get_content_charset() or "utf-8", errors="replace").encode()
            except LookupError:  # an unknown charset: the HTML reader decodes the bytes itself
                return payload
    return None


def _ingest_docx(data: bytes, name: str, limits: Limits) -> tuple[str, list[Section], dict]:
    """Return (text, sections) of a DOCX: body paragraphs and tables in reading order, then footnotes and endnotes."""
    archive = _open_zip(data, name, limits)
    parts, chunks = _docx_parts(archive, name, limits)
    roots = {kind: _parse_xml(_read_part(archive, part, name), part, name, limits) for kind, part in parts.items()}
    document = roots["document"]
    ns = document.tag[1:].split("}", 1)[0] if document.tag.startswith("{") else _W_MAIN
    w = _W(ns)
    body = document.find(w.body)
    if body is None:
        raise CorruptFileError(f"{name}: {parts['document']} has no w:body")
    styles = _read_styles(roots.get("styles"), w)
    warnings: list[str] = []
    unread: list[tuple[str, str]] = []  # (part, why) not read, for the error when nothing else could be read

    def chunk(rel_id: str) -> list[tuple[str, str]]:
        """Return the blocks of an embedded altChunk document: HTML, RTF or plain text."""
        part = chunks.get(rel_id)
        if part is None:
            return []
        data = _read_part(archive, part, name)
        label = f"{name} ({part})"
        try:
            if is_rtf(data):
                _, sections, extras = _ingest_rtf(data, label)
                warnings.extend(f"{label}: {warning}" for warning in extras.get("warnings", []))
            elif part.lower().endswith((".mht", ".mhtml")) or _MIME_RE.match(data):
                html = mht_html(data)
                if html is None:
                    unread.append((part, "a web archive without an HTML page"))
                    warnings.append(f"{name}: embedded document {part} not read ({unread[-1][1]})")
                    return []
                sections = _ingest_html(html, label)[1]
            elif part.lower().endswith((".htm", ".html", ".xhtml")) or b"<html" in data[:4096].lower():
                sections = _ingest_html(data, label)[1]
            else:
                unread.append((part, "only HTML, MHT and RTF are"))
                warnings.append(f"{name}: embedded document {part} not read (only HTML, MHT and RTF are)")
                return []
        except NoTextError:
            return []
        return [(section.text, section.kind) for section in sections]

    reader = _DocxReader(w, styles, _Numbering(roots.get("numbering"), w, styles), chunk)
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
        why = "; ".join(f"embedded document {part} not read: {reason}" for part, reason in unread)
        raise NoTextError(f"{name}: no text in document" + (f" ({why})" if why else ""))
    if reader.hidden_chars:
        warnings.append(f"hidden text left out ({reader.hidden_chars} characters Word does not show)")
    return "\n\n".join(parts_text), sections, {"warnings": warnings} if warnings else {}


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
