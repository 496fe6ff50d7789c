"""Locate, load and validate the clause library, collecting every problem with its file and field.

One file per step: `problems` (the "file -> field: message" lines, field checks), `bounded_yaml` (YAML read within
size, expansion and depth limits), `safeguards` (safeguards, red flags, capabilities), `countries` (the export
screens), `clauses` (one clause folder, its variables and sample rendering), `documents` (the document templates'
fields and records), `templates` (loading and checking contract and memo templates), `load` (the whole library:
`load_library`, `read_library`, `validate_library`). Every public name is importable from `clausegen.library`.
"""

from clausegen.library.bounded_yaml import (
    MAX_YAML_BYTES, MAX_YAML_DEPTH, MAX_YAML_VALUES, expansion_problem, read_yaml
)
from clausegen.library.clauses import (
    BINDS, CLAUSE_FILES, CLAUSE_ID, CLAUSE_KEYS, CONDITIONS, REQUIRED_CLAUSE_KEYS, VARIABLE_TYPES, check_samples,
    load_clause, load_variables, render_sample, sample_context
)
from clausegen.library.countries import load_countries
from clausegen.library.documents import (
    ARTICLE_KEYS, CLAUSES_MARKER, CONTRACT_KINDS, DOCUMENT_CONTEXT, DOCUMENT_FILES, DOCUMENT_KEYS,
    DOCUMENT_SAMPLE_CONTEXT, MEMO_CONTEXT, MEMO_KEYS, MEMO_SAMPLE_CONTEXT, MEMO_SECTIONS, PARTIES_KEYS, RECITALS_KEYS,
    REF_CALL, REQUIRED_DOCUMENT_KEYS, REQUIRED_FULL_DOCUMENT_KEYS, SIGNATURE_KEYS, DocumentArticle, DocumentTemplate
)
from clausegen.library.load import (
    check_coverage, check_detection_rules, default_library_path, load_library, read_library, validate_library
)
from clausegen.library.problems import Problems, check_keys, expect_mapping, suggest, text_field
from clausegen.library.safeguards import SEVERITIES, load_capabilities, load_red_flags, load_safeguards
from clausegen.library.templates import (
    check_document_template, contract_template_texts, load_contract_template, load_document_templates,
    load_document_variables, load_documents, load_memo_template
)
from clausegen.yamlio import Yaml12Loader  # profiles and tests import it from here

__all__ = [
    "ARTICLE_KEYS", "BINDS", "CLAUSES_MARKER", "CLAUSE_FILES", "CLAUSE_ID", "CLAUSE_KEYS", "CONDITIONS",
    "CONTRACT_KINDS", "DOCUMENT_CONTEXT", "DOCUMENT_FILES", "DOCUMENT_KEYS", "DOCUMENT_SAMPLE_CONTEXT",
    "MAX_YAML_BYTES", "MAX_YAML_DEPTH", "MAX_YAML_VALUES", "MEMO_CONTEXT", "MEMO_KEYS", "MEMO_SAMPLE_CONTEXT",
    "MEMO_SECTIONS", "PARTIES_KEYS", "RECITALS_KEYS", "REF_CALL", "REQUIRED_CLAUSE_KEYS", "REQUIRED_DOCUMENT_KEYS",
    "REQUIRED_FULL_DOCUMENT_KEYS", "SEVERITIES", "SIGNATURE_KEYS", "VARIABLE_TYPES", "DocumentArticle",
    "DocumentTemplate", "Problems", "Yaml12Loader", "check_coverage", "check_detection_rules",
    "check_document_template", "check_keys", "check_samples", "contract_template_texts", "default_library_path",
    "expansion_problem", "expect_mapping", "load_capabilities", "load_clause", "load_contract_template",
    "load_countries", "load_document_templates", "load_document_variables", "load_documents", "load_library",
    "load_memo_template", "load_red_flags", "load_safeguards", "load_variables", "read_library", "read_yaml",
    "render_sample", "sample_context", "suggest", "text_field", "validate_library",
]
