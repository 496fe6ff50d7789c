"""The small pieces a document is built of: styled paragraphs, headings, tables, the memo's field table."""

from __future__ import annotations

from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Twips
from docx.table import Table
from docx.text.paragraph import Paragraph as DocxParagraph

from clausegen.writer.numbering import number
from clausegen.writer.text import add_text, xml_text


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
