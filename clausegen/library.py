"""Locate, load and validate the clause library, collecting every problem with its file and field."""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
from dataclasses import dataclass
from dataclasses import field as dc_field
from pathlib import Path
from typing import Any

import yaml

from clausegen.errors import LibraryError
from clausegen.model import (
    DOCUMENT_KINDS,
    SAFEGUARD_IDS,
    STRICTNESS,
    Clause,
    Element,
    Library,
    RedFlag,
    Safeguard,
    SafeguardNeed,
    Variable,
)
from clausegen.render import STANDARD_CONTEXT, STANDARD_FUNCTIONS, render_text, template_variables
from clausegen.yamlio import Yaml12Loader

CLAUSE_FILES = ("clause.yaml", "text.j2", "sample.yaml", "expected.txt")
CLAUSE_KEYS = {
    "id", "title", "provides", "strictness", "guidance_step", "kinds", "order", "triggers", "definitions", "variables",
    "binds", "superseded_by",
}
REQUIRED_CLAUSE_KEYS = CLAUSE_KEYS - {"definitions", "variables", "binds", "superseded_by"}
BINDS = ("any", "operator", "reseller")
VARIABLE_TYPES = {"string": str, "integer": int, "boolean": bool, "list": list}
SEVERITIES = ("low", "medium", "high", "critical")
CONDITIONS = (
    "always",
    "counterparty.government",
    "counterparty.reseller",
    "end_users.unknown",
    "product.custom",
    "deployment.on_premises",
    "deployment.cloud",
    "export.licence_check",
    "risk.elevated",
    "risk.high",
    "risk.critical",
)
CLAUSE_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def default_library_path() -> Path:
    """Return the library folder: $CLAUSEGEN_LIBRARY, else the clause_library/ beside the package."""
    env = os.environ.get("CLAUSEGEN_LIBRARY")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / "clause_library"


def suggest(word: str, choices) -> str:
    """Return ' (did you mean 'x'?)' for the closest choice, or ''."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


class Problems:
    """Collect "file -> field: message" lines."""

    def __init__(self, root: Path):
        self.root = root
        self.lines: list[str] = []

    def add(self, path: Path, field: str, message: str) -> None:
        try:
            shown = path.relative_to(self.root) if path != self.root else path
        except ValueError:
            shown = path
        self.lines.append(f"{shown} -> {field}: {message}" if field else f"{shown}: {message}")


MAX_YAML_BYTES = 1_000_000  # the same bounds as a profile's (profile.py)
MAX_YAML_VALUES = 100_000
MAX_YAML_DEPTH = 100


def expansion_problem(data: Any, max_values: int = MAX_YAML_VALUES, max_depth: int = MAX_YAML_DEPTH) -> str | None:
    """Return why data is too big once YAML aliases are expanded (a 1 kB "billion laughs" file names a billion
    values, and everything that walks it would run for hours), or None."""
    count = 0
    stack = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        count += 1
        if count > max_values:
            return f"expands to more than {max_values:,} values (YAML aliases?)"
        if depth > max_depth:
            return f"nested more than {max_depth} levels deep"
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for pair in value.items() for item in pair)
        elif isinstance(value, (list, tuple)):
            stack.extend((item, depth + 1) for item in value)
    return None


def read_yaml(path: Path, problems: Problems) -> Any:
    """Return the parsed YAML of path, or None after recording why it could not be read (bounded like profiles:
    size, expanded size, depth)."""
    if not path.is_file():
        problems.add(path, "", "missing file")
        return None
    try:
        if path.stat().st_size > MAX_YAML_BYTES:
            problems.add(path, "", f"file is larger than {MAX_YAML_BYTES // 1000} kB")
            return None
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=Yaml12Loader)
        problem = expansion_problem(data)
        if problem:
            problems.add(path, "", problem)
            return None
        return data
    except RecursionError:
        problems.add(path, "", f"nested more than {MAX_YAML_DEPTH} levels deep")
    except ValueError as exc:  # a 5,000-digit number (int conversion limit)
        problems.add(path, "", f"bad YAML: {str(exc).splitlines()[0][:200]}")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "file"
        problems.add(path, where, f"bad YAML: {getattr(exc, 'problem', None) or exc}")
    except (OSError, UnicodeDecodeError) as exc:
        problems.add(path, "", f"cannot read: {exc}")
    return None


def expect_mapping(data: Any, path: Path, field: str, problems: Problems) -> dict:
    """Return data when it is a mapping, else {} after recording the problem."""
    if isinstance(data, dict):
        return data
    if data is not None:
        problems.add(path, field, f"expected a mapping, got {type(data).__name__}")
    else:
        problems.add(path, field, "missing")
    return {}


def load_safeguards(root: Path, problems: Problems) -> dict[str, Safeguard]:
    """Return the safeguards of safeguards.yaml by id."""
    path = root / "safeguards.yaml"
    data = expect_mapping(read_yaml(path, problems), path, "safeguards", problems)
    safeguards: dict[str, Safeguard] = {}
    for i, item in enumerate(data.get("safeguards") or []):
        field = f"safeguards[{i}]"
        item = expect_mapping(item, path, field, problems)
        sid = item.get("id")
        if sid not in SAFEGUARD_IDS:
            problems.add(path, f"{field}.id", f"unknown safeguard '{sid}'{suggest(sid, SAFEGUARD_IDS)}")
            continue
        elements = []
        for j, el in enumerate(item.get("elements") or []):
            el = expect_mapping(el, path, f"{sid}.elements[{j}]", problems)
            # an unquoted comma in a YAML flow mapping makes a stray key of the rest of the description
            check_keys(el, {"id", "description", "core"}, set(), path, f"{sid}.elements[{j}].", problems)
            if not el.get("id") or not el.get("description"):
                problems.add(path, f"{sid}.elements[{j}]", "an element needs an id and a description")
                continue
            elements.append(Element(str(el["id"]), str(el["description"]), bool(el.get("core", False))))
        if sum(e.core for e in elements) != 1:
            problems.add(path, f"{sid}.elements", "exactly one element must be marked core: true")
        detection = item.get("detection") or {}
        if not isinstance(detection, dict):
            problems.add(path, f"{sid}.detection", "expected a mapping")
            detection = {}
        safeguards[sid] = Safeguard(sid, str(item.get("title", "")), str(item.get("description", "")), elements, detection)
    for sid in SAFEGUARD_IDS:
        if sid not in safeguards:
            problems.add(path, "safeguards", f"safeguard '{sid}' is not defined")
    return safeguards


def load_red_flags(root: Path, problems: Problems) -> dict[str, RedFlag]:
    """Return the red flags of red_flags.yaml by id."""
    path = root / "red_flags.yaml"
    data = expect_mapping(read_yaml(path, problems), path, "red_flags", problems)
    flags: dict[str, RedFlag] = {}
    for i, item in enumerate(data.get("red_flags") or []):
        item = expect_mapping(item, path, f"red_flags[{i}]", problems)
        fid = str(item.get("id", ""))
        field = fid or f"red_flags[{i}]"
        if not re.match(r"^(cap|eu|law|stk)\.[a-z_]+$", fid):
            problems.add(path, f"{field}.id", "a red-flag id looks like 'cap.name', 'eu.name', 'law.name' or 'stk.name'")
        if fid in flags:
            problems.add(path, f"{field}.id", "duplicate red-flag id")
        step = item.get("step")
        if step not in (1, 2, 3, 4):
            problems.add(path, f"{field}.step", f"step must be 1 to 4, got {step!r}")
        if item.get("severity") not in SEVERITIES:
            problems.add(path, f"{field}.severity", f"severity must be one of {', '.join(SEVERITIES)}")
        needs = []
        for j, need in enumerate(item.get("calls_for") or []):
            need = expect_mapping(need, path, f"{field}.calls_for[{j}]", problems)
            sid, strict = need.get("safeguard"), need.get("strictness", "standard")
            if sid not in SAFEGUARD_IDS:
                problems.add(path, f"{field}.calls_for[{j}]", f"unknown safeguard '{sid}'{suggest(sid, SAFEGUARD_IDS)}")
            elif strict not in STRICTNESS:
                problems.add(path, f"{field}.calls_for[{j}]", f"strictness must be standard or strict, got {strict!r}")
            else:
                needs.append(SafeguardNeed(sid, strict))
        if not needs:
            problems.add(path, f"{field}.calls_for", "a red flag must call for at least one safeguard")
        if not item.get("text"):
            problems.add(path, f"{field}.text", "missing")
        flags[fid] = RedFlag(fid, step if isinstance(step, int) else 0, str(item.get("text", "")),
                             str(item.get("severity", "")), needs, str(item.get("residual") or ""))
    return flags


def load_countries(path: Path, problems: Problems) -> dict[str, Any]:
    """Return countries.yaml as {as_of, note, sources, countries: {code: name}, screens: {id: {...}}}."""
    data = expect_mapping(read_yaml(path, problems), path, "", problems)
    as_of = data.get("as_of")
    if not isinstance(as_of, dt.date):
        problems.add(path, "as_of", "an as_of date (YYYY-MM-DD) is required")
    if not data.get("note"):
        problems.add(path, "note", "a note telling users to check the current lists is required")
    countries = expect_mapping(data.get("countries"), path, "countries", problems)
    for code in countries:
        if not re.match(r"^[A-Z]{2}$", str(code)):
            problems.add(path, f"countries.{code}", "codes are ISO 3166-1 alpha-2 (two capital letters)")
    screens = expect_mapping(data.get("screens"), path, "screens", problems)
    for sid, screen in screens.items():
        screen = expect_mapping(screen, path, f"screens.{sid}", problems)
        for key in ("title", "source", "as_of", "codes", "verdict"):
            if key not in screen:
                problems.add(path, f"screens.{sid}.{key}", "missing")
        if screen.get("verdict") not in (None, "stop", "licence-required", "licence-check"):
            problems.add(path, f"screens.{sid}.verdict", "verdict must be 'stop', 'licence-required' or 'licence-check'")
        if screen.get("applies_to") not in (None, "government", "military"):
            problems.add(path, f"screens.{sid}.applies_to", "applies_to must be 'government' or 'military'")
        for code in screen.get("codes") or []:
            if code not in countries:
                problems.add(path, f"screens.{sid}.codes", f"unknown country code '{code}'")
    entries = expect_mapping(data.get("entries") or {}, path, "entries", problems)
    for code, entry in entries.items():
        entry = expect_mapping(entry, path, f"entries.{code}", problems)
        if code not in countries:
            problems.add(path, f"entries.{code}", f"unknown country code '{code}'")
        if not isinstance(entry.get("reviewed"), dt.date):
            problems.add(path, f"entries.{code}.reviewed", "the date the entry was reviewed (YYYY-MM-DD) is required")
        if not entry.get("basis"):
            problems.add(path, f"entries.{code}.basis", "the source the entry rests on is required")
    return {
        "path": str(path),
        "as_of": str(as_of),
        "entries": {str(k): dict(v, reviewed=str(v.get("reviewed"))) for k, v in entries.items() if isinstance(v, dict)},
        "note": data.get("note", ""),
        "sources": data.get("sources") or [],
        "countries": {str(k): str(v) for k, v in countries.items()},
        "screens": screens,
    }


def load_capabilities(root: Path, red_flags: dict[str, RedFlag], problems: Problems) -> dict[str, dict[str, Any]]:
    """Return capabilities.yaml: category id -> {title, raises: [red-flag ids]}."""
    path = root / "capabilities.yaml"
    data = expect_mapping(read_yaml(path, problems), path, "capabilities", problems)
    categories = expect_mapping(data.get("capabilities"), path, "capabilities", problems)
    result = {}
    for cid, item in categories.items():
        item = expect_mapping(item, path, f"capabilities.{cid}", problems)
        for fid in item.get("raises") or []:
            if fid not in red_flags:
                problems.add(path, f"capabilities.{cid}.raises", f"unknown red flag '{fid}'{suggest(fid, red_flags)}")
        result[str(cid)] = {"title": str(item.get("title", cid)), "raises": list(item.get("raises") or []),
                            "has": [str(h) for h in item.get("has") or []]}
    return result


def load_clause(folder: Path, red_flags: dict[str, RedFlag], problems: Problems,
                check_templates: bool = True) -> Clause | None:
    """Return the clause of one folder, recording every problem; None when it cannot be built.
    check_templates=False skips parsing its templates for undeclared variables (a reviewer does not render)."""
    for name in CLAUSE_FILES:
        if not (folder / name).is_file():
            problems.add(folder / name, "", "missing file")
    meta_path = folder / "clause.yaml"
    meta = read_yaml(meta_path, problems) if meta_path.is_file() else None
    if not isinstance(meta, dict):
        if meta is not None:
            problems.add(meta_path, "", "expected a mapping")
        return None

    for key in sorted(set(meta) - CLAUSE_KEYS):
        problems.add(meta_path, key, f"unknown field{suggest(key, CLAUSE_KEYS)}")
    for key in sorted(REQUIRED_CLAUSE_KEYS - set(meta)):
        problems.add(meta_path, key, "missing")

    cid = str(meta.get("id", folder.name))
    if cid != folder.name:
        problems.add(meta_path, "id", f"'{cid}' must equal the folder name '{folder.name}'")
    if not CLAUSE_ID.match(cid):
        problems.add(meta_path, "id", "use lowercase letters, digits and underscores")
    provides = meta.get("provides") or []
    if not isinstance(provides, list) or not provides:
        problems.add(meta_path, "provides", "list at least one safeguard id")
        provides = []
    for sid in provides:
        if sid not in SAFEGUARD_IDS:
            problems.add(meta_path, "provides", f"unknown safeguard '{sid}'{suggest(sid, SAFEGUARD_IDS)}")
    strictness = meta.get("strictness", "standard")
    if strictness not in STRICTNESS:
        problems.add(meta_path, "strictness", f"must be standard or strict, got {strictness!r}")
    step = meta.get("guidance_step")
    if step not in range(1, 9):
        problems.add(meta_path, "guidance_step", f"must be a Guidance step 1 to 8, got {step!r}")
    kinds = meta.get("kinds") or []
    for kind in kinds:
        if kind not in DOCUMENT_KINDS:
            problems.add(meta_path, "kinds", f"unknown document kind '{kind}'{suggest(kind, DOCUMENT_KINDS)}")
    if not isinstance(meta.get("order", 0), int):
        problems.add(meta_path, "order", "must be an integer")

    triggers = meta.get("triggers") or {}
    if not isinstance(triggers, dict):
        problems.add(meta_path, "triggers", "expected a mapping with red_flags and conditions")
        triggers = {}
    for key in sorted(set(triggers) - {"red_flags", "conditions"}):
        problems.add(meta_path, f"triggers.{key}", f"unknown field{suggest(key, ['red_flags', 'conditions'])}")
    for fid in triggers.get("red_flags") or []:
        if fid not in red_flags:
            problems.add(meta_path, "triggers.red_flags", f"unknown red flag '{fid}'{suggest(fid, red_flags)}")
    for cond in triggers.get("conditions") or []:
        if cond not in CONDITIONS:
            problems.add(meta_path, "triggers.conditions", f"unknown condition '{cond}'{suggest(cond, CONDITIONS)}")

    variables = load_variables(meta.get("variables"), meta_path, problems)
    binds = meta.get("binds", "any")
    if binds not in BINDS:
        problems.add(meta_path, "binds", f"must be one of {', '.join(BINDS)}, got {binds!r}")
    superseded_by = meta.get("superseded_by") or []
    if not isinstance(superseded_by, list) or not all(isinstance(c, str) for c in superseded_by):
        problems.add(meta_path, "superseded_by", "expected a list of clause ids")
        superseded_by = []

    definitions = meta.get("definitions") or {}
    if not isinstance(definitions, dict):
        problems.add(meta_path, "definitions", "expected a mapping of term -> definition")
        definitions = {}

    text_path = folder / "text.j2"
    text = text_path.read_text(encoding="utf-8") if text_path.is_file() else ""
    if check_templates:
        allowed = set(variables) | set(STANDARD_CONTEXT) | set(STANDARD_FUNCTIONS)
        used: set[str] = set()
        for where, source in [(text_path, text)] + [(meta_path, str(v)) for v in definitions.values()]:
            try:
                used |= template_variables(source)
            except Exception as exc:  # jinja2.TemplateSyntaxError and friends
                problems.add(where, "template", f"syntax error: {exc}")
        for name in sorted(used - allowed):
            problems.add(text_path, name, "template variable is not declared in clause.yaml variables")
        for name in sorted(set(variables) - used):
            problems.add(meta_path, f"variables.{name}", "declared but never used in text.j2")

    sample_path = folder / "sample.yaml"
    sample = read_yaml(sample_path, problems) if sample_path.is_file() else None
    sample = sample if isinstance(sample, dict) else {}
    for name in sorted(set(sample.get("variables") or {}) - set(variables)):
        problems.add(sample_path, f"variables.{name}", f"not a declared variable{suggest(name, variables)}")
    expected_path = folder / "expected.txt"
    expected = expected_path.read_text(encoding="utf-8") if expected_path.is_file() else None

    return Clause(
        id=cid, title=str(meta.get("title", "")), provides=[str(p) for p in provides],
        strictness=str(strictness), guidance_step=step if isinstance(step, int) else 0,
        triggers={"red_flags": list(triggers.get("red_flags") or []), "conditions": list(triggers.get("conditions") or [])},
        variables=variables, kinds=[str(k) for k in kinds], order=meta.get("order", 0) if isinstance(meta.get("order", 0), int) else 0,
        text=text, definitions={str(k): str(v) for k, v in definitions.items()}, sample=sample, expected=expected,
        path=str(folder), binds=str(binds), superseded_by=list(superseded_by),
    )


def sample_context(clause: Clause) -> dict[str, Any]:
    """Return the context that renders a clause's sample: standard sample values, defaults, sample values."""
    from clausegen.render import SAMPLE_CONTEXT

    context = dict(SAMPLE_CONTEXT)
    context.update(clause.sample.get("context") or {})
    context.update({name: var.default for name, var in clause.variables.items() if var.default is not None})
    context.update(clause.sample.get("variables") or {})
    return context


def render_sample(clause: Clause) -> str:
    """Return the clause text rendered with its sample values."""
    return render_text(clause.text, sample_context(clause), clause.id, clause.sample.get("refs") or {})


def check_samples(clauses: dict[str, Clause], problems: Problems) -> None:
    """Record clauses whose sample does not render or does not match expected.txt."""
    for clause in clauses.values():
        if clause.expected is None or not clause.text:
            continue
        try:
            rendered = render_sample(clause)
        except Exception as exc:  # RenderError names the variable
            problems.add(Path(clause.path) / "sample.yaml", "variables", str(exc))
            continue
        if rendered.strip() != clause.expected.strip():
            problems.add(Path(clause.path) / "expected.txt", "", "does not match the rendering of text.j2 with sample.yaml")


def check_coverage(library: Library, problems: Problems) -> None:
    """Record safeguards no clause provides and (safeguard, strictness) needs no clause can meet."""
    provided = {sid for c in library.clauses.values() for sid in c.provides}
    for sid in SAFEGUARD_IDS:
        if sid not in provided:
            problems.add(Path(library.root) / "clauses", sid, "no clause provides this safeguard")
    for clause in library.clauses.values():
        for other in clause.superseded_by:
            if other not in library.clauses:
                problems.add(Path(clause.path) / "clause.yaml", "superseded_by",
                             f"unknown clause '{other}'{suggest(other, library.clauses)}")


def load_library(root: str | Path | None = None, countries: str | Path | None = None,
                 check_detection: bool = True, check_templates: bool = True) -> Library:
    """Return the validated library at root; raise LibraryError listing every problem.

    check_detection=False skips the reviewer's rule check, check_templates=False the checks of clause and document
    templates (for a process that only reviews, with the library validated elsewhere)."""
    library, problems = read_library(root, countries, check_detection, check_templates)
    if problems:
        raise LibraryError(problems)
    return library


def validate_library(root: str | Path | None = None) -> list[str]:
    """Return every problem of the library at root as "file -> field: message" lines."""
    return read_library(root)[1]


def read_library(root: str | Path | None = None, countries: str | Path | None = None,
                 check_detection: bool = True, check_templates: bool = True) -> tuple[Library, list[str]]:
    """Return the library and the list of its problems."""
    root = Path(root) if root else default_library_path()
    problems = Problems(root)
    if not root.is_dir():
        problems.add(root, "", "clause library folder not found")
        return Library(str(root), "", {}, {}, {"countries": {}, "screens": {}}, {}), problems.lines
    meta_path = root / "library.yaml"
    meta = expect_mapping(read_yaml(meta_path, problems), meta_path, "", problems)
    if not meta.get("version"):
        problems.add(meta_path, "version", "missing")
    safeguards = load_safeguards(root, problems)
    red_flags = load_red_flags(root, problems)
    capabilities = load_capabilities(root, red_flags, problems)
    country_data = load_countries(Path(countries) if countries else root / "countries.yaml", problems)
    for sid, screen in country_data["screens"].items():
        for group, ids in ((screen or {}).get("raises") or {}).items():
            for fid in ids or []:
                if fid not in red_flags:
                    problems.add(Path(country_data["path"]), f"screens.{sid}.raises.{group}", f"unknown red flag '{fid}'")
    clauses: dict[str, Clause] = {}
    clause_root = root / "clauses"
    if not clause_root.is_dir():
        problems.add(clause_root, "", "missing folder")
    else:
        for folder in sorted(p for p in clause_root.iterdir() if p.is_dir()):
            clause = load_clause(folder, red_flags, problems, check_templates)
            if clause is not None:
                clauses[clause.id] = clause
    library = Library(str(root), str(meta.get("version", "")), safeguards, red_flags, country_data, clauses, capabilities)
    check_coverage(library, problems)
    if check_templates:
        check_samples(clauses, problems)
        if (root / "documents").is_dir():  # a library without documents/ can review but not draft
            load_documents(root, clauses, problems)
    if check_detection and safeguards:
        check_detection_rules(library, problems)
    return library, problems.lines


def check_detection_rules(library: Library, problems: Problems) -> None:
    """Record invalid reviewer rules (the detector knows its own pattern format)."""
    try:
        from clausegen import detect
    except ImportError:  # the reviewer is optional for drafting
        return
    validate = getattr(detect, "validate_detection", None)
    if validate is None:
        return
    path = Path(library.root) / "safeguards.yaml"
    for sid, safeguard in library.safeguards.items():
        for field, message in validate(sid, safeguard.detection):
            problems.add(path, f"{sid}.detection.{field}" if field else f"{sid}.detection", message)


# ---------------------------------------------------------------------------------------------------------------
# Document templates: clause_library/documents/<kind>.yaml (see docs/library-format.md, "Document templates")
# ---------------------------------------------------------------------------------------------------------------

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


def load_document_templates(library: Library, check_render: bool = True) -> dict[str, DocumentTemplate]:
    """Return the library's document templates by kind; raise LibraryError listing every problem.

    check_render=False skips rendering each text with sample values (the generator renders them anyway).
    """
    root = Path(library.root)
    folder = root / "documents"
    stamp = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(folder.glob("*.yaml"))) \
        if folder.is_dir() else ()
    key = (str(root), check_render, stamp, tuple(sorted(library.clauses)))
    if key not in _DOCUMENT_CACHE:
        problems = Problems(root)
        documents = load_documents(root, library.clauses, problems, check_render)
        if problems.lines:
            raise LibraryError(problems.lines)
        _DOCUMENT_CACHE.clear()  # one library at a time is enough
        _DOCUMENT_CACHE[key] = documents
    return _DOCUMENT_CACHE[key]


_DOCUMENT_CACHE: dict[tuple, dict[str, DocumentTemplate]] = {}


def load_documents(root: Path, clauses: dict[str, Clause], problems: Problems,
                   check_render: bool = True) -> dict[str, DocumentTemplate]:
    """Return documents/<kind>.yaml by kind, recording every problem as "documents/<kind>.yaml -> field: message"."""
    folder = root / "documents"
    documents: dict[str, DocumentTemplate] = {}
    if not folder.is_dir():
        problems.add(folder, "", "missing folder")
        return documents
    for path in sorted(folder.glob("*.yaml")):
        if path.stem not in DOCUMENT_FILES:
            problems.add(path, "", f"unknown document kind '{path.stem}'{suggest(path.stem, DOCUMENT_FILES)}")
    for kind in DOCUMENT_FILES:
        path = folder / f"{kind}.yaml"
        data = read_yaml(path, problems)
        if data is None:
            continue
        data = expect_mapping(data, path, "", problems)
        if data.get("kind") != kind:
            problems.add(path, "kind", f"must be '{kind}', the file name, got {data.get('kind')!r}")
        if kind == "memo":
            template = load_memo_template(path, data, problems, check_render)
        else:
            template = load_contract_template(path, kind, data, clauses, problems, check_render)
        if template is not None:
            documents[kind] = template
    return documents


def check_keys(data: dict, known: set[str], required: set[str], path: Path, prefix: str, problems: Problems) -> None:
    """Record unknown and missing fields of one mapping."""
    for key in sorted(set(data) - known, key=str):
        problems.add(path, f"{prefix}{key}", f"unknown field{suggest(key, known)}")
    for key in sorted(required - set(data)):
        problems.add(path, f"{prefix}{key}", "missing")


def text_field(data: dict, key: str, path: Path, field: str, problems: Problems) -> str:
    """Return data[key] as text ("" when absent), recording a value that is not text."""
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        problems.add(path, field, f"expected text, got {type(value).__name__}")
        return ""
    return value


def load_variables(data: Any, path: Path, problems: Problems, need_default: bool = False) -> dict[str, Variable]:
    """Return a `variables:` mapping (clause or document template) as Variables, recording every problem."""
    variables: dict[str, Variable] = {}
    for name, spec in expect_mapping(data or {}, path, "variables", problems).items():
        spec = expect_mapping(spec, path, f"variables.{name}", problems)
        vtype = spec.get("type", "string")
        if vtype not in VARIABLE_TYPES:
            problems.add(path, f"variables.{name}.type", f"unknown type '{vtype}'{suggest(vtype, VARIABLE_TYPES)}")
        if not spec.get("description"):
            problems.add(path, f"variables.{name}.description", "missing")
        default = spec.get("default")
        if default is None and need_default:
            problems.add(path, f"variables.{name}.default", "a document variable needs a default (a placeholder will do)")
        elif default is not None and vtype in VARIABLE_TYPES and not isinstance(default, VARIABLE_TYPES[vtype]):
            problems.add(path, f"variables.{name}.default", f"expected {vtype}, got {type(default).__name__}")
        variables[str(name)] = Variable(str(name), str(vtype), str(spec.get("description", "")), default)
    return variables


def load_document_variables(data: Any, path: Path, problems: Problems) -> dict[str, Variable]:
    """Return the `variables:` of a document template: as a clause's, but each needs a default."""
    return load_variables(data, path, problems, need_default=True)


def load_contract_template(path: Path, kind: str, data: dict, clauses: dict[str, Clause],
                           problems: Problems, check_render: bool = True) -> DocumentTemplate | None:
    """Return a contract-kind template (eula, reseller, master, rider, schedule), recording every problem."""
    required = REQUIRED_DOCUMENT_KEYS if kind == "schedule" else REQUIRED_FULL_DOCUMENT_KEYS
    check_keys(data, DOCUMENT_KEYS, required, path, "", problems)
    variables = load_document_variables(data.get("variables"), path, problems)

    roles = expect_mapping(data.get("roles"), path, "roles", problems)
    check_keys(roles, {"supplier", "recipient"}, {"supplier", "recipient"}, path, "roles.", problems)
    parties = expect_mapping(data.get("parties") or {}, path, "parties", problems)
    check_keys(parties, PARTIES_KEYS, {"heading", "supplier", "recipient"} if "parties" in data else set(),
               path, "parties.", problems)
    recitals = expect_mapping(data.get("recitals") or {}, path, "recitals", problems)
    check_keys(recitals, RECITALS_KEYS, {"items"} if "recitals" in data else set(), path, "recitals.", problems)
    if "items" in recitals and not (isinstance(recitals["items"], list) and recitals["items"]):
        problems.add(path, "recitals.items", "expected a list of paragraphs")
    signature = expect_mapping(data.get("signature") or {}, path, "signature", problems)
    check_keys(signature, SIGNATURE_KEYS, {"intro", "lines"} if "signature" in data else set(),
               path, "signature.", problems)
    if "lines" in signature and not (isinstance(signature["lines"], list) and signature["lines"]):
        problems.add(path, "signature.lines", "expected a list of labels (Name, Title, Date)")
    definitions = expect_mapping(data.get("definitions") or {}, path, "definitions", problems)

    articles: list[Any] = []
    ids: set[str] = set()
    markers = 0
    for i, item in enumerate(data.get("articles") or []):
        field_name = f"articles[{i}]"
        if item == CLAUSES_MARKER:
            markers += 1
            articles.append(CLAUSES_MARKER)
            continue
        item = expect_mapping(item, path, field_name, problems)
        aid = str(item.get("id", ""))
        field_name = f"articles.{aid}" if aid else field_name
        check_keys(item, ARTICLE_KEYS, {"id", "title"}, path, f"{field_name}.", problems)
        if aid and not CLAUSE_ID.match(aid):
            problems.add(path, f"{field_name}.id", "use lowercase letters, digits and underscores")
        if aid in ids:
            problems.add(path, f"{field_name}.id", "duplicate article id")
        if aid in clauses or aid in SAFEGUARD_IDS:
            problems.add(path, f"{field_name}.id", "an article id must not be a clause or safeguard id")
        ids.add(aid)
        if not isinstance(item.get("definitions", False), bool):
            problems.add(path, f"{field_name}.definitions", "expected true or false")
        if item.get("after") and not item.get("definitions"):
            problems.add(path, f"{field_name}.after", "only the definitions article has text after the list")
        when = item.get("when") or []
        if not isinstance(when, list) or any(c not in CONDITIONS for c in when):
            problems.add(path, f"{field_name}.when", f"expected a list of conditions ({', '.join(CONDITIONS)})")
            when = []
        articles.append(DocumentArticle(
            id=aid, title=text_field(item, "title", path, f"{field_name}.title", problems),
            text=text_field(item, "text", path, f"{field_name}.text", problems),
            definitions=item.get("definitions") is True,
            after=text_field(item, "after", path, f"{field_name}.after", problems), when=[str(c) for c in when]))
    if "articles" in data and markers != 1:
        problems.add(path, "articles", f"list '{CLAUSES_MARKER}' exactly once (where the selected clauses go), "
                                       f"found {markers}")
    if sum(isinstance(a, DocumentArticle) and a.definitions for a in articles) > 1:
        problems.add(path, "articles", "at most one article may have definitions: true")

    template = DocumentTemplate(
        kind=kind, path=str(path), title=text_field(data, "title", path, "title", problems),
        agreement=text_field(data, "agreement", path, "agreement", problems), roles={k: str(v) for k, v in roles.items()},
        articles=articles, subtitle=text_field(data, "subtitle", path, "subtitle", problems),
        reference=text_field(data, "reference", path, "reference", problems) or "Clause {number}",
        product=text_field(data, "product", path, "product", problems) or "the Product",
        header=text_field(data, "header", path, "header", problems), variables=variables,
        parties={k: str(v) for k, v in parties.items()}, recitals=recitals,
        terms_heading=text_field(data, "terms_heading", path, "terms_heading", problems),
        definitions={str(k): str(v) for k, v in definitions.items()}, signature=signature, raw=data,
    )
    if "{number}" not in template.reference or template.reference.count("{") != 1:
        problems.add(path, "reference", "write the cross-reference with one {number}, e.g. 'Clause {number}'")
    product_term = re.sub(r"^(the|a|an) ", "", template.product)
    if template.definitions and product_term not in template.definitions:
        problems.add(path, "definitions", f"define the product term '{product_term}' (from `product`)")
    check_document_template(template, clauses, problems, check_render)
    return template


def contract_template_texts(template: DocumentTemplate) -> list[tuple[str, str]]:
    """Return every Jinja2 text of a contract template as (field, source)."""
    texts = [("title", template.title), ("subtitle", template.subtitle), ("header", template.header)]
    texts += [(f"parties.{k}", v) for k, v in template.parties.items()]
    texts += [(f"recitals.items[{i}]", str(v)) for i, v in enumerate(template.recitals.get("items") or [])]
    texts += [(f"definitions.{k}", v) for k, v in template.definitions.items()]
    texts += [(f"signature.{k}", str(v)) for k, v in template.signature.items() if k != "lines"]
    texts += [(f"signature.lines[{i}]", str(v)) for i, v in enumerate(template.signature.get("lines") or [])]
    for article in template.articles:
        if isinstance(article, DocumentArticle):
            texts += [(f"articles.{article.id}.title", article.title), (f"articles.{article.id}.text", article.text),
                      (f"articles.{article.id}.after", article.after)]
    return [(f, s) for f, s in texts if s]


def check_document_template(template: DocumentTemplate, clauses: dict[str, Clause], problems: Problems,
                            check_render: bool = True) -> None:
    """Record undeclared variables, unknown ref() targets and texts that do not render with sample values."""
    from clausegen.render import SAMPLE_CONTEXT

    path = Path(template.path)
    allowed = set(STANDARD_CONTEXT) | set(STANDARD_FUNCTIONS) | set(DOCUMENT_CONTEXT) | set(template.variables)
    targets = {a.id for a in template.articles if isinstance(a, DocumentArticle)} | set(SAFEGUARD_IDS) | set(clauses)
    context = dict(SAMPLE_CONTEXT, **DOCUMENT_SAMPLE_CONTEXT, agreement=template.agreement or "this Agreement")
    context.update({name: var.default for name, var in template.variables.items()})
    used: set[str] = set()
    for field_name, source in contract_template_texts(template):
        try:
            names = template_variables(source)
        except Exception as exc:  # jinja2.TemplateSyntaxError and friends
            problems.add(path, field_name, f"syntax error: {exc}")
            continue
        used |= names
        for name in sorted(names - allowed):
            problems.add(path, field_name, f"template variable '{name}' is not declared in variables "
                                           f"nor part of the standard context{suggest(name, allowed)}")
        for target in REF_CALL.findall(source):
            if target not in targets:
                problems.add(path, field_name, f"ref('{target}') names no article, safeguard or clause"
                                               f"{suggest(target, targets)}")
        if check_render and not names - allowed:
            try:
                render_text(source, context, f"{path.name} {field_name}")
            except Exception as exc:  # RenderError names the text
                problems.add(path, field_name, str(exc))
    for name in sorted(set(template.variables) - used):
        problems.add(path, f"variables.{name}", "declared but never used")


def load_memo_template(path: Path, data: dict, problems: Problems, check_render: bool = True) -> DocumentTemplate:
    """Return the memo template; `raw` keeps its sections, each {title, text}."""
    check_keys(data, MEMO_KEYS, MEMO_KEYS, path, "", problems)
    sections = expect_mapping(data.get("sections"), path, "sections", problems)
    check_keys(sections, set(MEMO_SECTIONS), set(MEMO_SECTIONS), path, "sections.", problems)
    texts = [("title", data.get("title")), ("header", data.get("header")), ("memo_to", data.get("memo_to")),
             ("memo_from", data.get("memo_from"))]
    for sid, section in sections.items():
        section = expect_mapping(section, path, f"sections.{sid}", problems)
        check_keys(section, {"title", "text"}, {"title"}, path, f"sections.{sid}.", problems)
        texts += [(f"sections.{sid}.title", section.get("title")), (f"sections.{sid}.text", section.get("text"))]
    sign_off = data.get("sign_off")
    if "sign_off" in data and not (isinstance(sign_off, list) and sign_off and all(isinstance(s, str) for s in sign_off)):
        problems.add(path, "sign_off", "expected a list of roles (Prepared by, Approved by)")
    allowed = set(MEMO_CONTEXT)
    for field_name, source in texts:
        if source is None:
            continue
        if not isinstance(source, str):
            problems.add(path, field_name, f"expected text, got {type(source).__name__}")
            continue
        try:
            names = template_variables(source)
        except Exception as exc:
            problems.add(path, field_name, f"syntax error: {exc}")
            continue
        for name in sorted(names - allowed):
            problems.add(path, field_name, f"template variable '{name}' is not part of the memo context"
                                           f"{suggest(name, allowed)}")
        if check_render and not names - allowed:
            try:
                render_text(source, MEMO_SAMPLE_CONTEXT, f"{path.name} {field_name}")
            except Exception as exc:
                problems.add(path, field_name, str(exc))
    return DocumentTemplate(kind="memo", path=str(path), title=str(data.get("title", "")), agreement="",
                            roles={}, articles=[], header=str(data.get("header") or ""), raw=data)
