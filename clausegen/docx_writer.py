"""Write DOCX with python-docx: house style, real multi-level Word numbering, defined terms in bold, page numbers.

The writer knows nothing about profiles or clauses: it writes a `Contract` (plain data built by
clausegen.generate) or, for the memo, offers the small pieces (headings, paragraphs, tables) that
clausegen.generate assembles. Numbers are never typed: every numbered paragraph carries a w:numPr that points to
a numbering definition created here in numbering.xml.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import docx
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Pt, RGBColor, Twips
from docx.table import Table
from docx.text.paragraph import Paragraph as DocxParagraph

FONT = "Times New Roman"
FONT_SIZE = 11
LANGUAGE = "en-GB"
PLACEHOLDER = re.compile(r"^\s*\{\{\s*CLAUSEGEN\s*\}\}\s*$")
# A quoted phrase that starts with a capital letter is a defined term where it is defined: (the "Term").
DEFINED_TERM = re.compile(r'"([A-Z][A-Za-z0-9&\'\- ]{0,60})"')
# A cross-reference to article N, as generate.cross_references writes it into rendered text (private-use
# characters; a profile value holding them makes at worst a reference to an article number): written as a Word
# REF field to the article's bookmark.
ARTICLE_REF = re.compile("\ue000(\\d+)\ue001")
BOOKMARK_ID_BASE = 880000
# Characters XML 1.0 does not allow (python-docx/lxml refuse them); tabs and newlines are handled by the caller.
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")

# The contract outline: (level, number format, text, left indent, hanging), in twips (1440 = 1 inch).
OUTLINE_LEVELS = (
    (0, "decimal", "%1.", 720, 720),  # article heading: 1.
    (1, "decimal", "%1.%2", 720, 720),  # sub-clause: 1.1
    (2, "lowerLetter", "(%3)", 1440, 720),  # item: (a)
    (3, "lowerRoman", "(%4)", 2160, 720),  # sub-item: (i), for completeness
)
PARTIES_LEVELS = ((0, "decimal", "(%1)", 720, 720),)
RECITAL_LEVELS = ((0, "upperLetter", "(%1)", 720, 720),)

# Paragraph styles the writer uses besides Normal, Title, Subtitle and Heading 1/2; created when missing.
# name -> (bold, all caps, size, alignment, left indent twips, space before pt, space after pt, keep with next)
CUSTOM_STYLES = {
    "Part Heading": (True, True, None, None, 0, 12, 6, True),
    "Clause Text": (False, False, None, WD_ALIGN_PARAGRAPH.JUSTIFY, None, 0, 6, False),
    "Clause Item": (False, False, None, WD_ALIGN_PARAGRAPH.JUSTIFY, None, 0, 4, False),
    "Definition": (False, False, None, WD_ALIGN_PARAGRAPH.JUSTIFY, 720, 0, 6, False),
    "Parties": (False, False, None, WD_ALIGN_PARAGRAPH.JUSTIFY, None, 0, 6, False),
    "Recital": (False, False, None, WD_ALIGN_PARAGRAPH.JUSTIFY, None, 0, 6, False),
    "Signature Text": (False, False, None, None, 0, 0, 0, True),
    "Table Text": (False, False, 9, None, 0, 0, 2, False),
    "Memo Field": (False, False, None, None, 0, 0, 2, False),
}


@dataclass
class Para:
    """One paragraph of an article: level 2 = numbered sub-clause, 3 = (a) item, 0 = unnumbered definition."""

    level: int
    text: str


@dataclass
class Article:
    """A numbered article: its heading and paragraphs."""

    number: int
    id: str
    title: str
    paras: list[Para]


@dataclass
class Contract:
    """Everything a contract-like document shows, already rendered to text."""

    title: str
    articles: list[Article]
    subtitle: str = ""
    header: str = ""
    parties_heading: str = ""
    parties_intro: str = ""
    parties: list[str] = field(default_factory=list)
    parties_outro: str = ""
    recitals_heading: str = ""
    recitals: list[str] = field(default_factory=list)
    terms_heading: str = ""
    signature_heading: str = ""
    signature_intro: str = ""
    signatories: list[str] = field(default_factory=list)  # the parties' legal names
    signature_lines: list[str] = field(default_factory=list)  # Signature, Name, Title, Date


@dataclass
class Lists:
    """The numbering definitions (w:numId) of one document."""

    outline: int
    parties: int
    recitals: int


# --------------------------------------------------------------------------------------------------- text


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


# --------------------------------------------------------------------------------------------------- styles


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


def reset_style(style) -> None:
    """Remove a style's paragraph and run properties (theme colours, borders) so they can be set afresh."""
    for tag in ("w:pPr", "w:rPr"):
        for child in style.element.findall(qn(tag)):
            style.element.remove(child)


def child(parent, tag: str, first: bool = False):
    """Return parent's child element tag, creating it (at the start when first) when missing."""
    element = parent.find(qn(tag))
    if element is None:
        element = OxmlElement(tag)
        if first:
            parent.insert(0, element)
        else:
            parent.append(element)
    return element


def set_fonts(parent, font: str, size: int | None = None) -> None:
    """Set explicit fonts (not theme fonts), size and language on the w:rPr under parent (a style, rPrDefault)."""
    rpr = child(parent, "w:rPr")
    fonts = child(rpr, "w:rFonts", first=True)
    for attr in list(fonts.attrib):
        del fonts.attrib[attr]
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), font)
    if size:
        for tag in ("w:sz", "w:szCs"):
            child(rpr, tag).set(qn("w:val"), str(size * 2))
    child(rpr, "w:lang").set(qn("w:val"), LANGUAGE)


def apply_house_style(document: DocxDocument) -> None:
    """Set Normal, Title, Subtitle, headings, header and footer to the house style; add the custom styles."""
    defaults = document.styles.element.find(qn("w:docDefaults"))
    set_fonts(defaults.find(qn("w:rPrDefault")), FONT, FONT_SIZE)
    styles = document.styles
    normal = styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(FONT_SIZE)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.1
    normal.paragraph_format.widow_control = True

    for name, size, bold, caps, before, after, align in (
        ("Title", 15, True, True, 0, 6, WD_ALIGN_PARAGRAPH.CENTER),
        ("Subtitle", 12, False, False, 0, 24, WD_ALIGN_PARAGRAPH.CENTER),
        ("Heading 1", FONT_SIZE, True, True, 12, 6, None),
        ("Heading 2", FONT_SIZE, True, False, 10, 4, None),
    ):
        style = styles[name]
        reset_style(style)
        set_fonts(style.element, FONT, size)
        style.font.bold, style.font.all_caps, style.font.italic = bold, caps, False
        style.font.color.rgb = RGBColor(0, 0, 0)
        fmt = style.paragraph_format
        fmt.space_before, fmt.space_after, fmt.alignment = Pt(before), Pt(after), align
        fmt.keep_with_next = True
        if name.startswith("Heading"):
            fmt.keep_together = True
            outline = OxmlElement("w:outlineLvl")
            outline.set(qn("w:val"), str(int(name[-1]) - 1))
            style.element.get_or_add_pPr().append(outline)
    for name in ("Header", "Footer"):
        styles[name].font.size = Pt(8)
        styles[name].paragraph_format.space_after = Pt(0)
    ensure_styles(document)


def ensure_styles(document: DocxDocument) -> None:
    """Add the paragraph styles the writer needs and the document lacks, based on its own Normal style.

    Existing styles are never changed, so a firm's template keeps its look.
    """
    styles = document.styles
    names = {s.name for s in styles}
    for name in ("Title", "Subtitle", "Heading 1", "Heading 2"):
        if name not in names:
            style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
            style.base_style = styles["Normal"]
            style.font.bold = name != "Subtitle"
            style.paragraph_format.keep_with_next = True
            if name == "Title":
                style.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
                style.font.size = Pt(15)
    for name, (bold, caps, size, align, left, before, after, keep) in CUSTOM_STYLES.items():
        if name in names:
            continue
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = styles["Normal"]
        style.quick_style = True
        if bold:
            style.font.bold = True
        if caps:
            style.font.all_caps = True
        if size:
            style.font.size = Pt(size)
        fmt = style.paragraph_format
        if align is not None:
            fmt.alignment = align
        if left is not None:
            fmt.left_indent = Twips(left)
        fmt.space_before, fmt.space_after = Pt(before), Pt(after)
        if keep:
            fmt.keep_with_next = True


# --------------------------------------------------------------------------------------------------- numbering


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


# --------------------------------------------------------------------------------------------------- page furniture


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


# --------------------------------------------------------------------------------------------------- blocks


def set_style(para: DocxParagraph, document: DocxDocument, name: str) -> DocxParagraph:
    """Give a paragraph the style called name (by its id: python-docx's lookup by name is slow on big files)."""
    para._p.style = None if name == "Normal" else document.styles[name].style_id
    return para


def add_paragraph(document: DocxDocument, name: str = "Normal") -> DocxParagraph:
    """Append an empty paragraph in the style called name."""
    return set_style(document.add_paragraph(), document, name)


def paragraph(document: DocxDocument, text: str, style: str = "Normal") -> DocxParagraph:
    """Append a paragraph of text in style, defined terms in bold."""
    para = add_paragraph(document, style)
    add_text(para, text)
    return para


def heading(document: DocxDocument, text: str, num_id: int | None = None, level: int = 1) -> DocxParagraph:
    """Append a heading; numbered as an article (1.) when num_id is given, else with numbering switched off."""
    para = add_paragraph(document, f"Heading {level}")
    para.add_run(xml_text(text))
    if num_id is not None:
        number(para, num_id, 0)
    elif level == 1:
        number(para, 0, 0)  # numId 0: no number, even where Heading 1 is linked to the outline
    return para


def write_article(document: DocxDocument, article: Article, lists: Lists) -> None:
    """Append an article: numbered heading (bookmarked for cross-references), numbered sub-clauses and (a) items,
    unnumbered definitions."""
    bookmark_article(heading(document, article.title, lists.outline), article.number)
    for i, para in enumerate(article.paras):
        if para.level == 0:
            paragraph(document, para.text, "Definition")
            continue
        style = "Clause Text" if para.level == 2 else "Clause Item"
        block = paragraph(document, para.text, style)
        number(block, lists.outline, para.level - 1)
        following = article.paras[i + 1] if i + 1 < len(article.paras) else None
        if following is not None and following.level != 2 and para.text.rstrip().endswith(":"):
            block.paragraph_format.keep_with_next = True  # an introduction stays with its first item


def bookmark_article(paragraph: DocxParagraph, number: int) -> None:
    """Put article number's bookmark around the paragraph's text (its list number comes with it, for REF \\w)."""
    start, end = OxmlElement("w:bookmarkStart"), OxmlElement("w:bookmarkEnd")
    bookmark_id = str(BOOKMARK_ID_BASE + number)  # high ids: a firm template's own bookmarks use low ones
    start.set(qn("w:id"), bookmark_id)
    start.set(qn("w:name"), article_bookmark(number))
    end.set(qn("w:id"), bookmark_id)
    ppr = paragraph._p.pPr
    if ppr is not None:
        ppr.addnext(start)
    else:
        paragraph._p.insert(0, start)
    paragraph._p.append(end)


def write_signatures(document: DocxDocument, contract: Contract) -> None:
    """Append the signature page: a heading on a new page, the intro and one column per party.

    One table row per line (name, signature, name, title, date) keeps the columns level with each other.
    """
    head = add_paragraph(document, "Part Heading")
    head.add_run(xml_text(contract.signature_heading or "Signatures"))
    head.paragraph_format.page_break_before = True
    if contract.signature_intro:
        paragraph(document, contract.signature_intro).paragraph_format.keep_with_next = True
    columns = len(contract.signatories)
    grid = document.add_table(rows=1 + len(contract.signature_lines), cols=columns)
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    set_widths(grid, [9360 // columns] * columns)
    for cell, name in zip(grid.rows[0].cells, contract.signatories):
        first = cell.paragraphs[0]
        set_style(first, document, "Signature Text")
        first.add_run("For and on behalf of")
        cell_para(cell, name, bold=True)
    for row, label in zip(grid.rows[1:], contract.signature_lines):
        for cell in row.cells:
            para = cell.paragraphs[0]
            set_style(para, document, "Signature Text")
            para.paragraph_format.space_before = Pt(24 if label == contract.signature_lines[0] else 12)
            para.add_run(xml_text(f"{label}: ") + "_" * 26)
    for row in grid.rows:
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


def set_widths(grid: Table, widths: list[int]) -> None:
    """Fix a table's column widths (twips) in the grid, which LibreOffice reads, and in every cell, which Word reads."""
    grid.autofit = False
    for column, width in zip(grid.columns, widths):
        column.width = Twips(width)
    for row in grid.rows:
        for cell, width in zip(row.cells, widths):
            cell.width = Twips(width)


def cell_para(cell, text: str, bold: bool = False, style: str = "Signature Text") -> DocxParagraph:
    """Append a paragraph to a table cell."""
    para = set_style(cell.add_paragraph(), cell.part.document, style)
    run = para.add_run(xml_text(text))
    run.bold = bold or None
    return para


def write_contract(document: DocxDocument, contract: Contract, lists: Lists, page_break: bool = False) -> None:
    """Append a whole contract (or schedule) to the end of the document body."""
    title = add_paragraph(document, "Title")
    title.add_run(xml_text(contract.title))
    if page_break:
        title.paragraph_format.page_break_before = True
    if contract.subtitle:
        paragraph(document, contract.subtitle, "Subtitle")
    if contract.parties:
        part_heading(document, contract.parties_heading)
        if contract.parties_intro:
            paragraph(document, contract.parties_intro, "Parties").paragraph_format.keep_with_next = True
        for text in contract.parties:
            number(paragraph(document, text, "Parties"), lists.parties, 0)
        if contract.parties_outro:
            paragraph(document, contract.parties_outro, "Parties")
    if contract.recitals:
        part_heading(document, contract.recitals_heading)
        for text in contract.recitals:
            number(paragraph(document, text, "Recital"), lists.recitals, 0)
    if contract.terms_heading:
        part_heading(document, contract.terms_heading)
    for article in contract.articles:
        write_article(document, article, lists)
    if contract.signatories:
        note = paragraph(document, "[Signature page follows]")
        note.alignment = WD_ALIGN_PARAGRAPH.CENTER
        note.paragraph_format.space_before = Pt(18)
        for run in note.runs:
            run.italic = True
        write_signatures(document, contract)


def part_heading(document: DocxDocument, text: str) -> None:
    """Append an unnumbered part heading (Parties, Background, Agreed terms)."""
    if text:
        add_paragraph(document, "Part Heading").add_run(xml_text(text))


def table(document: DocxDocument, header: list[str], rows: list[list[str]], widths: list[int]) -> Table:
    """Append a bordered table with a bold, shaded, repeating header row; widths in twips."""
    grid = document.add_table(rows=1, cols=len(header))
    if "Table Grid" in {s.name for s in document.styles}:
        grid.style = document.styles["Table Grid"]
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    for row_cells, values, is_header in [(grid.rows[0].cells, header, True)] + [
            (grid.add_row().cells, row, False) for row in rows]:
        for cell, value in zip(row_cells, values):
            para = cell.paragraphs[0]
            set_style(para, document, "Table Text")
            if is_header:
                para.add_run(xml_text(value)).bold = True
                shade(cell, "E7E6E6")
            else:
                add_text(para, value)
    set_widths(grid, widths)
    header_pr = grid.rows[0]._tr.get_or_add_trPr()
    header_pr.append(OxmlElement("w:tblHeader"))
    for row in grid.rows:
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    return grid


def keep_together(grid: Table) -> None:
    """Keep a short table on one page: every row stays with the next (Word and LibreOffice honour this)."""
    for row in grid.rows[:-1]:
        for cell in row.cells:
            for para in cell.paragraphs:
                para.paragraph_format.keep_with_next = True


def shade(cell, fill: str) -> None:
    """Shade a table cell."""
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def field_table(document: DocxDocument, rows: list[tuple[str, str]], label_width: int = 1800,
                value_width: int = 7560) -> Table:
    """Append a borderless two-column table of label: value lines (the memo's To / From / Date / Re)."""
    grid = document.add_table(rows=0, cols=2)
    for label, value in rows:
        cells = grid.add_row().cells
        set_style(cells[0].paragraphs[0], document, "Memo Field")
        set_style(cells[1].paragraphs[0], document, "Memo Field")
        cells[0].paragraphs[0].add_run(xml_text(label)).bold = True
        add_text(cells[1].paragraphs[0], value)
    set_widths(grid, [label_width, value_width])
    return grid


# --------------------------------------------------------------------------------------------------- placement


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

