"""Review a contract: detect the ten safeguards, decide which are required, and return a Review.

Which safeguards are required. When the caller passes `required` (the CLI does, from a profile's risk screen),
that set is used as is. Otherwise the document type decides, from its title and preamble (the phrases are data in
clause_library/lexicon.yaml, `doc_types`):

| doc type               | required safeguards                                                               |
|------------------------|-----------------------------------------------------------------------------------|
| reseller agreement     | end_use, export_control, data_handling, suspension_termination, transfer_restriction, human_rights, reseller_due_diligence, audit_rights, misuse_reporting |
| distribution agreement | the same as a reseller agreement                                                  |
| eula                   | end_use, export_control, data_handling, suspension_termination, transfer_restriction, human_rights, access_control |
| license agreement      | the eula set plus audit_rights                                                    |
| terms of service       | the eula set plus misuse_reporting                                                |
| services agreement     | the eula set plus audit_rights                                                    |
| supply agreement       | end_use, export_control, data_handling, suspension_termination, transfer_restriction, human_rights, audit_rights, misuse_reporting |
| acceptable use policy  | end_use, suspension_termination, misuse_reporting, human_rights                   |
| dpa                    | data_handling, audit_rights                                                       |
| other                  | end_use, export_control, data_handling, suspension_termination, transfer_restriction, human_rights |
| not a contract         | none (a README, policy statement or guidelines: reviewed, with a warning)         |

Only contracts that resell or distribute require reseller_due_diligence; a plain EULA does not.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from clausegen.model import SAFEGUARD_IDS, Document, Finding, Review

BASE = frozenset({"end_use", "export_control", "data_handling", "suspension_termination", "transfer_restriction",
                  "human_rights"})
EULA = BASE | {"access_control"}
RESALE = BASE | {"reseller_due_diligence", "audit_rights", "misuse_reporting"}
REQUIRED_BY_TYPE: dict[str, frozenset[str]] = {
    "reseller agreement": RESALE,
    "distribution agreement": RESALE,
    "eula": EULA,
    "license agreement": EULA | {"audit_rights"},
    "terms of service": EULA | {"misuse_reporting"},
    "services agreement": EULA | {"audit_rights"},
    "supply agreement": BASE | {"audit_rights", "misuse_reporting"},
    "acceptable use policy": frozenset({"end_use", "suspension_termination", "misuse_reporting", "human_rights"}),
    "dpa": frozenset({"data_handling", "audit_rights"}),
    "other": BASE,
    "not a contract": frozenset(),
}
NOT_A_CONTRACT = "not a contract"
NOT_A_CONTRACT_WARNING = ("This document does not read as a contract (no agreement in its title and almost no "
                          "contract language): its statuses say what it states, not what binds anyone.")
DOC_TYPES = tuple(REQUIRED_BY_TYPE)
TITLE_CHARS = 600  # the title: the first lines
PREAMBLE_CHARS = 3000  # the preamble: where "This Distribution Agreement is made ..." sits


@functools.lru_cache(maxsize=1)
def doc_type_table(detector) -> tuple[re.Pattern, dict[str, str]]:
    """Return one regex for every doc-type phrase of a detector's lexicon (in table order) and the type of each
    phrase (built once per detector)."""
    kinds: dict[str, str] = {}
    for entry in detector.lexicon.get("doc_types") or []:
        for phrase in entry.get("phrases") or []:
            kinds.setdefault(str(phrase).lower(), entry.get("type"))
    alternatives = "|".join(re.escape(phrase) for phrase in kinds) or "(?!)"
    return re.compile(r"(?<![a-z])(" + alternatives + r")(?![a-z])"), kinds


def detect_doc_type(doc: Document, library) -> str:
    """Return the document type from its title, else its preamble (phrases from the lexicon's `doc_types`; the
    earliest phrase wins, the first in the table at the same place)."""
    from clausegen.detect import get_detector

    detector = get_detector(library)
    regex, kinds = doc_type_table(detector)
    text = doc.text
    stem = Path(doc.path).stem.lower()
    if any(stem.startswith(str(name)) for name in detector.lexicon.get("not_contract_names") or []):
        return NOT_A_CONTRACT
    # the title, the preamble, then the file's name ("acme-server-license-agreement-2021.txt") when the text is
    # a click-through that names no type
    named = " ".join(re.split(r"[\W_]+", stem))
    for head in (" ".join(text[:TITLE_CHARS].lower().split()), " ".join(text[:PREAMBLE_CHARS].lower().split()), named):
        match = regex.search(head)
        if match and kinds[match.group(1)] in REQUIRED_BY_TYPE:
            return kinds[match.group(1)]
    return "other" if reads_as_contract(text, detector.lexicon) else NOT_A_CONTRACT


def reads_as_contract(text: str, lexicon: dict) -> bool:
    """Return whether a document's title names an agreement or its text makes one (lexicon `contract_markers`)."""
    title = " ".join(text[:TITLE_CHARS].lower().split())
    words = lexicon.get("contract_title_words") or []
    if any(re.search(r"(?<![a-z])" + re.escape(str(w)) + r"(?![a-z])", title) for w in words):
        return True
    markers = lexicon.get("contract_markers") or {}
    if not markers.get("regex"):
        return True
    wanted = int(markers.get("min_markers", 3))
    found = 0
    for _ in re.finditer(markers["regex"], text, re.IGNORECASE):
        found += 1
        if found >= wanted:
            return True
    return False


def required_for(doc_type: str) -> frozenset[str]:
    """Return the safeguards a document type requires when no profile says otherwise."""
    return REQUIRED_BY_TYPE.get(doc_type, BASE)


def review_document(doc: Document, library, required: set[str] | None = None) -> Review:
    """Return the review of an ingested document: all ten safeguards, in SAFEGUARD_IDS order."""
    from clausegen.detect import detect

    findings, parties = detect(doc, library)
    doc_type = detect_doc_type(doc, library)
    errors = []
    if required is None:
        wanted = set(required_for(doc_type))
    else:
        wanted = set(required)
        unknown = sorted(wanted - set(SAFEGUARD_IDS))
        if unknown:
            errors.append(f"unknown safeguard ids in required: {', '.join(unknown)}")
    ordered = []
    for sid in SAFEGUARD_IDS:
        finding = findings.get(sid)
        if finding is None:  # a library without rules for this safeguard
            finding = Finding(sid, "missing", 0.0, explanation=f"missing: the library has no rules for {sid}.")
        finding.required = sid in wanted
        ordered.append(finding)
    warnings = list(doc.warnings) + ([NOT_A_CONTRACT_WARNING] if doc_type == NOT_A_CONTRACT else [])
    return Review(document=doc.path, doc_type=doc_type, findings=ordered, parties=parties, errors=errors,
                  ocr=doc.ocr, warnings=warnings)


def review_file(path, library, required: set[str] | None = None) -> Review:
    """Return the review of a contract file (DOCX, PDF, TXT, MD, HTML); bad input raises IngestError."""
    from clausegen.ingest import ingest

    return review_document(ingest(Path(path)), library, required)


def review_bytes(data: bytes, name: str, library, required: set[str] | None = None) -> Review:
    """Return the review of a contract given as bytes: a pure function of (bytes, name, library, required)."""
    from clausegen.ingest import ingest_bytes

    return review_document(ingest_bytes(data, name), library, required)
