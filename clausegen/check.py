"""The draft checker: defined terms, conflicting periods, unbracketed defaults, role fit, clashes with the profile,
duplicated clauses and kind fit, on a generated DOCX (or every draft of a profile). Rules: clause_library/checks.yaml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from clausegen.errors import ClausegenError
from clausegen.model import Library

PERIOD = re.compile(r"\b(\d+)\s+(business days?|days?|hours?|months?|years?)\b", re.I)
QUOTED_TERM = re.compile(r"[\"\u201c]([A-Z][A-Za-z0-9\-]*(?: [A-Za-z0-9\-]+){0,5})[\"\u201d]")
SENTENCE_END = re.compile(r"(?<=[.;:])\s+(?=[A-Z(\-])")
FACTS_PREFIX = "clausegen: "  # the DOCX identifier property carries the profile's facts after this


@dataclass
class Problem:
    """One finding of the checker: rule id, severity (error | warning), message, where (a paragraph excerpt)."""

    rule: str
    message: str
    where: str = ""
    severity: str = "error"

    def line(self) -> str:
        """Return the problem as one line for a terminal."""
        where = f' (at "{self.where}")' if self.where else ""
        return f"{self.severity}: {self.rule}: {self.message}{where}"


@dataclass
class Facts:
    """What the checker knows about a draft beyond its text: the kind, the counterparty and the profile's facts."""

    kind: str = ""
    counterparty_type: str = ""
    recipient_only_resells: bool = False
    clause_ids: list[str] = field(default_factory=list)
    conditions: set[str] = field(default_factory=set)  # conditions, answered-yes flags, capability.<id>
    terms_defined_elsewhere: bool = False  # a rider, or a schedule in a firm's document: terms may come from it

    def to_line(self) -> str:
        """Return the facts as one line for the DOCX comments property."""
        return (f"{FACTS_PREFIX}kind={self.kind}; counterparty={self.counterparty_type}; "
                f"resells_only={'yes' if self.recipient_only_resells else 'no'}; "
                f"conditions={','.join(sorted(self.conditions))}")

    @classmethod
    def from_properties(cls, identifier: str, category: str) -> "Facts":
        """Read the facts back from a generated DOCX's identifier and category properties."""
        facts = cls(kind=category or "")
        line = re.search(re.escape(FACTS_PREFIX) + r"(.*)", identifier or "")
        if line:
            parts = dict(p.split("=", 1) for p in line.group(1).split("; ") if "=" in p)
            facts.kind = parts.get("kind", facts.kind)
            facts.counterparty_type = parts.get("counterparty", "")
            facts.recipient_only_resells = parts.get("resells_only") == "yes"
            facts.conditions = {c for c in parts.get("conditions", "").rstrip(".").split(",") if c}
        return facts


@lru_cache(maxsize=4)
def load_rules(root: str) -> dict[str, Any]:
    """Return the checker rules of a library folder (checks.yaml), with the patterns compiled."""
    path = Path(root) / "checks.yaml"
    try:
        rules = yaml.safe_load(path.read_text(encoding="utf-8"))
        for rule in rules["periods"]:
            rule["re"] = re.compile(rule["subject"], re.I)
        for rule in rules["alternatives"]:
            rule["res"] = {name: re.compile(p, re.I) for name, p in rule["variants"].items()}
        for rule in rules["profile_clashes"]:
            rule["re"] = re.compile(rule["pattern"], re.I)
    except (OSError, yaml.YAMLError, KeyError, TypeError, re.error) as exc:
        raise ClausegenError(f"{path}: cannot read the checker rules ({type(exc).__name__}: {exc})") from None
    return rules


def excerpt(text: str, limit: int = 90) -> str:
    """Return the start of a paragraph for a problem's location."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


ABBREVIATION_END = re.compile(r"(\b[A-Z]\.)+$|\b(No|e\.g|i\.e|Inc|Ltd|Co|Art|Sec)\.$")


def sentences(paras: list[str]) -> list[tuple[str, str]]:
    """Return (sentence, its paragraph) pairs; "U.S." or "Inc." does not end a sentence."""
    pairs = []
    for para in paras:
        parts: list[str] = []
        for piece in SENTENCE_END.split(para):
            if parts and ABBREVIATION_END.search(parts[-1]):
                parts[-1] += " " + piece
            else:
                parts.append(piece)
        pairs += [(s, para) for s in parts if s.strip()]
    return pairs


@lru_cache(maxsize=4)
def vocabulary(root: str) -> tuple[str, ...]:
    """Return every term the library's templates define or use as a role (longest first)."""
    folder = Path(root)
    terms: set[str] = set()
    documents = [p for p in folder.glob("documents/*.yaml") if p.stem != "memo"]  # the memo is not a contract
    for path in documents + list(folder.glob("clauses/*/clause.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        terms |= {str(t) for t in (data.get("definitions") or {})}
        terms |= {str(r) for r in (data.get("roles") or {}).values()}
    for path in documents + list(folder.glob("clauses/*/text.j2")):
        terms |= {t for t in QUOTED_TERM.findall(path.read_text(encoding="utf-8")) if "{" not in t}
    terms |= {"Distributor", "Reseller"}  # role terms the generator chooses for a reseller agreement
    return tuple(sorted(terms, key=lambda t: (-len(t), t)))


def term_pattern(term: str) -> re.Pattern:
    """Return the case-sensitive pattern of a term and its plural ("Party" -> "Parties")."""
    stem = re.escape(term[:-1]) + "(y|ies)" if term.endswith("y") else re.escape(term) + "(s|es)?"
    return re.compile(r"(?<![\w\-])" + stem + r"(?![\w\-])")


NAME_WORDS = {"The", "A", "An", "Each", "Any", "No", "This", "That", "Such", "Every", "If", "Where", "Its", "Their"}


def in_proper_name(text: str, start: int) -> bool:
    """Return whether the match at start continues a proper name ("Kestrel National Telecommunications Company")."""
    before = re.search(r"([A-Z][\w\-]*)[ ]$", text[max(0, start - 40):start])
    return bool(before) and before.group(1) not in NAME_WORDS


def check_terms(paras: list[str], library_root: str, extra_terms: tuple[str, ...] = (),
                rules: dict[str, Any] | None = None, headings: set[str] | frozenset = frozenset(),
                undefined_severity: str = "error") -> list[Problem]:
    """Return used-but-undefined and defined-but-unused terms (headings and proper names do not count as use)."""
    ignore = set((rules or {}).get("ignore_terms") or [])
    body = [p for p in paras if p not in headings]
    text = "\n".join(body)
    defined = set(QUOTED_TERM.findall(text)) - ignore
    defined -= {t for t in defined if any(term_pattern(other).fullmatch(t) for other in defined if other != t)}
    problems = []
    masked = text
    for term in sorted((set(vocabulary(library_root)) | set(extra_terms) | defined) - ignore,
                       key=lambda t: (-len(t), t)):
        pattern = term_pattern(term)
        hits = [m for m in pattern.finditer(masked) if not in_proper_name(masked, m.start())]
        if term not in defined and hits:
            para = next((p for p in body if pattern.search(p)), "")
            problems.append(Problem("undefined-term", f'"{term}" is used but never defined', excerpt(para),
                                    undefined_severity))
        elif term in defined and len(hits) <= 1:
            problems.append(Problem("unused-term", f'"{term}" is defined but never used',
                                    excerpt(next((p for p in body if f'"{term}"' in p), ""))))
        masked = pattern.sub(lambda m: "\u2022" * len(m.group(0)), masked)
    return problems


def check_periods(paras: list[str], rules: dict[str, Any]) -> list[Problem]:
    """Return subjects that carry different periods in different places."""
    problems = []
    pairs = sentences(paras)
    for rule in rules["periods"]:
        seen: dict[str, str] = {}
        for sentence, para in pairs:
            if rule["re"].search(sentence):
                for number, unit in PERIOD.findall(sentence):
                    seen.setdefault(f"{number} {unit.lower().rstrip('s')}s", para)
        if len(seen) > 1:
            problems.append(Problem("conflicting-period", f"{rule['title']}: different periods "
                                    f"({', '.join(sorted(seen))})", excerpt(list(seen.values())[1])))
    for rule in rules["alternatives"]:
        found = {name: para for name, regex in rule["res"].items() for sentence, para in pairs
                 if regex.search(sentence)}
        if len(found) > 1:
            problems.append(Problem("conflicting-regime", f"{rule['title']}: both {' and '.join(sorted(found))}",
                                    excerpt(list(found.values())[1])))
    return problems


def default_phrases(library: Library) -> list[str]:
    """Return the library's text defaults without their brackets (what a draft must not show unbracketed)."""
    from clausegen.library import load_document_templates

    values = [v.default for c in library.clauses.values() for v in c.variables.values()]
    values += [v.default for t in load_document_templates(library, check_render=False).values()
               for v in t.variables.values()]
    phrases = set()
    for value in values:
        if isinstance(value, str):
            for part in re.split(r"[\[\]\u25cf]", value):
                part = part.strip(" ,;:.")
                if len(part) >= 12 and re.search(r"[a-z]{4}", part):
                    phrases.add(part)
    return sorted(phrases)


def check_defaults(paras: list[str], library: Library, rules: dict[str, Any],
                   confirmed: tuple[str, ...] = ()) -> list[Problem]:
    """Return library defaults that appear in the draft without square brackets (unless the profile chose
    that very value: `confirmed`)."""
    problems = []
    minimum = int(rules.get("unbracketed_default_min_chars", 12))
    chosen = {c.strip().lower() for c in confirmed}
    for phrase in default_phrases(library):
        if len(phrase) < minimum or phrase.lower() in chosen:
            continue
        pattern = re.compile(re.escape(phrase), re.I)
        for para in paras:
            for match in pattern.finditer(para):
                before = para[:match.start()]
                if before.count("[") <= before.count("]"):  # not inside a bracket
                    problems.append(Problem("unbracketed-default", f'"{match.group(0)}" is a default the '
                                            "drafter must confirm; bracket it or replace it", excerpt(para)))
                    break
    return problems


def check_duplicates(paras: list[str], rules: dict[str, Any]) -> list[Problem]:
    """Return sentences that repeat an earlier one (nearly) word for word.

    Sentences, not paragraphs: two clauses that each say "shall respect internationally recognised human rights,
    including ..." repeat one another even when the rest of each paragraph differs. rapidfuzz's cdist scores all
    pairs at once (a pair-by-pair loop took about 2 s on a 20-page draft)."""
    from rapidfuzz import fuzz, process

    settings = rules.get("duplicates") or {}
    min_chars, min_ratio = int(settings.get("min_chars", 60)), float(settings.get("min_ratio", 85))
    min_contained = int(settings.get("min_contained_chars", 120))
    long = [(s, p) for s, p in sentences(paras) if len(s) >= min_chars]
    if len(long) < 2:
        return []
    texts = [s for s, _ in long]
    same = process.cdist(texts, texts, scorer=fuzz.ratio, score_cutoff=min_ratio)
    # A long sentence that opens like another (its first min_contained characters nearly the same) repeats the
    # same obligation even when one goes on longer; comparing openings is 10x faster than partial_ratio.
    longer = [i for i, t in enumerate(texts) if len(t) >= min_contained]
    openings = [texts[i][:min_contained] for i in longer]
    contained = process.cdist(openings, openings, scorer=fuzz.ratio, score_cutoff=min_ratio + 7) \
        if len(longer) > 1 else None
    position = {index: row for row, index in enumerate(longer)}
    problems = []
    for i, (sentence, para) in enumerate(long):
        for j in range(i):
            other, other_para = long[j]
            if other_para is para:
                continue
            similar = same[i][j] and abs(len(sentence) - len(other)) < len(sentence) * 0.25
            inside = contained is not None and i in position and j in position and contained[position[i]][position[j]]
            if similar or inside:
                problems.append(Problem("duplicate-clause", f'repeats an earlier sentence ("{excerpt(other, 60)}")',
                                        excerpt(para)))
                break
    return problems


def check_facts(paras: list[str], facts: Facts, rules: dict[str, Any], library: Library) -> list[Problem]:
    """Return clashes with the profile, clauses binding the wrong role, and a kind that does not fit."""
    problems = []
    for rule in rules["profile_clashes"]:
        if not set(rule["when"]) & facts.conditions:
            continue
        for para in paras:
            if rule["re"].search(para):
                problems.append(Problem("profile-clash", rule["message"], excerpt(para)))
                break
    fit = rules["kind_fit"].get(facts.counterparty_type)
    if fit is not None and facts.kind and facts.kind not in fit:
        problems.append(Problem("kind-misfit", f"a {facts.kind} does not fit a counterparty of type "
                                f"{facts.counterparty_type} (fits: {', '.join(fit)})"))
    role = "reseller" if facts.recipient_only_resells else "operator"
    for cid in facts.clause_ids:
        clause = library.clauses.get(cid)
        if clause is not None and clause.binds not in ("any", role):
            problems.append(Problem("wrong-role", f"clause {cid} binds the recipient as {clause.binds}, but in this "
                                    f"{facts.kind or 'draft'} it is {'a pure reseller' if role == 'reseller' else 'the user of the product'}"))
    return problems


def check_paragraphs(paras: list[str], library: Library, facts: Facts | None = None,
                     extra_terms: tuple[str, ...] = (), confirmed: tuple[str, ...] = (),
                     headings: set[str] | frozenset = frozenset()) -> list[Problem]:
    """Return every problem the checker finds in a draft's paragraphs (and its facts, when known)."""
    rules = load_rules(library.root)
    paras = [p for p in (" ".join(p.split()) for p in paras) if p]
    problems = check_terms(paras, library.root, extra_terms, rules, {" ".join(h.split()) for h in headings},
                           "warning" if facts is not None and (facts.kind == "rider" or facts.terms_defined_elsewhere)
                           else "error")
    problems += check_periods(paras, rules)
    problems += check_defaults(paras, library, rules, confirmed)
    problems += check_duplicates(paras, rules)
    if facts is not None:
        problems += check_facts(paras, facts, rules, library)
    return problems


def docx_paragraphs(path: str | Path) -> tuple[list[str], Facts, set[str]]:
    """Return the body paragraphs and table cells of a DOCX, the facts in its properties and its headings."""
    import docx

    path = Path(path)
    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises several kinds for a file that is not a .docx
        raise ClausegenError(f"{path}: not a readable Word .docx ({type(exc).__name__})") from None
    paras = [p.text for p in document.paragraphs]
    for table in document.tables:
        paras += [cell.text for row in table.rows for cell in row.cells]
    props = document.core_properties
    facts = Facts.from_properties(props.identifier or "", props.category or "")
    headings = {" ".join(p.text.split()) for p in document.paragraphs
                if p.style is not None and p.style.name.startswith(("Heading", "Title", "Subtitle"))}
    return paras, facts, headings


def check_docx(path: str | Path, library: Library) -> list[Problem]:
    """Check one DOCX; facts are read from its properties when clausegen wrote it."""
    paras, facts, headings = docx_paragraphs(path)
    # The clauses are known by their headings (a clause's title is its article heading).
    facts.clause_ids = [c.id for c in library.clauses.values() if c.title in headings]
    return check_paragraphs(paras, library, facts if facts.kind else None, headings=headings)


def check_profile(path: str | Path, library: Library) -> dict[str, list[Problem]]:
    """Draft every kind that fits a profile's counterparty (in a temporary folder) and check each draft."""
    import tempfile

    from clausegen.errors import DraftCheckError
    from clausegen.gate import fitting_kinds
    from clausegen.generate import as_assessment, generate

    assessment = as_assessment(path, library)
    results: dict[str, list[Problem]] = {}
    with tempfile.TemporaryDirectory(prefix="clausegen-check-") as folder:
        for kind in fitting_kinds(library, assessment.profile.counterparty["type"]):
            out = Path(folder) / f"{kind}.docx"
            try:  # a stopped screen is drafted here only to be checked; the drafts are thrown away
                results[kind] = generate(assessment, library, kind, out, override_stop="draft check only").problems
            except DraftCheckError as exc:
                results[kind] = exc.problems
    return results


def check_file(path: str | Path, library: Library) -> dict[str, list[Problem]]:
    """Check a generated DOCX ({file name: problems}) or every draft of a profile ({kind: problems})."""
    path = Path(path)
    if not path.is_file():
        raise ClausegenError(f"{path}: file not found")
    suffix = path.suffix.lower()
    if suffix == ".docx":
        return {path.name: check_docx(path, library)}
    if suffix in (".yaml", ".yml", ".json"):
        return check_profile(path, library)
    raise ClausegenError(f"{path}: expected a generated .docx or a profile (.yaml, .yml, .json)")
