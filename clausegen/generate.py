"""Draft whole documents: profile -> risk assessment -> selected clauses -> rendered text -> DOCX; and the memo.

Order of work for a contract: number the articles (commercial articles of the kind's template around the
selected operative clauses), turn the numbers into cross-references (`ref('end_use')` -> "Clause 4"), render
every text with the profile's values as context VALUES (never as template source), and hand the result to
clausegen.writer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clausegen import __version__, writer
from clausegen.writer import Article, Contract, Para
from clausegen.errors import DraftCheckError, OutputError, RenderError
from clausegen.gate import STOP_HEADER, check_gate, draft_facts
from clausegen.library import CLAUSES_MARKER, DocumentArticle, DocumentTemplate, load_document_templates
from clausegen.model import DOCUMENT_KINDS, Clause, Library, Profile, RiskAssessment
from clausegen.profile import load_profile
from clausegen.render import UNRESOLVED_REF, paragraphs, render_text
from clausegen.risk import assess, holding_conditions, select_clauses

PLACEHOLDER_TEXT = "[●]"
# Capabilities a no-modification clause names as examples of what must not be added (capabilities.yaml `has`
# removes those a product already has: a facial-recognition product is not barred from facial recognition).
MODIFICATION_EXAMPLES = ("facial recognition", "biometric matching", "inference of emotion or ethnicity",
                         "interception of communications", "fusion of location data")
# The document facts (document_facts) where no profile gives them: the reviewer's rider drafts from a contract.
DOCUMENT_FACT_DEFAULTS = {
    "manufacturer": "[manufacturer]",
    "government": False,
    "renewal_after_reassessment": False,
    "export_stopped": False,
    "diligence_statement": "Having carried out human-rights due diligence, the Parties have agreed the safeguards set "
                           "out in {agreement}.",
}
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
    problems: list[Any] = field(default_factory=list)  # the draft checker's findings (clausegen.check.Problem)


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
        text = writer.xml_text(value)
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
    if template.kind == "downstream-eula":  # the reseller licenses its own customer: neither profile role applies
        return template.roles["supplier"], template.roles["recipient"]
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
    if template.kind == "downstream-eula":  # the reseller licenses its own customer, named in the Order
        context.update(supplier=profile.counterparty["name"], recipient="[name of the end user]",
                       supplier_country=context["recipient_country"], recipient_country="[country]")
    context.update(document_facts(assessment, library))
    context.update({name: var.default for name, var in template.variables.items()})
    return clean_value(context)


def document_facts(assessment: RiskAssessment, library: Library) -> dict[str, Any]:
    """Return the facts of the screen that a document template may read (library.DOCUMENT_CONTEXT)."""
    profile = assessment.profile
    stopped = assessment.export_screen.verdict == "stop"
    if stopped:
        diligence = ("The export-control screen of this transaction has not cleared. This draft is prepared for "
                     "discussion only, under a recorded override; it is not for execution, and no Party may rely on "
                     "the due diligence as complete.")
    elif str(profile.seller.get("country") or "").upper() in ("", "US"):
        diligence = ("Having carried out due diligence on this transaction in line with the U.S. Department of "
                     "State's 2020 Guidance for transactions linked to foreign government end users of products or "
                     "services with surveillance capabilities, the Parties have agreed the safeguards set out in "
                     "{agreement}.")
    else:
        diligence = ("Having carried out human-rights due diligence on this transaction in line with the UN Guiding "
                     "Principles on Business and Human Rights and the OECD Guidelines for Multinational Enterprises, "
                     "using the U.S. Department of State's 2020 Guidance on products or services with surveillance "
                     "capabilities as a reference, the Parties have agreed the safeguards set out in {agreement}.")
    return {
        "manufacturer": profile.seller["name"],
        "government": profile.counterparty["type"] in ("government_agency", "state_owned"),
        "renewal_after_reassessment": assessment.level in ("high", "critical"),
        "export_stopped": stopped,
        "diligence_statement": diligence,
    }


def profile_facts(assessment: RiskAssessment, library: Library) -> dict[str, Any]:
    """Return the clause values the generator computes from the screen (clauses declare them as variables):
    whether the product runs on premises, whether local law compels government access, the capabilities a
    no-modification clause may name as examples (not those the product already has), and the export verdict."""
    profile = assessment.profile
    verdict = assessment.export_screen.verdict
    caps = profile.product.get("capabilities", [])
    own = {example for c in caps for example in library.capabilities.get(c, {}).get("has", [])}
    return {
        "on_premises": profile.deployment.get("model") in ("on_premises", "hybrid"),
        "compelled_access": any(profile.red_flags.get(f) is not None and profile.red_flags[f].value == "yes"
                                for f in ("law.access_without_safeguards", "law.state_controls_infrastructure")),
        "modification_examples": [e for e in MODIFICATION_EXAMPLES if e not in own],
        "export_stopped": verdict == "stop",
        "licence_required": verdict in ("stop", "licence-required"),
    }


def profile_overrides(profile: Profile, assessment: RiskAssessment | None = None,
                      library: Library | None = None) -> dict[str, Any]:
    """Return the profile's `variables:` (cleaned) over the values computed from the screen; they override clause
    and document variables."""
    overrides = dict(profile_facts(assessment, library)) if assessment is not None and library is not None else {}
    overrides.update(clean_value(dict(profile.raw.get("variables") or {})))
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


def safeguard_reference(template: DocumentTemplate, numbers: dict[str, int],
                        selection: list[tuple[Clause, list[str]]]) -> str:
    """Return a reference to every safeguard clause: "Clauses 4 to 15" (they follow one another)."""
    found = sorted(numbers[c.id] for c, _ in selection)
    if not found:
        return "the safeguard provisions of " + template.agreement
    word = re.sub(r" ?\{number\}.*", "", template.reference) or "Clause"
    if len(found) == 1:
        return template.reference.format(number=found[0])
    return f"{word}s {found[0]} to {found[-1]}" + template.reference.split("{number}", 1)[1]


def active_template(template: DocumentTemplate, held: set[str]) -> DocumentTemplate:
    """Return the template without the articles whose `when` conditions do not hold."""
    import dataclasses

    keep = [a for a in template.articles
            if not isinstance(a, DocumentArticle) or not a.when or set(a.when) & held]
    return dataclasses.replace(template, articles=keep)


def cross_references(template: DocumentTemplate, numbers: dict[str, int],
                     selection: list[tuple[Clause, list[str]]]) -> dict[str, str]:
    """Return ref() targets -> text: article and clause ids, and each safeguard id -> the clause providing it.

    A safeguard points to the first clause whose primary safeguard it is, else the first that provides it.
    """
    refs = {target: template.reference.format(number=writer.article_ref(n)) for target, n in numbers.items()}
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
    base = dict(DOCUMENT_FACT_DEFAULTS, **base)
    base = dict(base, safeguard_clauses=safeguard_reference(template, numbers, selection),
                diligence_statement=str(base.get("diligence_statement", "")).format(
                    agreement=base.get("agreement", "this Agreement")))
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
                                                 writer.without_refs(text), list(clause.provides),
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
        return writer.open_template(path)
    except Exception as exc:  # python-docx raises several kinds for a file that is not a .docx
        raise RenderError(f"{path}: not a Word .docx template ({type(exc).__name__}: {exc})") from None


def document_properties(contract: Contract, base: dict[str, Any], kind: str, generated: list[GeneratedClause],
                        library: Library, origin: str, override_stop: str | None = None) -> dict[str, str]:
    """Return the core properties of a generated contract; an override of a stopped screen leads each field
    a reader sees first (title, keywords, comments)."""
    titles = dict.fromkeys(library.safeguards[s].title for c in generated for s in c.provides if s in library.safeguards)
    comments = (f"Drafted with clausegen {__version__}, clause library {library.version}, from {origin}. "
                f"Clauses: {', '.join(c.id for c in generated)}.")
    properties = {
        "title": contract.title,
        "author": str(base["supplier"]),
        "subject": f"{base['product_name']}: {base['supplier']} and {base['recipient']}",
        "keywords": "; ".join(titles),
        "comments": comments,
        "category": kind,
    }
    if override_stop:
        properties["title"] = f"{STOP_HEADER}: {contract.title}"
        properties["keywords"] = f"{STOP_HEADER}; " + properties["keywords"]
        properties["comments"] = f"{STOP_HEADER}. Override reason: {override_stop}. " + comments
    return properties


def write_document(contract: Contract, out_path: Path, properties: dict[str, str], template: str | Path | None,
                   schedule: Contract | None, stop_header: str = "") -> str:
    """Write a contract as a new document, into a firm template's placeholder, or a schedule appended to it.

    Return the placement: "document", "placeholder" or "schedule".
    """
    if template is None:
        document = writer.new_document()
        lists = writer.add_lists(document, link_heading=True)
        writer.write_contract(document, contract, lists)
        writer.add_page_furniture(document, contract.header, contract.title)
        placement = "document"
    else:
        document = open_firm_template(template)
        lists = writer.add_lists(document, link_heading=False)
        anchor = writer.find_placeholder(document)
        if anchor is not None:
            writer.write_at(document, anchor, lambda d: writer.write_contract(d, contract, lists))
            placement = "placeholder"
        else:
            writer.write_contract(document, schedule, lists, page_break=True)
            placement = "schedule"
        if stop_header:  # the firm's own header gives way: every page must say the draft is not for execution
            writer.add_page_furniture(document, stop_header, "")
    if placement != "schedule":  # a schedule joins the firm's document, which keeps its own properties
        writer.set_properties(document, **properties)
    writer.save(document, out_path)
    return placement


def generate(source: str | Path | Profile | RiskAssessment, library: Library, kind: str, out_path: str | Path,
             template: str | Path | None = None, override_stop: str | None = None,
             check: bool = True) -> GeneratedDocument:
    """Draft a document of `kind` (eula, reseller, master, rider, downstream-eula) for a profile, write it to
    out_path and run the draft checker on it.

    A kind that does not fit the counterparty is refused (RenderError); a stopped export screen is refused
    (ExportStopError) unless `override_stop` gives the reason, which then marks every page, the properties and
    the memo. With `template` (a firm's .docx) the document is written into it: at the paragraph whose whole text
    is {{CLAUSEGEN}}, or, when it has none, the selected clauses are appended as a schedule. Raise
    DraftCheckError (after writing) when the checker finds an error.
    """
    if kind not in DOCUMENT_KINDS:
        raise RenderError(f"unknown document kind '{kind}'; expected one of {', '.join(DOCUMENT_KINDS)}")
    out_path = check_output(out_path)
    assessment = as_assessment(source, library)
    check_gate(assessment, library, kind, override_stop)
    stopped = assessment.export_screen.verdict == "stop"
    templates = load_document_templates(library, check_render=False)
    selection = select_clauses(assessment, library, kind)
    overrides = profile_overrides(assessment.profile, assessment, library)
    base = base_context(assessment, library, templates[kind])
    held = holding_conditions(assessment)
    draft = build_contract(active_template(templates[kind], held), selection, base, overrides)
    if stopped:
        draft.contract.header = STOP_HEADER
    schedule = None
    if template is not None:
        schedule_base = base_context(assessment, library, templates["schedule"])
        schedule = build_contract(templates["schedule"], selection, schedule_base, overrides)
        if stopped:
            schedule.contract.header = STOP_HEADER
    facts = draft_facts(assessment, library, kind)
    properties = document_properties(draft.contract, base, kind, draft.clauses, library,
                                     Path(assessment.profile.path).name, override_stop if stopped else None)
    properties["identifier"] = facts.to_line()
    placement = write_document(draft.contract, out_path, properties, template, schedule and schedule.contract,
                               STOP_HEADER if stopped else "")
    written = schedule if placement == "schedule" else draft
    warnings = list(written.warnings)
    if stopped:
        warnings.insert(0, f"export screen stopped ({'; '.join(assessment.export_screen.stopped_by)}); drafted "
                           f"under override: {override_stop}")
    result = GeneratedDocument(kind, str(out_path), written.contract.title, written.clauses, written.numbers,
                               written.definitions, placement, warnings)
    if check:
        from clausegen.check import check_paragraphs, docx_paragraphs

        paras, _, headings = docx_paragraphs(out_path)
        facts.clause_ids = [c.id for c, _ in selection]
        facts.terms_defined_elsewhere = placement == "schedule"
        confirmed = tuple(str(v) for v in overrides.values() if isinstance(v, str))
        result.problems = check_paragraphs(paras, library, facts, confirmed=confirmed, headings=headings)
        errors = [p for p in result.problems if p.severity == "error"]
        if errors:
            raise DraftCheckError(out_path, errors)
    return result
