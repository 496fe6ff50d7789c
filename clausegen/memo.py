"""The due-diligence memo: the assessment, the export determination, residual risk per red flag, the
recommendation, the sources consulted and the sign-off (Guidance: document the diligence and the decision)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from dataclasses import dataclass, field
from typing import Any

from docx.shared import Pt, Twips

from clausegen import __version__, writer
from clausegen.gate import STOP_HEADER, fitting_kinds
from clausegen.generate import (
    GUIDANCE_STEPS,
    check_output,
    clean_value,
    country_in_sentence,
    country_name,
)
from clausegen.library import load_document_templates
from clausegen.model import Clause, Library, RiskAssessment
from clausegen.render import paragraphs, render_text
from clausegen.risk import select_clauses

SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}



def memo_context(assessment: RiskAssessment, library: Library) -> dict[str, Any]:
    """Return the values the memo's prose may use."""
    profile = assessment.profile
    return clean_value({
        "supplier": profile.seller["name"],
        "recipient": profile.counterparty["name"],
        "product_name": profile.product["name"],
        "country": country_in_sentence(country_name(library, profile.destination)),
        "transaction": profile.title,
        "level": assessment.level,
        "in_scope": assessment.in_scope,
        "verdict": assessment.export_screen.verdict,
        "library_version": library.version,
    })


def transaction_rows(assessment: RiskAssessment, library: Library) -> list[tuple[str, str]]:
    """Return the memo's description of the transaction as (label, value) rows."""
    p = assessment.profile
    caps = [library.capabilities.get(c, {}).get("title", c) for c in p.product.get("capabilities", [])]
    intermediaries = "; ".join(f"{i['name']} ({i['type']}, {country_name(library, i.get('country'))})"
                               for i in p.intermediaries) or "none"
    deployment = str(p.deployment.get("model", "")).replace("_", "-")
    if p.deployment.get("licence_term_months"):
        deployment += f", {p.deployment['licence_term_months']}-month term"
    product = p.product["name"] + (f": {p.product['description']}" if p.product.get("description") else "")
    rows = [
        ("Transaction", p.title),
        ("Supplier", f"{p.seller['name']} ({country_name(library, p.seller.get('country'))})"),
        ("Counterparty", f"{p.counterparty['name']} ({str(p.counterparty['type']).replace('_', ' ')}, "
                         f"{country_name(library, p.counterparty.get('country'))})"),
        ("Destination", country_name(library, p.destination)),
        ("Product", product),
        ("Capabilities", ", ".join(caps) or "none named"),
        ("Availability", str(p.product.get("availability", "not stated")).replace("_", " ")),
        ("Critical component", "yes" if p.product.get("critical_component") else "no"),
        ("Deployment", deployment),
        ("Stated end use", p.end_use.get("stated", "")),
        ("End users known", p.end_use.get("end_users_known", "")),
        ("End users", ", ".join(p.end_use.get("end_users") or []) or "not listed"),
        ("Intermediaries", intermediaries),
        ("Governing law", p.raw.get("governing_law") or "not stated"),
        ("Profile", Path(p.path).name),
    ]
    return [(label, clean_value(str(value))) for label, value in rows]


def safeguard_rows(assessment: RiskAssessment, library: Library,
                   kind_selections: dict[str, list[tuple[Clause, list[str]]]]) -> list[list[str]]:
    """Return one row per required safeguard: title, strictness, why, the clauses per draft, Guidance steps."""
    rows = []
    for req in assessment.requirements:
        by_clause: dict[str, list[str]] = {}
        steps = set()
        for kind, selection in kind_selections.items():
            for clause, _ in selection:
                if clause.provides and clause.provides[0] == req.safeguard:
                    by_clause.setdefault(clause.id, []).append(kind)
                    steps.add(clause.guidance_step)
        clauses = "; ".join(cid if len(kinds) == len(kind_selections) else f"{cid} ({', '.join(kinds)})"
                            for cid, kinds in by_clause.items()) or "none in the drafts (no clause for this kind)"
        title = library.safeguards[req.safeguard].title if req.safeguard in library.safeguards else req.safeguard
        rows.append([f"{title} ({req.safeguard})", req.strictness, ", ".join(req.because), clauses,
                     ", ".join(str(s) for s in sorted(steps)) or "-"])
    return rows


def clause_rows(kind_selections: dict[str, list[tuple[Clause, list[str]]]]) -> list[list[str]]:
    """Return one row per selected clause: title and id, safeguards, Guidance step, drafts, why selected."""
    seen: dict[str, list[Any]] = {}
    for kind, selection in kind_selections.items():
        for clause, reasons in selection:
            row = seen.setdefault(clause.id, [clause, [], reasons])
            row[1].append(kind)
    rows = []
    for cid, (clause, kinds, reasons) in seen.items():
        drafts = "all" if len(kinds) == len(kind_selections) and len(kinds) > 1 else ", ".join(kinds)
        rows.append([f"{clause.title} ({cid})", ", ".join(clause.provides), str(clause.guidance_step), drafts,
                     "; ".join(reasons)])
    return rows


def write_memo(assessment: RiskAssessment, library: Library, out_path: str | Path,
               kind_selections: dict[str, list[tuple[Clause, list[str]]]] | None = None,
               override_stop: str | None = None) -> Path:
    """Write the due-diligence memo of an assessment; kind_selections maps each drafted kind to its
    select_clauses() result (default: every kind that fits the counterparty); override_stop is the reason given
    for drafting although the export screen stopped (recorded in the memo and its properties)."""
    out_path = check_output(out_path)
    if kind_selections is None:
        kind_selections = {kind: select_clauses(assessment, library, kind)
                           for kind in fitting_kinds(library, assessment.profile.counterparty["type"])}
    memo = load_document_templates(library, check_render=False)["memo"]
    data = memo.raw
    decision = recommend(assessment, library)
    override = (override_stop or "").strip() if assessment.export_screen.verdict == "stop" else ""
    context = dict(memo_context(assessment, library), recommendation=decision.choice,
                   override_reason=clean_value(override))

    def render(text: Any, where: str) -> str:
        return render_text(str(text or ""), context, f"documents/memo.yaml {where}")

    document = writer.new_document()
    lists = writer.add_lists(document, link_heading=True)
    title = render(data["title"], "title")
    writer.add_paragraph(document, "Title").add_run(writer.xml_text(title))
    writer.field_table(document, label_width=2700, value_width=6660, rows=[
        ("To", render(data["memo_to"], "memo_to")),
        ("From", render(data["memo_from"], "memo_from")),
        ("Date", dt.date.today().isoformat()),
        ("Re", context["transaction"]),
        ("Risk level", f"{assessment.level} (Guidance {'engaged' if assessment.in_scope else 'not engaged'}; "
                       f"export screen: {assessment.export_screen.verdict})"),
        ("Recommendation", decision.choice),
    ] + ([("Export override", f"{STOP_HEADER}. Reason: {context['override_reason']}")] if override else []))
    for sid, section in data["sections"].items():
        writer.heading(document, render(section["title"], f"sections.{sid}.title"), lists.outline)
        for para in paragraphs(render(section.get("text"), f"sections.{sid}.text")):
            intro = writer.paragraph(document, para[1])
            intro.paragraph_format.keep_with_next = sid not in ("summary", "reassessment")  # stays with its facts
        write_memo_section(document, sid, assessment, library, kind_selections, data, decision)
    writer.add_page_furniture(document, render(data.get("header"), "header"), title)
    writer.set_properties(
        document, title=f"{title}: {context['transaction']}", author="clausegen",
        subject=f"{context['product_name']}: {context['supplier']} and {context['recipient']} ({context['country']})",
        keywords="human-rights due diligence; Guidance; " + assessment.level + "; " + decision.choice
                 + (f"; {STOP_HEADER}" if override else ""),
        comments=(f"{STOP_HEADER}. Override reason: {context['override_reason']}. " if override else "")
                 + f"Risk screen by clausegen {__version__}, clause library {library.version}, "
                 f"from {Path(assessment.profile.path).name}. Recommendation: {decision.choice}.",
        category="memo")
    return writer.save(document, out_path)


IDENTIFIER_JOINT = re.compile(r"(?<=[a-z])([_.])(?=[a-z])")


def breakable(text: str) -> str:
    """Return text whose identifiers may break after "_" and "." (a zero-width space) rather than mid-word."""
    return IDENTIFIER_JOINT.sub("\\1\u200b", text)


def memo_table(document, header: list[str], rows: list[list[str]], widths: list[int]):
    """Append a memo table whose cells break long identifiers at their joints."""
    return writer.table(document, header, [[breakable(str(cell)) for cell in row] for row in rows], widths)


def bullets(document, items: list[str], empty: str) -> None:
    """Append a bulleted list (or the `empty` sentence when there is nothing to list)."""
    style = "List Bullet" if "List Bullet" in {s.name for s in document.styles} else "Normal"
    for item in items or [empty]:
        writer.paragraph(document, item, style if items else "Normal")


def write_memo_section(document, sid: str, assessment: RiskAssessment, library: Library,
                       kind_selections: dict[str, list[tuple[Clause, list[str]]]], data: dict,
                       decision: "Decision") -> None:
    """Append the facts of one memo section (tables and lists from the assessment)."""
    screen = assessment.export_screen
    if sid == "transaction":
        memo_table(document, ["Item", "Detail"], [list(r) for r in transaction_rows(assessment, library)],
                          [2200, 7160])
    elif sid == "scope":
        bullets(document, assessment.scope_reasons, "No reasons recorded.")
        writer.paragraph(document, "Conclusion: the Guidance is " + ("engaged." if assessment.in_scope
                                                                            else "not engaged."))
    elif sid == "export_screen":
        countries = library.countries
        rows = [("Verdict", screen.verdict), ("Finding", screen.message),
                ("Licence determination", screen.determination.replace("_", " ")),
                ("Classification", classification_text(assessment)),
                ("Still unknown", "; ".join(screen.unknowns) or "nothing"),
                ("Lists matched", "; ".join(screen.groups) or "none"),
                ("Data as of", str(countries.get("as_of", ""))),
                ("Sources", "; ".join(str(s.get("title", s)) if isinstance(s, dict) else str(s)
                                      for s in countries.get("sources") or []) or "see countries.yaml"),
                ("Note", str(countries.get("note", "")))]
        memo_table(document, ["Item", "Detail"], [[a, clean_value(b)] for a, b in rows], [2200, 7160])
        if screen.checks:
            writer.paragraph(document, "The checks made:").paragraph_format.keep_with_next = True
            memo_table(document, ["Check", "Result", "Basis, source and date"],
                              [[c, r, clean_value(b)] for c, r, b in screen.checks], [2400, 1500, 5460])
    elif sid == "tailoring":
        bullets(document, [clean_value(str(t)) for t in assessment.profile.raw.get("tailoring") or []],
                "None recorded: whether and how the product can be tailored to limit misuse is an open question.")
    elif sid == "residual_risk":
        rows = residual_rows(assessment, library, kind_selections)
        if rows:
            memo_table(document, ["Red flag", "Severity", "Mitigated by", "Residual risk"], rows,
                       [2500, 1050, 2910, 2900])
        else:
            writer.paragraph(document, "No red flag was raised.")
    elif sid == "recommendation":
        bullets(document, decision.reasons, "No reasons recorded.")
        if decision.conditions:
            writer.paragraph(document, "Conditions:").paragraph_format.keep_with_next = True
            bullets(document, decision.conditions, "None.")
    elif sid == "sources":
        bullets(document, sources_consulted(assessment, library), "None recorded.")
    elif sid == "red_flags":
        flags = sorted(assessment.flags, key=lambda f: (f.step, SEVERITY_ORDER.get(f.severity, 9), f.id))
        if flags:
            memo_table(document, ["Step", "Red flag", "Severity", "Source", "Basis"],
                              [[str(f.step), f"{f.id}: {flag_statement(f)}", f.severity, f.source, f.reason]
                               for f in flags],
                              [700, 3500, 1050, 1350, 2760])
        else:
            writer.paragraph(document, "No red flag was raised.")
        answered_no = [fid for fid, a in assessment.profile.red_flags.items() if a.value == "no"]
        if answered_no:
            writer.paragraph(document, "Answered \"no\" in the profile (not raised): " + ", ".join(answered_no) + ".")
    elif sid == "risk":
        bullets(document, assessment.level_reasons, "No reasons recorded.")
    elif sid == "open_questions":
        bullets(document, assessment.open_questions, "None.")
    elif sid == "safeguards":
        if assessment.requirements:
            memo_table(document, ["Safeguard", "Strictness", "Required because", "Clauses", "Step"],
                              safeguard_rows(assessment, library, kind_selections), [1900, 1400, 2400, 2960, 700])
        steps = sorted({c.guidance_step for selection in kind_selections.values() for c, _ in selection})
        intro = writer.paragraph(document, "The clauses in the drafts, with the Guidance step each implements ("
                                      + "; ".join(f"step {n}: {GUIDANCE_STEPS.get(n, '')}" for n in steps) + "):")
        intro.paragraph_format.space_before = Pt(12)
        intro.paragraph_format.keep_with_next = True
        memo_table(document, ["Clause", "Safeguards", "Step", "Drafts", "Why selected"],
                          clause_rows(kind_selections), [2300, 1900, 700, 1000, 3460])
    elif sid == "sign_off":
        for line in (f"Recommended: {decision.choice}.",
                     "Decision:  [ ] proceed    [ ] proceed with the conditions below    [ ] do not proceed",
                     "Conditions: ____________________________________________________________"):
            writer.paragraph(document, line).paragraph_format.keep_with_next = True
        grid = memo_table(document, ["Role", "Name and title", "Signature", "Date"],
                                 [[role, "", "", ""] for role in data.get("sign_off") or []], [2300, 2800, 2660, 1600])
        for row in grid.rows[1:]:
            row.height = Twips(720)
        writer.keep_together(grid)


@dataclass
class Decision:
    """The memo's recommendation: proceed, proceed with conditions, or decline; with reasons and conditions."""

    choice: str
    reasons: list[str] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)


def recommend(assessment: RiskAssessment, library: Library) -> Decision:
    """Return the recommendation the screen supports.

    Decline: the export screen stopped, or an answered (not merely suspected) critical red flag is one no clause
    can mitigate (the end user's own record of misuse). Proceed with conditions: high or critical risk, an
    export question or licence outstanding, open questions, or a red flag the contract cannot reach. Proceed:
    none of these."""
    screen = assessment.export_screen
    profile = assessment.profile
    reasons: list[str] = []
    conditions: list[str] = []
    decline = False
    if screen.verdict == "stop":
        decline = True
        reasons.append(f"the export screen stopped the transaction ({'; '.join(screen.stopped_by)})")
    for flag in assessment.flags:
        given = profile.red_flags.get(flag.id)
        if flag.severity == "critical" and given is not None and given.value == "yes" and \
                library.red_flags[flag.id].residual:
            decline = True
            reasons.append(f"{flag.id} is answered yes and is critical, and no clause can mitigate it: "
                           f"{library.red_flags[flag.id].residual}")
    residual = [f.id for f in assessment.flags if library.red_flags[f.id].residual]
    if assessment.level in ("high", "critical"):
        reasons.append(f"the overall risk is {assessment.level}")
        conditions.append("the safeguard clauses are accepted as drafted, as essential terms, without weakening")
        conditions.append("no renewal or extension without a fresh assessment (the drafts do not renew automatically)")
    if screen.verdict in ("open", "licence-required", "licence-check"):
        reasons.append(f"the export screen is {screen.verdict}: {screen.message}")
        conditions.append("export counsel records the classification, the restricted-party screening and the licence "
                          "determination, and any licence required is granted before delivery")
    if assessment.open_questions:
        reasons.append(f"{len(assessment.open_questions)} open question{'s' if len(assessment.open_questions) != 1 else ''}"
                       " remain on the file")
        conditions.append("every open question is answered on the file before signature, and the screen is run again")
    if residual:
        reasons.append("the contract cannot mitigate " + ", ".join(residual) + " (see Residual Risk)")
        conditions.append("the approvers accept the residual risk in writing, having weighed leverage, the severity of "
                          "possible abuse and the effect of not proceeding")
    if decline:
        return Decision("decline", reasons, [])
    if conditions:
        return Decision("proceed with conditions", reasons, list(dict.fromkeys(conditions)))
    return Decision("proceed", reasons or ["the screen found no red flag, open question or export issue that the "
                                           "drafts do not address"], [])


def residual_rows(assessment: RiskAssessment, library: Library,
                  kind_selections: dict[str, list[tuple[Clause, list[str]]]]) -> list[list[str]]:
    """Return one row per raised red flag: the flag, its severity, the clauses that mitigate it, what remains."""
    clauses = {c.id: c for selection in kind_selections.values() for c, _ in selection}
    rows = []
    for flag in sorted(assessment.flags, key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f.step, f.id)):
        wanted = {need.safeguard for need in library.red_flags[flag.id].calls_for}
        mitigating = [c.title for c in clauses.values()
                      if set(c.provides) & wanted or flag.id in c.triggers["red_flags"]]
        residual = library.red_flags[flag.id].residual
        rows.append([f"{flag.id}: {flag_statement(flag)}", flag.severity,
                     "; ".join(dict.fromkeys(mitigating)) or "no clause in the drafts",
                     f"Cannot be mitigated by contract: {residual}" if residual
                     else ("Reduced by the clauses listed; monitored under the reassessment and misuse-reporting terms"
                           if mitigating else "Not mitigated: no clause for it in the drafts prepared")])
    return rows


def flag_statement(flag) -> str:
    """Return a red flag as the memo states it: as a fact only when the profile answered it."""
    if flag.source == "answered":
        return flag.text
    if flag.source == "unknown-answer":
        return f"Not yet known whether: {flag.text[0].lower()}{flag.text[1:]}"
    return f"To be confirmed (raised by {flag.source}, no report cited): {flag.text[0].lower()}{flag.text[1:]}"


def classification_text(assessment: RiskAssessment) -> str:
    """Return the product's classification as the profile records it."""
    data = (assessment.profile.raw.get("export") or {}).get("classification") or {}
    if not data:
        return "not recorded"
    parts = [f"ECCN {data.get('eccn') or 'unknown'}"]
    for key in ("encryption", "crime_control"):
        if data.get(key) is not None:
            value = data[key]
            parts.append(f"{key.replace('_', ' ')}: {'yes' if value is True else 'no' if value is False else value}")
    if data.get("reasons"):
        parts.append("reasons for control: " + ", ".join(map(str, data["reasons"])))
    if data.get("source"):
        parts.append(f"source: {data['source']}")
    return "; ".join(parts)


def sources_consulted(assessment: RiskAssessment, library: Library) -> list[str]:
    """Return the sources the assessment rests on: the profile's, its answers', the export screen's and the data's."""
    profile = assessment.profile
    found = [clean_value(str(s)) for s in profile.raw.get("sources") or []]
    for fid, given in profile.red_flags.items():
        if given.note:
            found.append(f"{fid} (answered {given.value}): {clean_value(given.note)}")
    for check, result, basis in assessment.export_screen.checks:
        if check in ("restricted parties", "classification", "licence determination"):
            found.append(f"export {check} ({result}): {clean_value(basis)}")
    countries = library.countries
    titles = [str(s.get("title", s)) if isinstance(s, dict) else str(s) for s in countries.get("sources") or []]
    found.append(f"country screens as of {countries.get('as_of')}: " + "; ".join(titles))
    found.append("U.S. Department of State, Guidance on Implementing the UN Guiding Principles for Transactions "
                 "Linked to Foreign Government End-Users for Products or Services with Surveillance Capabilities (2020)")
    return list(dict.fromkeys(found))
