"""The house style: Times New Roman 11 pt, black headings, and the paragraph styles the writer adds when missing."""

from __future__ import annotations

from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor, Twips

FONT = "Times New Roman"
FONT_SIZE = 11
LANGUAGE = "en-GB"


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
