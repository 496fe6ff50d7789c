"""Write DOCX with python-docx: house style, real multi-level Word numbering, defined terms in bold, page numbers.

The writer knows nothing about profiles or clauses: it writes a `Contract` (plain data built by
clausegen.generate) or, for the memo, offers the small pieces (headings, paragraphs, tables) that
clausegen.generate assembles. Numbers are never typed: every numbered paragraph carries a w:numPr that points to
a numbering definition created here in numbering.xml.

Named `writer`, not `docx`: `clausegen/ingest/docx.py` reads DOCX, this package writes it (and `import docx` is
python-docx). One file per step: `text` (XML-safe text, defined terms, cross-reference fields), `styles` (the house
style), `numbering` (Word lists), `blocks` (paragraphs, headings, tables), `contract` (a whole `Contract`),
`document` (new document or firm template, page furniture, properties, placement, saving).
"""

from clausegen.writer.blocks import add_paragraph, field_table, heading, keep_together, paragraph, table
from clausegen.writer.contract import Article, Contract, Para, write_contract
from clausegen.writer.document import (
    add_page_furniture,
    find_placeholder,
    new_document,
    open_template,
    save,
    set_properties,
    write_at,
)
from clausegen.writer.numbering import Lists, add_lists
from clausegen.writer.text import article_ref, defined_terms, without_refs, xml_text

__all__ = [
    "Article", "Contract", "Lists", "Para", "add_lists", "add_page_furniture", "add_paragraph", "article_ref",
    "defined_terms", "field_table", "find_placeholder", "heading", "keep_together", "new_document", "open_template",
    "paragraph", "save", "set_properties", "table", "without_refs", "write_at", "write_contract", "xml_text",
]
