"""Real Word numbering: abstract numbering definitions in numbering.xml and the w:numPr of numbered paragraphs."""

from __future__ import annotations

from dataclasses import dataclass

from docx.document import Document as DocxDocument
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.text.paragraph import Paragraph as DocxParagraph

# The contract outline: (level, number format, text, left indent, hanging), in twips (1440 = 1 inch).
OUTLINE_LEVELS = (
    (0, "decimal", "%1.", 720, 720),  # article heading: 1.
    (1, "decimal", "%1.%2", 720, 720),  # sub-clause: 1.1
    (2, "lowerLetter", "(%3)", 1440, 720),  # item: (a)
    (3, "lowerRoman", "(%4)", 2160, 720),  # sub-item: (i), for completeness
)
PARTIES_LEVELS = ((0, "decimal", "(%1)", 720, 720),)
RECITAL_LEVELS = ((0, "upperLetter", "(%1)", 720, 720),)


@dataclass
class Lists:
    """The numbering definitions (w:numId) of one document."""

    outline: int
    parties: int
    recitals: int


def level_xml(ilvl: int, fmt: str, text: str, left: int, hanging: int, style_id: str = "") -> str:
    """Return one w:lvl of an abstract numbering definition."""
    pstyle = f'<w:pStyle w:val="{style_id}"/>' if style_id else ""
    return (
        f'<w:lvl w:ilvl="{ilvl}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>{pstyle}'
        f'<w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/>'
        f'<w:pPr><w:tabs><w:tab w:val="num" w:pos="{left}"/></w:tabs>'
        f'<w:ind w:left="{left}" w:hanging="{hanging}"/></w:pPr></w:lvl>'
    )


def add_numbering(document: DocxDocument, levels, heading_style_id: str = "") -> int:
    """Create an abstract numbering definition and a w:num for it in numbering.xml; return the numId.

    With heading_style_id the first level is linked to that paragraph style (and the style to the list).
    """
    numbering = document.part.numbering_part.element
    abstract_ids = [int(a.get(qn("w:abstractNumId"))) for a in numbering.findall(qn("w:abstractNum"))]
    num_ids = [int(n.get(qn("w:numId"))) for n in numbering.findall(qn("w:num"))]
    abstract_id = max(abstract_ids, default=-1) + 1
    num_id = max(num_ids, default=0) + 1
    multi = "multilevel" if len(levels) > 1 else "singleLevel"
    lvls = "".join(level_xml(*spec, style_id=heading_style_id if spec[0] == 0 else "") for spec in levels)
    abstract = parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{abstract_id}">'
        f'<w:nsid w:val="{0x3C6A0000 + abstract_id:08X}"/><w:multiLevelType w:val="{multi}"/>{lvls}</w:abstractNum>'
    )
    first_num = numbering.find(qn("w:num"))
    if first_num is not None:
        first_num.addprevious(abstract)
    else:
        numbering.append(abstract)
    numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="{num_id}"><w:abstractNumId w:val="{abstract_id}"/></w:num>'))
    if heading_style_id:
        link_style(document, heading_style_id, num_id)
    return num_id


def link_style(document: DocxDocument, style_id: str, num_id: int) -> None:
    """Give a paragraph style the list's numPr, so that a new paragraph in that style is numbered too."""
    style = document.styles.element.get_by_id(style_id)
    style.get_or_add_pPr().get_or_add_numPr().get_or_add_numId().val = num_id


def number(paragraph: DocxParagraph, num_id: int, ilvl: int) -> None:
    """Put paragraph in list num_id at level ilvl (a real w:numPr, never a typed number)."""
    ppr = paragraph._p.get_or_add_pPr()
    ppr.get_or_add_numPr().get_or_add_ilvl().val = ilvl
    ppr.get_or_add_numPr().get_or_add_numId().val = num_id


def add_lists(document: DocxDocument, link_heading: bool) -> Lists:
    """Create the outline, parties and recitals lists of a contract-like document."""
    heading = document.styles["Heading 1"].style_id if link_heading else ""
    return Lists(
        outline=add_numbering(document, OUTLINE_LEVELS, heading),
        parties=add_numbering(document, PARTIES_LEVELS),
        recitals=add_numbering(document, RECITAL_LEVELS),
    )
