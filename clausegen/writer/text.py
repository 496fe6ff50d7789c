"""Write text into paragraphs: XML-safe text, defined terms in bold, article cross-references as REF fields."""

from __future__ import annotations

import re

from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph as DocxParagraph

# A quoted phrase that starts with a capital letter is a defined term where it is defined: (the "Term").
DEFINED_TERM = re.compile(r'"([A-Z][A-Za-z0-9&\'\- ]{0,60})"')
# A cross-reference to article N, as generate.cross_references writes it into rendered text (private-use
# characters; a profile value holding them makes at worst a reference to an article number): written as a Word
# REF field to the article's bookmark.
ARTICLE_REF = re.compile("\ue000(\\d+)\ue001")


# Characters XML 1.0 does not allow (python-docx/lxml refuse them); tabs and newlines are handled by the caller.
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def clean_text(text: str) -> str:
    """Return text without the characters XML 1.0 cannot hold, and with line breaks and tabs as spaces."""
    text = XML_INVALID.sub("", str(text))
    return re.sub(r"[\r\n\t]+", " ", text)


def xml_text(text: str) -> str:
    """Return clean_text(text) with each article cross-reference as its number (for places that hold no fields)."""
    return without_refs(clean_text(text))


def without_refs(text: str) -> str:
    """Return text with each article cross-reference as its number."""
    return ARTICLE_REF.sub(r"\1", text)


def article_ref(number: int) -> str:
    """Return the marker of a cross-reference to article number, for text that add_text writes."""
    return f"\ue000{number}\ue001"


def article_bookmark(number: int) -> str:
    """Return the name of the (hidden, leading "_") bookmark on the heading of article number."""
    return f"_RefClausegen{number}"


def add_text(paragraph: DocxParagraph, text: str) -> None:
    """Append text as runs, with each quoted defined term ("Term") in bold and each article cross-reference a
    REF field (Word renumbers it with the article; the cached result is the number now)."""
    text = clean_text(text)
    position = 0
    for ref in ARTICLE_REF.finditer(text):
        add_plain_text(paragraph, text[position:ref.start()])
        add_field(paragraph, f"REF {article_bookmark(int(ref.group(1)))} \\w \\h", ref.group(1))
        position = ref.end()
    add_plain_text(paragraph, text[position:])


def add_plain_text(paragraph: DocxParagraph, text: str) -> None:
    """Append text as runs, with each quoted defined term ("Term") in bold."""
    position = 0
    for match in DEFINED_TERM.finditer(text):
        if match.start() > position:
            paragraph.add_run(text[position:match.start()])
        paragraph.add_run(match.group(0)).bold = True
        position = match.end()
    if position < len(text):
        paragraph.add_run(text[position:])


def defined_terms(text: str) -> list[str]:
    """Return the terms that text sets in bold as definitions."""
    return DEFINED_TERM.findall(xml_text(text))


def add_field(paragraph: DocxParagraph, instruction: str, placeholder: str = "1") -> None:
    """Append a complex field (PAGE, NUMPAGES, REF) with a cached result that Word and LibreOffice update."""
    def char(kind: str) -> None:
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        paragraph.add_run()._r.append(element)

    char("begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    paragraph.add_run()._r.append(instr)
    char("separate")
    paragraph.add_run(placeholder)
    char("end")
