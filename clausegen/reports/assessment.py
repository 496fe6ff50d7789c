"""Render a RiskAssessment as text (for the terminal), JSON or Markdown."""

from __future__ import annotations

import io
import json
from typing import Any

from clausegen.model import RiskAssessment

LEVEL_STYLE = {"low": "green", "elevated": "yellow", "high": "red", "critical": "bold white on red"}


def assessment_dict(a: RiskAssessment) -> dict[str, Any]:
    """Return the assessment as a JSON-ready dict."""
    p = a.profile
    return {
        "profile": p.path,
        "title": p.title,
        "transaction": {
            "seller": p.seller["name"],
            "counterparty": p.counterparty["name"],
            "counterparty_type": p.counterparty["type"],
            "destination": p.destination,
            "product": p.product["name"],
            "capabilities": list(p.product.get("capabilities", [])),
            "deployment": p.deployment.get("model"),
            "stated_end_use": p.end_use["stated"],
            "end_users_known": p.end_use["end_users_known"],
            "intermediaries": [i["name"] for i in p.intermediaries],
        },
        "in_scope": a.in_scope,
        "scope_reasons": a.scope_reasons,
        "risk_level": a.level,
        "risk_reasons": a.level_reasons,
        "red_flags": [
            {"id": f.id, "step": f.step, "severity": f.severity, "source": f.source, "reason": f.reason, "text": f.text}
            for f in a.flags
        ],
        "required_safeguards": [
            {"id": r.safeguard, "strictness": r.strictness, "because": r.because} for r in a.requirements
        ],
        "export_screen": {
            "country": a.export_screen.country,
            "country_name": a.export_screen.country_name,
            "groups": a.export_screen.groups,
            "verdict": a.export_screen.verdict,
            "message": a.export_screen.message,
            "stopped_by": a.export_screen.stopped_by,
            "determination": a.export_screen.determination,
            "checks": [{"check": c, "result": r, "basis": b} for c, r, b in a.export_screen.checks],
            "unknowns": a.export_screen.unknowns,
        },
        "open_questions": a.open_questions,
    }


def render_assessment(a: RiskAssessment, fmt: str) -> str:
    """Return the assessment in fmt: text, json or markdown."""
    if fmt == "json":
        return json.dumps(assessment_dict(a), indent=2, ensure_ascii=False)
    if fmt == "markdown":
        return markdown(a)
    return text(a)


def markdown(a: RiskAssessment) -> str:
    """Return the assessment as Markdown."""
    d = assessment_dict(a)
    t = d["transaction"]
    out = [f"# Risk screen: {a.profile.title}", ""]
    out.append(f"**{t['seller']}** -> **{t['counterparty']}** ({t['counterparty_type'].replace('_', ' ')}), "
               f"{a.export_screen.country_name}; product {t['product']} ({', '.join(t['capabilities']) or 'none named'})")
    out += ["", f"## Risk level: {a.level.upper()}", ""] + [f"- {r}" for r in a.level_reasons]
    out += ["", f"## In scope of the Guidance: {'yes' if a.in_scope else 'no'}", ""] + [f"- {r}" for r in a.scope_reasons]
    out += ["", f"## Export-control screen: {a.export_screen.verdict}", "", a.export_screen.message, "",
            f"Licence determination: {a.export_screen.determination.replace('_', ' ')}", "",
            "| check | result | basis |", "|---|---|---|"]
    out += [f"| {c} | {r} | {b} |" for c, r, b in a.export_screen.checks]
    out += ["", "Still unknown (open questions, never clear):", ""] + [f"- {u}" for u in a.export_screen.unknowns or ["nothing"]]
    out += ["", "## Red flags", "", "| id | step | severity | source | reason |", "|---|---|---|---|---|"]
    out += [f"| `{f.id}` | {f.step} | {f.severity} | {f.source} | {f.reason} |" for f in a.flags] or ["| none | | | | |"]
    out += ["", "## Required safeguards", "", "| safeguard | strictness | called for by |", "|---|---|---|"]
    out += [f"| `{r.safeguard}` | {r.strictness} | {', '.join(r.because)} |" for r in a.requirements]
    out += ["", "## Open questions", ""] + [f"- {q}" for q in a.open_questions]
    return "\n".join(out) + "\n"


def text(a: RiskAssessment) -> str:
    """Return the assessment as tables for a terminal (rich, no colour codes when not a terminal)."""
    from rich.console import Console
    from rich.table import Table

    buffer = io.StringIO()
    # markup=False: profile values are text, never rich markup ("[/]" in a name would raise); highlight=False:
    # rich's highlighter takes quadratic time on a long value.
    console = Console(file=buffer, width=120, force_terminal=False, color_system=None, markup=False, highlight=False)
    p = a.profile
    console.print(f"Risk screen: {p.title}")
    console.print(f"  {p.seller['name']} -> {p.counterparty['name']} ({p.counterparty['type'].replace('_', ' ')}), "
                  f"{a.export_screen.country_name}; product {p.product['name']}")
    console.print(f"Risk level: {a.level.upper()}")
    for reason in a.level_reasons:
        console.print(f"  - {reason}")
    console.print(f"In scope of the Guidance: {'yes' if a.in_scope else 'no'}")
    for reason in a.scope_reasons:
        console.print(f"  - {reason}")
    screen = a.export_screen
    console.print(f"Export-control screen: {screen.verdict.upper()} - {screen.message}")
    console.print(f"  licence determination: {screen.determination.replace('_', ' ')}")
    checks = Table("export check", "result", "basis", title="Export checks", title_justify="left")
    for check, result, basis in screen.checks:
        checks.add_row(check, result, basis)
    console.print(checks)
    if screen.unknowns:
        console.print("  still unknown (an open question, never CLEAR):")
        for unknown in screen.unknowns:
            console.print(f"    - {unknown}")
    flags = Table("red flag", "step", "severity", "source", "reason", title="Red flags", title_justify="left")
    for f in a.flags:
        flags.add_row(f.id, str(f.step), f.severity, f.source, f.reason)
    console.print(flags)
    reqs = Table("safeguard", "strictness", "called for by", title="Required safeguards", title_justify="left")
    for r in a.requirements:
        reqs.add_row(r.safeguard, r.strictness, ", ".join(r.because))
    console.print(reqs)
    console.print("Open questions for the due-diligence file:")
    for q in a.open_questions:
        console.print(f"  - {q}")
    return buffer.getvalue()
