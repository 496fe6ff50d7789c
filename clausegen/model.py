"""Plain dataclasses shared by every module; no I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SAFEGUARD_IDS = (
    "end_use",
    "export_control",
    "data_handling",
    "suspension_termination",
    "reseller_due_diligence",
    "audit_rights",
    "misuse_reporting",
    "transfer_restriction",
    "access_control",
    "human_rights",
)
STATUSES = ("present", "partial", "missing")
STRICTNESS = ("standard", "strict")
RISK_LEVELS = ("low", "elevated", "high", "critical")
DOCUMENT_KINDS = ("eula", "reseller", "master", "rider", "downstream-eula")


@dataclass
class Element:
    id: str
    description: str
    core: bool = False


@dataclass
class Safeguard:
    id: str
    title: str
    description: str
    elements: list[Element] = field(default_factory=list)
    detection: dict[str, Any] = field(default_factory=dict)


@dataclass
class SafeguardNeed:
    safeguard: str
    strictness: str = "standard"


@dataclass
class RedFlag:
    id: str
    step: int
    text: str
    severity: str  # low | medium | high | critical
    calls_for: list[SafeguardNeed] = field(default_factory=list)
    residual: str = ""  # why no contract clause can mitigate it ("" when clauses can)


@dataclass
class Variable:
    name: str
    type: str  # string | integer | boolean | list
    description: str
    default: Any = None


@dataclass
class Clause:
    id: str
    title: str
    provides: list[str]
    strictness: str
    guidance_step: int
    triggers: dict[str, Any]
    variables: dict[str, Variable]
    kinds: list[str]
    order: int
    text: str  # the Jinja2 source of text.j2
    definitions: dict[str, str] = field(default_factory=dict)
    sample: dict[str, Any] = field(default_factory=dict)
    expected: str | None = None
    path: str = ""
    binds: str = "any"  # any | operator (binds a party that uses the product) | reseller (binds one that resells)
    superseded_by: list[str] = field(default_factory=list)  # dropped when one of these clauses is selected


@dataclass
class Library:
    root: str
    version: str
    safeguards: dict[str, Safeguard]
    red_flags: dict[str, RedFlag]
    countries: dict[str, Any]
    clauses: dict[str, Clause]
    capabilities: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Answer:
    value: str  # yes | no | unknown
    note: str = ""


@dataclass
class Profile:
    path: str
    title: str
    seller: dict[str, Any]
    counterparty: dict[str, Any]
    destination: str  # ISO 3166 alpha-2
    product: dict[str, Any]
    deployment: dict[str, Any]
    end_use: dict[str, Any]
    intermediaries: list[dict[str, Any]]
    red_flags: dict[str, Answer]
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class RaisedFlag:
    id: str
    text: str
    step: int
    severity: str
    source: str  # answered | capability | country | counterparty | intermediary | unknown-answer
    reason: str


@dataclass
class Requirement:
    safeguard: str
    strictness: str
    because: list[str]  # red-flag ids or named conditions


@dataclass
class ExportScreen:
    country: str
    country_name: str
    groups: list[str]
    verdict: str  # clear | open | licence-check | licence-required | stop
    message: str
    stopped_by: list[str] = field(default_factory=list)  # the screens that stopped it, one line each
    determination: str = "unknown"  # the licence determination: required | not-required | exception | unknown
    checks: list[tuple[str, str, str]] = field(default_factory=list)  # (screen, result, basis/source and date)
    unknowns: list[str] = field(default_factory=list)  # what the screen still needs answered


@dataclass
class RiskAssessment:
    profile: Profile
    in_scope: bool
    scope_reasons: list[str]
    flags: list[RaisedFlag]
    level: str
    level_reasons: list[str]
    requirements: list[Requirement]
    export_screen: ExportScreen
    open_questions: list[str]


@dataclass
class Section:
    """A block of contract text with where it sits in the document."""

    text: str
    start: int  # character offsets into Document.text
    end: int
    number: str = ""  # the paragraph's own clause number as displayed ("4.2", "(a)"), "" if none
    heading: str = ""  # nearest heading above, or the paragraph's own heading
    page: int | None = None
    kind: str = "paragraph"  # paragraph | heading | table | footnote
    index: int = 0  # position in the source (paragraph index for DOCX)
    path: str = ""  # the number with those of the clauses it sits in ("4.2(a)(ii)"), "" if no number


@dataclass
class Document:
    path: str
    format: str  # docx | pdf | txt | md | html
    text: str
    sections: list[Section]
    sha256: str = ""
    ocr: dict[str, Any] | None = None  # {"pages", "mean_confidence", "unreliable_pages"} when pages were OCR'd
    warnings: list[str] = field(default_factory=list)  # what the reader should know about what was read


@dataclass
class Evidence:
    text: str
    start: int
    end: int
    section: str
    page: int | None = None  # 1-based page of a PDF (or OCR'd) source; None for formats without pages


@dataclass
class Finding:
    safeguard: str
    status: str
    score: float
    evidence: list[Evidence] = field(default_factory=list)
    missing_elements: list[str] = field(default_factory=list)
    explanation: str = ""
    required: bool = False
    section_indexes: list[int] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)  # the rule ids that decided the status (JSON only, never prose)
    elements_found: list[str] = field(default_factory=list)  # element ids of safeguards.yaml the text covers


@dataclass
class Review:
    document: str
    doc_type: str
    findings: list[Finding]
    parties: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    ocr: dict[str, Any] | None = None  # Document.ocr
    warnings: list[str] = field(default_factory=list)  # Document.warnings and review notes; in the JSON only when there are some

    def to_dict(self) -> dict[str, Any]:
        """Return the stable review JSON object of DESIGN.md."""
        result = {
            "document": self.document,
            "doc_type": self.doc_type,
            "safeguards": [
                {
                    "id": f.safeguard,
                    "status": f.status,
                    "required": f.required,
                    "score": round(f.score, 3),
                    "evidence": [
                        {"text": e.text, "start": e.start, "end": e.end, "section": e.section}
                        | ({"page": e.page} if e.page is not None else {})
                        for e in f.evidence
                    ],
                    "missing_elements": list(f.missing_elements),
                    "elements_found": list(f.elements_found),
                    "explanation": f.explanation,
                    "rules": list(f.rules),
                }
                for f in self.findings
            ],
            "errors": list(self.errors),
        }
        if self.ocr:  # only when pages were OCR'd, and warnings only when there are some
            result["ocr"] = dict(self.ocr)
        if self.warnings:
            result["warnings"] = list(self.warnings)
        return result
