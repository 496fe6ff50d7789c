"""Draft whole documents: profile -> risk assessment -> selected clauses -> rendered text -> DOCX; and the memo.

Order of work for a contract: number the articles (commercial articles of the kind's template around the
selected operative clauses), turn the numbers into cross-references (`ref('end_use')` -> "Clause 4"), render
every text with the profile's values as context VALUES (never as template source), and hand the result to
clausegen.docx_writer.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clausegen import __version__, docx_writer
from clausegen.docx_writer import Article, Contract, Para
from clausegen.errors import OutputError, RenderError
from clausegen.library import CLAUSES_MARKER, DocumentArticle, DocumentTemplate, load_document_templates
from clausegen.model import DOCUMENT_KINDS, Clause, Library, Profile, RiskAssessment
from clausegen.profile import load_profile
from clausegen.render import UNRESOLVED_REF, paragraphs, render_text
from clausegen.risk import assess, select_clauses

PLACEHOLDER_TEXT = "[●]"
MAX_TEMPLATE_BYTES = 50_000_000
GUIDANCE_STEPS = {
    1: "review the product's capabilities",
    2: "review the end user's human-rights record",
    3: "review the country's laws and policies",
    4: "review stakeholders and intermediaries",
    5: "tailor the product to minimise misuse",
    6: "contractual and procedural safeguards before sale",
    7: "safeguards after sale: invoke, investigate, reassess",
    8: "public reporting",
}
# Country names that take "the" in a sentence ("the laws of the United States").
THE_COUNTRY = re.compile(
    r"^(United |Russian Federation|Netherlands|Philippines|Bahamas|Gambia|Maldives|Comoros|Holy See|Central African|"
    r"Dominican|Czech|State of|Federated States|Democratic Republic|Republic of|British |U\.S\. )|Islands\b|Republic$")
SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}


@dataclass
class GeneratedClause:
    """One operative clause as it appears in a generated document."""

    id: str
    title: str
    number: int
    reasons: list[str]
    text: str  # the rendered text, paragraphs separated by one blank line
    provides: list[str] = field(default_factory=list)
    guidance_step: int = 0


@dataclass
class GeneratedDocument:
    """What was written: the clauses in order with their numbers, the defined terms, where they went."""

    kind: str
    path: str
    title: str
    clauses: list[GeneratedClause]
    numbers: dict[str, int]  # article id or clause id -> article number
    definitions: list[str]  # the terms listed in the Definitions article
    placement: str  # "document" | "placeholder" (into a firm template) | "schedule" (appended to one)
    warnings: list[str] = field(default_factory=list)


@dataclass
class Draft:
    """A template rendered with its clauses, before it is written."""

    contract: Contract
    clauses: list[GeneratedClause]
    numbers: dict[str, int]
    definitions: list[str]
    warnings: list[str]


# --------------------------------------------------------------------------------------------------- values


def clean_value(value: Any) -> Any:
    """Return a profile value fit for a document: text without XML-invalid characters, newlines as spaces.

    Values are context values for Jinja2, never template source, so "{{ 7*7 }}" stays literal.
    """
    if isinstance(value, str):
        text = docx_writer.xml_text(value)
        return re.sub(r" {2,}", " ", text).strip()
    if isinstance(value, dict):
        return {str(k): clean_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_value(v) for v in value]
    return value


def as_assessment(source: str | Path | Profile | RiskAssessment, library: Library) -> RiskAssessment:
    """Return the risk assessment of a profile path, a loaded profile or an assessment."""
    if isinstance(source, RiskAssessment):
        return source
    profile = source if isinstance(source, Profile) else load_profile(source, library)
    return assess(profile, library)


def country_name(library: Library, code: str | None) -> str:
    """Return a country's name from the library's country data, or a placeholder."""
    if not code:
        return PLACEHOLDER_TEXT
    return library.countries.get("countries", {}).get(str(code).upper(), str(code))


def country_in_sentence(name: str) -> str:
    """Return a country name as a sentence uses it: "Congo, The Democratic Republic of the" -> "the Democratic
    Republic of the Congo", "United States" -> "the United States", "Egypt" -> "Egypt"."""
    head, _, tail = name.partition(", ")
    tail = re.sub(r"^[Tt]he ", "", tail)
    if tail and (tail.endswith((" of", " of the")) or tail in ("British", "U.S.")):
        name = f"{tail} {head}"
    if THE_COUNTRY.search(name):
        name = "the " + name
    return name


def role_terms(template: DocumentTemplate, profile: Profile) -> tuple[str, str]:
    """Return (supplier_term, recipient_term): the profile's role_term, else the kind's default.

    A reseller agreement with a counterparty listed as a distributor calls it "Distributor".
    """
    supplier = profile.seller.get("role_term") or template.roles["supplier"]
    recipient = profile.counterparty.get("role_term")
    if not recipient:
        recipient = template.roles["recipient"]
        name = profile.counterparty.get("name")
        if template.kind == "reseller" and any(i.get("type") == "distributor" and i.get("name") == name
                                               for i in profile.intermediaries):
            recipient = "Distributor"
    return str(supplier), str(recipient)


def base_context(assessment: RiskAssessment, library: Library, template: DocumentTemplate) -> dict[str, Any]:
    """Return the standard and document context of a template, filled from the profile (values cleaned)."""
    profile = assessment.profile
    supplier_term, recipient_term = role_terms(template, profile)
    months = profile.deployment.get("licence_term_months")
    context = {
        "supplier": profile.seller["name"],
        "recipient": profile.counterparty["name"],
        "supplier_term": supplier_term,
        "recipient_term": recipient_term,
        "product": template.product,
        "product_name": profile.product["name"],
        "country": country_in_sentence(country_name(library, profile.destination)),
        "agreement": template.agreement,
        "governing_law": profile.raw.get("governing_law") or "[governing law]",
        "licence_term_months": months if months else PLACEHOLDER_TEXT,
        "supplier_country": country_in_sentence(country_name(library, profile.seller.get("country"))),
        "recipient_country": country_in_sentence(country_name(library, profile.counterparty.get("country"))),
        "effective_date": "[date]",
    }
    context.update({name: var.default for name, var in template.variables.items()})
    return clean_value(context)


def profile_overrides(profile: Profile) -> dict[str, Any]:
    """Return the profile's `variables:` (cleaned); they override clause and document variables."""
    overrides = clean_value(dict(profile.raw.get("variables") or {}))
    overrides.pop("ref", None)
    stated = clean_value(str(profile.end_use.get("stated") or "")).strip().rstrip(".")
    if stated and "authorized_purpose" not in overrides:
        # The stated end use becomes the contract's authorised purpose ("Identification of ..." -> "identification of ...").
        overrides["authorized_purpose"] = stated[0].lower() + stated[1:] if stated[1:2].islower() else stated
    return overrides


# --------------------------------------------------------------------------------------------------- contract


def number_articles(template: DocumentTemplate, selection: list[tuple[Clause, list[str]]]) -> dict[str, int]:
    """Return the article number of every commercial article id and selected clause id, in document order."""
    numbers: dict[str, int] = {}
    for item in template.articles:
        if item == CLAUSES_MARKER:
            for clause, _ in selection:
                numbers[clause.id] = len(numbers) + 1
        else:
            numbers[item.id] = len(numbers) + 1
    return numbers


def cross_references(template: DocumentTemplate, numbers: dict[str, int],
                     selection: list[tuple[Clause, list[str]]]) -> dict[str, str]:
    """Return ref() targets -> text: article and clause ids, and each safeguard id -> the clause providing it.

    A safeguard points to the first clause whose primary safeguard it is, else the first that provides it.
    """
    refs = {target: template.reference.format(number=docx_writer.article_ref(n)) for target, n in numbers.items()}
    for primary_only in (True, False):
        for clause, _ in selection:
            for sid in clause.provides[:1] if primary_only else clause.provides:
                refs.setdefault(sid, refs[clause.id])
    return refs


def render_paras(source: str, context: dict[str, Any], name: str, refs: dict[str, str]) -> list[Para]:
    """Render a text and split it into sub-clauses (level 2) and (a) items (level 3)."""
    text = render_text(source, context, name, refs)
    return [Para(level, body) for level, body in paragraphs(text)] if text else []


def definition_para(term: str, meaning: str) -> Para:
    """Return a definitions-list entry: "Term" means ... ."""
    meaning = meaning.strip()
    end = "" if meaning.endswith((".", ";", ":")) else "."
    return Para(0, f'"{term}" means {meaning}{end}')


def clause_context(clause: Clause, base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Return the context of one clause: base, the clause's variable defaults, then the profile's overrides."""
    context = dict(base)
    context.update(clean_value({n: v.default for n, v in clause.variables.items() if v.default is not None}))
    context.update(overrides)
    return context


def build_contract(template: DocumentTemplate, selection: list[tuple[Clause, list[str]]], base: dict[str, Any],
                   overrides: dict[str, Any]) -> Draft:
    """Render a template with its selected clauses: number the articles, resolve ref(), render every text."""
    warnings: list[str] = []
    numbers = number_articles(template, selection)
    refs = cross_references(template, numbers, selection)
    context = dict(base, **overrides)
    context["selected"] = sorted({c.id for c, _ in selection} | {s for c, _ in selection for s in c.provides})
    base = dict(base, selected=context["selected"])
    source = Path(template.path).name

    def render(text: str, where: str) -> str:
        return render_text(text, context, f"documents/{source} {where}", refs) if text else ""

    definitions: dict[str, str] = {}
    for term, meaning in template.definitions.items():
        definitions[term] = render(meaning, f"definitions.{term}")
    clause_texts: dict[str, str] = {}
    for clause, _ in selection:
        ctx = clause_context(clause, base, overrides)
        clause_texts[clause.id] = render_text(clause.text, ctx, clause.id, refs)
        for term, meaning in clause.definitions.items():
            text = render_text(meaning, ctx, f"{clause.id} definitions.{term}", refs)
            if term in definitions and definitions[term] != text:
                warnings.append(f"'{term}' is defined differently by {clause.id}; the first definition is used")
            definitions.setdefault(term, text)

    articles: list[Article] = []
    generated: list[GeneratedClause] = []
    for item in template.articles:
        if item == CLAUSES_MARKER:
            for clause, reasons in selection:
                text = clause_texts[clause.id]
                paras = [Para(level, body) for level, body in paragraphs(text)] if text else []
                articles.append(Article(numbers[clause.id], clause.id, clause.title, paras))
                generated.append(GeneratedClause(clause.id, clause.title, numbers[clause.id], list(reasons),
                                                 docx_writer.without_refs(text), list(clause.provides),
                                                 clause.guidance_step))
            continue
        article: DocumentArticle = item
        paras = render_paras(article.text, context, f"documents/{source} articles.{article.id}", refs)
        if article.definitions:
            paras += [definition_para(t, definitions[t]) for t in sorted(definitions, key=str.lower)]
            paras += render_paras(article.after, context, f"documents/{source} articles.{article.id}.after", refs)
        articles.append(Article(numbers[article.id], article.id, render(article.title, f"articles.{article.id}.title"),
                                paras))

    parties = template.parties
    recitals = template.recitals
    signature = template.signature
    contract = Contract(
        title=render(template.title, "title"),
        subtitle=render(template.subtitle, "subtitle"),
        header=render(template.header, "header"),
        parties_heading=render(parties.get("heading", ""), "parties.heading"),
        parties_intro=render(parties.get("intro", ""), "parties.intro"),
        parties=[render(parties[k], f"parties.{k}") for k in ("supplier", "recipient") if parties.get(k)],
        parties_outro=render(parties.get("outro", ""), "parties.outro"),
        recitals_heading=render(str(recitals.get("heading", "")), "recitals.heading"),
        recitals=[render(str(r), f"recitals.items[{i}]") for i, r in enumerate(recitals.get("items") or [])],
        terms_heading=render(template.terms_heading, "terms_heading"),
        articles=articles,
        signature_heading=render(str(signature.get("heading", "")), "signature.heading"),
        signature_intro=render(str(signature.get("intro", "")), "signature.intro"),
        signatories=[str(base["supplier"]), str(base["recipient"])] if signature else [],
        signature_lines=[render(str(label), "signature.lines") for label in signature.get("lines") or []],
    )
    unresolved = UNRESOLVED_REF.format(agreement=context.get("agreement", "this Agreement"))
    if any(unresolved in p.text for a in articles for p in a.paras):
        warnings.append(f"a cross-reference found no clause and reads '{unresolved}'")
    return Draft(contract, generated, numbers, sorted(definitions, key=str.lower), warnings)


def check_output(path: str | Path) -> Path:
    """Return the output path after checking that its folder exists."""
    path = Path(path)
    if not path.parent.is_dir():
        raise OutputError(f"{path}: the folder {path.parent} does not exist")
    return path


def open_firm_template(path: str | Path):
    """Open a firm's .docx for writing into; a clear error for anything that is not one."""
    path = Path(path)
    if not path.is_file():
        raise RenderError(f"{path}: template not found")
    if path.stat().st_size > MAX_TEMPLATE_BYTES:
        raise RenderError(f"{path}: template is larger than {MAX_TEMPLATE_BYTES // 1_000_000} MB")
    from clausegen.errors import IngestError
    from clausegen.ingest import Limits, _open_zip

    try:  # the reviewer's zip checks (entries, inflated sizes, ratios) before python-docx inflates every part
        _open_zip(path.read_bytes(), str(path), Limits.from_env())
    except IngestError as exc:
        raise RenderError(f"{exc}; not a Word .docx template") from None
    try:
        return docx_writer.open_template(path)
    except Exception as exc:  # python-docx raises several kinds for a file that is not a .docx
        raise RenderError(f"{path}: not a Word .docx template ({type(exc).__name__}: {exc})") from None


def document_properties(contract: Contract, base: dict[str, Any], kind: str, generated: list[GeneratedClause],
                        library: Library, origin: str) -> dict[str, str]:
    """Return the core properties of a generated contract."""
    titles = dict.fromkeys(library.safeguards[s].title for c in generated for s in c.provides if s in library.safeguards)
    return {
        "title": contract.title,
        "author": str(base["supplier"]),
        "subject": f"{base['product_name']}: {base['supplier']} and {base['recipient']}",
        "keywords": "; ".join(titles),
        "comments": (f"Drafted with clausegen {__version__}, clause library {library.version}, from {origin}. "
                     f"Clauses: {', '.join(c.id for c in generated)}."),
        "category": kind,
    }


def write_document(contract: Contract, out_path: Path, properties: dict[str, str], template: str | Path | None,
                   schedule: Contract | None) -> str:
    """Write a contract as a new document, into a firm template's placeholder, or a schedule appended to it.

    Return the placement: "document", "placeholder" or "schedule".
    """
    if template is None:
        document = docx_writer.new_document()
        lists = docx_writer.add_lists(document, link_heading=True)
        docx_writer.write_contract(document, contract, lists)
        docx_writer.add_page_furniture(document, contract.header, contract.title)
        placement = "document"
    else:
        document = open_firm_template(template)
        lists = docx_writer.add_lists(document, link_heading=False)
        anchor = docx_writer.find_placeholder(document)
        if anchor is not None:
            docx_writer.write_at(document, anchor, lambda d: docx_writer.write_contract(d, contract, lists))
            placement = "placeholder"
        else:
            docx_writer.write_contract(document, schedule, lists, page_break=True)
            placement = "schedule"
    if placement != "schedule":  # a schedule joins the firm's document, which keeps its own properties
        docx_writer.set_properties(document, **properties)
    docx_writer.save(document, out_path)
    return placement


def generate(source: str | Path | Profile | RiskAssessment, library: Library, kind: str, out_path: str | Path,
             template: str | Path | None = None) -> GeneratedDocument:
    """Draft a document of `kind` (eula, reseller, master, rider) for a profile and write it to out_path.

    With `template` (a firm's .docx) the document is written into it: at the paragraph whose whole text is
    {{CLAUSEGEN}}, or, when it has none, the selected clauses are appended as a schedule. Return a summary.
    """
    if kind not in DOCUMENT_KINDS:
        raise RenderError(f"unknown document kind '{kind}'; expected one of {', '.join(DOCUMENT_KINDS)}")
    out_path = check_output(out_path)
    assessment = as_assessment(source, library)
    templates = load_document_templates(library, check_render=False)
    selection = select_clauses(assessment, library, kind)
    overrides = profile_overrides(assessment.profile)
    base = base_context(assessment, library, templates[kind])
    draft = build_contract(templates[kind], selection, base, overrides)
    schedule = None
    if template is not None:
        schedule_base = base_context(assessment, library, templates["schedule"])
        schedule = build_contract(templates["schedule"], selection, schedule_base, overrides)
    properties = document_properties(draft.contract, base, kind, draft.clauses, library,
                                     Path(assessment.profile.path).name)
    placement = write_document(draft.contract, out_path, properties, template, schedule and schedule.contract)
    written = schedule if placement == "schedule" else draft
    warnings = list(written.warnings)
    if assessment.export_screen.verdict == "stop":
        warnings.insert(0, f"export screen: {assessment.export_screen.message}")
    return GeneratedDocument(kind, str(out_path), written.contract.title, written.clauses, written.numbers,
                             written.definitions, placement, warnings)


# --------------------------------------------------------------------------------------------------- memo


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
