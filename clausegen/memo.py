"""The due-diligence memo: the assessment, the export determination, residual risk per red flag, the
recommendation, the sources consulted and the sign-off (Guidance: document the diligence and the decision)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from clausegen import __version__, docx_writer
from clausegen.generate import GUIDANCE_STEPS, check_output, clean_value, country_in_sentence, country_name
from clausegen.library import load_document_templates
from clausegen.model import DOCUMENT_KINDS, Clause, Library, RiskAssessment
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
               kind_selections: dict[str, list[tuple[Clause, list[str]]]] | None = None) -> Path:
    """Write the due-diligence memo of an assessment; kind_selections maps each drafted kind to its
    select_clauses() result (default: every kind)."""
    out_path = check_output(out_path)
    if kind_selections is None:
        kind_selections = {kind: select_clauses(assessment, library, kind) for kind in DOCUMENT_KINDS}
    memo = load_document_templates(library, check_render=False)["memo"]
    data = memo.raw
    context = memo_context(assessment, library)

    def render(text: Any, where: str) -> str:
        return render_text(str(text or ""), context, f"documents/memo.yaml {where}")

    document = docx_writer.new_document()
    lists = docx_writer.add_lists(document, link_heading=True)
    title = render(data["title"], "title")
    docx_writer.add_paragraph(document, "Title").add_run(docx_writer.xml_text(title))
    docx_writer.field_table(document, [
        ("To", render(data["memo_to"], "memo_to")),
        ("From", render(data["memo_from"], "memo_from")),
        ("Date", dt.date.today().isoformat()),
        ("Re", context["transaction"]),
        ("Risk level", f"{assessment.level} (Guidance {'engaged' if assessment.in_scope else 'not engaged'}; "
                       f"export screen: {assessment.export_screen.verdict})"),
    ])
    for sid, section in data["sections"].items():
        docx_writer.heading(document, render(section["title"], f"sections.{sid}.title"), lists.outline)
        for para in paragraphs(render(section.get("text"), f"sections.{sid}.text")):
            intro = docx_writer.paragraph(document, para[1])
            intro.paragraph_format.keep_with_next = sid not in ("summary", "reassessment")  # stays with its facts
        write_memo_section(document, sid, assessment, library, kind_selections, data)
    docx_writer.add_page_furniture(document, render(data.get("header"), "header"), title)
    docx_writer.set_properties(
        document, title=f"{title}: {context['transaction']}", author="clausegen",
        subject=f"{context['product_name']}: {context['supplier']} and {context['recipient']} ({context['country']})",
        keywords="human-rights due diligence; Guidance; " + assessment.level,
        comments=f"Risk screen by clausegen {__version__}, clause library {library.version}, "
                 f"from {Path(assessment.profile.path).name}.",
        category="memo")
    return docx_writer.save(document, out_path)


def bullets(document, items: list[str], empty: str) -> None:
    """Append a bulleted list (or the `empty` sentence when there is nothing to list)."""
    style = "List Bullet" if "List Bullet" in {s.name for s in document.styles} else "Normal"
    for item in items or [empty]:
        docx_writer.paragraph(document, item, style if items else "Normal")


def write_memo_section(document, sid: str, assessment: RiskAssessment, library: Library,
                       kind_selections: dict[str, list[tuple[Clause, list[str]]]], data: dict) -> None:
    """Append the facts of one memo section (tables and lists from the assessment)."""
    screen = assessment.export_screen
    if sid == "transaction":
        docx_writer.table(document, ["Item", "Detail"], [list(r) for r in transaction_rows(assessment, library)],
                          [2200, 7160])
    elif sid == "scope":
        bullets(document, assessment.scope_reasons, "No reasons recorded.")
        docx_writer.paragraph(document, "Conclusion: the Guidance is " + ("engaged." if assessment.in_scope
                                                                            else "not engaged."))
    elif sid == "export_screen":
        countries = library.countries
        rows = [("Verdict", screen.verdict), ("Finding", screen.message),
                ("Lists matched", "; ".join(screen.groups) or "none"),
                ("Data as of", str(countries.get("as_of", ""))),
                ("Sources", "; ".join(str(s.get("title", s)) if isinstance(s, dict) else str(s)
                                      for s in countries.get("sources") or []) or "see countries.yaml"),
                ("Note", str(countries.get("note", "")))]
        docx_writer.table(document, ["Item", "Detail"], [[a, clean_value(b)] for a, b in rows], [2200, 7160])
    elif sid == "red_flags":
        flags = sorted(assessment.flags, key=lambda f: (f.step, SEVERITY_ORDER.get(f.severity, 9), f.id))
        if flags:
            docx_writer.table(document, ["Step", "Red flag", "Severity", "Source", "Basis"],
                              [[str(f.step), f"{f.id}: {f.text}", f.severity, f.source, f.reason] for f in flags],
                              [600, 3700, 900, 1400, 2760])
        else:
            docx_writer.paragraph(document, "No red flag was raised.")
        answered_no = [fid for fid, a in assessment.profile.red_flags.items() if a.value == "no"]
        if answered_no:
            docx_writer.paragraph(document, "Answered \"no\" in the profile (not raised): " + ", ".join(answered_no) + ".")
    elif sid == "risk":
        bullets(document, assessment.level_reasons, "No reasons recorded.")
    elif sid == "open_questions":
        bullets(document, assessment.open_questions, "None.")
    elif sid == "safeguards":
        if assessment.requirements:
            docx_writer.table(document, ["Safeguard", "Strictness", "Required because", "Clauses", "Step"],
                              safeguard_rows(assessment, library, kind_selections), [2000, 1050, 2700, 2910, 700])
        steps = sorted({c.guidance_step for selection in kind_selections.values() for c, _ in selection})
        intro = docx_writer.paragraph(document, "The clauses in the drafts, with the Guidance step each implements ("
                                      + "; ".join(f"step {n}: {GUIDANCE_STEPS.get(n, '')}" for n in steps) + "):")
        intro.paragraph_format.space_before = docx_writer.Pt(12)
        intro.paragraph_format.keep_with_next = True
        docx_writer.table(document, ["Clause", "Safeguards", "Step", "Drafts", "Why selected"],
                          clause_rows(kind_selections), [2300, 2050, 650, 900, 3460])
    elif sid == "sign_off":
        for line in ("Decision:  [ ] proceed    [ ] proceed with the conditions below    [ ] do not proceed",
                     "Conditions: ____________________________________________________________"):
            docx_writer.paragraph(document, line).paragraph_format.keep_with_next = True
        grid = docx_writer.table(document, ["Role", "Name and title", "Signature", "Date"],
                                 [[role, "", "", ""] for role in data.get("sign_off") or []], [2300, 2800, 2660, 1600])
        for row in grid.rows[1:]:
            row.height = docx_writer.Twips(720)
        docx_writer.keep_together(grid)
