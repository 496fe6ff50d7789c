"""The document templates' fields, contexts and records: clause_library/documents/<kind>.yaml (see
docs/library-format.md, "Document templates")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from clausegen.model import DOCUMENT_KINDS, SAFEGUARD_IDS, Variable

CONTRACT_KINDS = DOCUMENT_KINDS + ("schedule",)
DOCUMENT_FILES = CONTRACT_KINDS + ("memo",)
CLAUSES_MARKER = "clauses"  # the entry of `articles:` where the selected operative clauses go
DOCUMENT_KEYS = {
    "kind", "title", "subtitle", "agreement", "reference", "roles", "product", "header", "variables", "parties",
    "recitals", "terms_heading", "definitions", "articles", "signature",
}
REQUIRED_DOCUMENT_KEYS = {"kind", "title", "agreement", "roles", "articles"}
REQUIRED_FULL_DOCUMENT_KEYS = REQUIRED_DOCUMENT_KEYS | {"parties", "recitals", "terms_heading", "signature"}
PARTIES_KEYS = {"heading", "intro", "supplier", "recipient", "outro"}
RECITALS_KEYS = {"heading", "items"}
ARTICLE_KEYS = {"id", "title", "text", "definitions", "after", "when"}
SIGNATURE_KEYS = {"heading", "intro", "lines"}
MEMO_KEYS = {"kind", "title", "header", "memo_to", "memo_from", "sections", "sign_off"}
MEMO_SECTIONS = (
    "summary", "transaction", "scope", "export_screen", "red_flags", "risk", "tailoring", "open_questions",
    "safeguards", "residual_risk", "recommendation", "sources", "reassessment", "sign_off",
)
# Values the generator fills for every document template, on top of the clauses' standard context.
DOCUMENT_CONTEXT = {
    "governing_law": "the profile's governing_law, or a placeholder",
    "licence_term_months": "the profile's deployment.licence_term_months, or a placeholder",
    "supplier_country": "the name of the supplier's country, or a placeholder",
    "recipient_country": "the name of the recipient's country, or a placeholder",
    "effective_date": "the date of the document (a placeholder unless the profile's variables give one)",
    "selected": "the ids of the selected clauses and of the safeguards they provide: {% if 'x' in selected %}",
    "manufacturer": "the legal name of the profile's seller (in a downstream licence, the reseller's supplier)",
    "government": "whether the counterparty is a government agency or state-owned (true or false)",
    "renewal_after_reassessment": "whether renewal waits for a reassessment (risk high or critical): no auto-renewal",
    "export_stopped": "whether the export screen stopped the transaction (drafted only under an override)",
    "diligence_statement": "the recital sentence on the due diligence done (which guidance, or that it is incomplete)",
    "safeguard_clauses": "a reference to every safeguard clause of the draft ('Clauses 4 to 15')",
}
DOCUMENT_SAMPLE_CONTEXT = {
    "governing_law": "the State of New York",
    "licence_term_months": 12,
    "supplier_country": "United States",
    "recipient_country": "Examplestan",
    "effective_date": "[date]",
    "selected": list(SAFEGUARD_IDS),
    "manufacturer": "Northwind Vision Systems, Inc.",
    "government": True,
    "renewal_after_reassessment": True,
    "export_stopped": False,
    "diligence_statement": "Having carried out due diligence on this transaction, the Parties have agreed the safeguards.",
    "safeguard_clauses": "Clauses 3 to 12",
}
# Values the memo's text may use.
MEMO_CONTEXT = {
    "supplier": "the seller's legal name",
    "recipient": "the counterparty's legal name",
    "product_name": "the commercial product name",
    "country": "the destination country's name",
    "transaction": "the profile's title",
    "level": "the overall risk level (low, elevated, high, critical)",
    "in_scope": "whether the Guidance is engaged (true or false)",
    "verdict": "the export screen's verdict (clear, licence-check, stop)",
    "library_version": "the clause library's version",
    "override_reason": "the reason given with --override-stop ('' when none)",
    "recommendation": "the recommendation: proceed, proceed with conditions, or decline",
}
MEMO_SAMPLE_CONTEXT = {
    "supplier": "Northwind Vision Systems, Inc.", "recipient": "Example Customer Ltd",
    "product_name": "Northwind Sentinel", "country": "Examplestan", "transaction": "Example transaction",
    "level": "high", "in_scope": True, "verdict": "clear", "library_version": "0", "override_reason": "",
    "recommendation": "proceed with conditions",
}
REF_CALL = re.compile(r"""ref\(\s*['"]([^'"]+)['"]\s*\)""")


@dataclass
class DocumentArticle:
    """A commercial article of a document template; text and after are Jinja2, paragraphs split by blank lines."""

    id: str
    title: str
    text: str = ""
    definitions: bool = False  # the Definitions article: the defined terms are listed after `text`
    after: str = ""  # paragraphs after the definitions list
    when: list[str] = dc_field(default_factory=list)  # conditions; the article is drafted when any holds


@dataclass
class DocumentTemplate:
    """One file of clause_library/documents/; `articles` holds DocumentArticle items and the CLAUSES_MARKER."""

    kind: str
    path: str
    title: str
    agreement: str
    roles: dict[str, str]
    articles: list[Any]
    subtitle: str = ""
    reference: str = "Clause {number}"  # how a cross-reference to article `number` reads
    product: str = "the Product"
    header: str = ""
    variables: dict[str, Variable] = dc_field(default_factory=dict)
    parties: dict[str, str] = dc_field(default_factory=dict)
    recitals: dict[str, Any] = dc_field(default_factory=dict)
    terms_heading: str = ""
    definitions: dict[str, str] = dc_field(default_factory=dict)
    signature: dict[str, Any] = dc_field(default_factory=dict)
    raw: dict[str, Any] = dc_field(default_factory=dict)
