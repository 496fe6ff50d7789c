"""Load one clause folder (clause.yaml, text.j2, sample.yaml, expected.txt) and check its sample rendering."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from clausegen.library.bounded_yaml import read_yaml
from clausegen.library.problems import Problems, expect_mapping, suggest
from clausegen.model import DOCUMENT_KINDS, SAFEGUARD_IDS, STRICTNESS, Clause, RedFlag, Variable
from clausegen.render import STANDARD_CONTEXT, STANDARD_FUNCTIONS, render_text, template_variables

CLAUSE_FILES = ("clause.yaml", "text.j2", "sample.yaml", "expected.txt")
CLAUSE_KEYS = {
    "id", "title", "provides", "strictness", "guidance_step", "kinds", "order", "triggers", "definitions", "variables",
    "binds", "superseded_by",
}
REQUIRED_CLAUSE_KEYS = CLAUSE_KEYS - {"definitions", "variables", "binds", "superseded_by"}
BINDS = ("any", "operator", "reseller")
VARIABLE_TYPES = {"string": str, "integer": int, "boolean": bool, "list": list}


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
