"""Write a `Contract`: title, parties, recitals, numbered articles with bookmarks, the signature page."""

from __future__ import annotations

from dataclasses import dataclass, field

from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.text.paragraph import Paragraph as DocxParagraph

from clausegen.writer.blocks import add_paragraph, cell_para, heading, paragraph, set_style, set_widths
from clausegen.writer.numbering import Lists, number
from clausegen.writer.text import article_bookmark, xml_text

BOOKMARK_ID_BASE = 880000


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
