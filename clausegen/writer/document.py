"""The document as a whole: a new one in the house style or a firm's template, page furniture, properties,
placement at the {{CLAUSEGEN}} paragraph, saving."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Callable

import docx
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Twips
from docx.text.paragraph import Paragraph as DocxParagraph

from clausegen.writer.styles import apply_house_style, ensure_styles
from clausegen.writer.text import add_field, xml_text

PLACEHOLDER = re.compile(r"^\s*\{\{\s*CLAUSEGEN\s*\}\}\s*$")


def new_document() -> DocxDocument:
    """Return an empty document in the house style: Letter, 1-inch margins, Times New Roman 11 pt."""
    document = docx.Document()
    section = document.sections[0]
    section.page_width, section.page_height = Twips(12240), Twips(15840)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Twips(1440))
    section.header_distance = section.footer_distance = Twips(708)
    apply_house_style(document)
    return document


def add_page_furniture(document: DocxDocument, header: str, footer: str) -> None:
    """Put header text at the top right and "<footer>  Page X of Y" at the bottom of every page."""
    for section in document.sections:
        if header:
            top = section.header.paragraphs[0]
            top.text = ""
            top.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            top.add_run(xml_text(header)).italic = True
        bottom = section.footer.paragraphs[0]
        bottom.text = ""
        bottom.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if footer:
            bottom.add_run(xml_text(footer) + "  |  ")
        bottom.add_run("Page ")
        add_field(bottom, "PAGE")
        bottom.add_run(" of ")
        add_field(bottom, "NUMPAGES")


def set_properties(document: DocxDocument, title: str, author: str, subject: str, keywords: str = "",
                   comments: str = "", category: str = "", identifier: str = "") -> None:
    """Set the core properties (docProps/core.xml) Word shows under File > Info."""
    props = document.core_properties

    def short(text: str) -> str:  # core properties hold at most 255 characters
        text = xml_text(text)
        return text if len(text) <= 255 else text[:254] + "\u2026"

    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0, tzinfo=None)
    props.title, props.subject = short(title), short(subject)
    props.author = props.last_modified_by = short(author)
    props.keywords, props.comments, props.category = short(keywords), short(comments), short(category)
    props.identifier = short(identifier)
    props.created = props.modified = now
    props.revision = 1


def find_placeholder(document: DocxDocument) -> DocxParagraph | None:
    """Return the first body paragraph whose whole text is {{CLAUSEGEN}}, or None."""
    for para in document.paragraphs:
        if PLACEHOLDER.match(para.text):
            return para
    return None


def write_at(document: DocxDocument, anchor: DocxParagraph, write: Callable[[DocxDocument], None]) -> None:
    """Run write (which appends to the body) and move what it appended to where anchor is; drop anchor."""
    body = document.element.body
    before = set(body.iterchildren())
    write(document)
    added = [child for child in body.iterchildren() if child not in before and child.tag != qn("w:sectPr")]
    for element in added:
        anchor._p.addprevious(element)
    anchor._p.getparent().remove(anchor._p)


def open_template(path: str | Path) -> DocxDocument:
    """Return a firm's .docx opened for writing into, with the writer's missing styles added."""
    document = docx.Document(str(path))
    ensure_styles(document)
    return document


def save(document: DocxDocument, path: str | Path) -> Path:
    """Save the document and return its path."""
    path = Path(path)
    document.save(str(path))
    return path
