"""Screen a transaction: red flags (answered and derived) -> risk level -> required safeguards -> clauses."""

from __future__ import annotations

from clausegen.model import (
    RISK_LEVELS,
    SAFEGUARD_IDS,
    Clause,
    ExportScreen,
    Library,
    Profile,
    RaisedFlag,
    Requirement,
    RiskAssessment,
)

GOVERNMENT_TYPES = ("government_agency", "state_owned")
RESELLER_TYPES = ("reseller", "integrator")
TYPE_LABELS = {"government_agency": "government agency", "state_owned": "state-owned company"}
SEVERITY_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}
# An "unknown" answer raises the flag, but a guess is not evidence: it cannot by itself make a deal critical.
UNKNOWN_SEVERITY_CAP = "high"
# Every contract for a surveillance-capable product carries these, whatever the screen finds.
BASELINE = ("end_use", "export_control", "transfer_restriction")
# Guidance step 6: in-scope transactions also get these.
IN_SCOPE = ("suspension_termination", "human_rights", "misuse_reporting")


def assess(profile: Profile, library: Library) -> RiskAssessment:
    """Return the risk assessment of a validated profile against the library's red flags and country data."""
    screen = export_screen(profile, library)
    in_scope, scope_reasons = scope(profile, library)
    flags = raise_flags(profile, library)
    level, level_reasons = risk_level(flags, in_scope, screen)
    requirements = required_safeguards(profile, library, flags, in_scope, level)
    return RiskAssessment(
        profile=profile,
        in_scope=in_scope,
        scope_reasons=scope_reasons,
        flags=flags,
        level=level,
        level_reasons=level_reasons,
        requirements=requirements,
        export_screen=screen,
        open_questions=open_questions(profile, library, flags, screen),
    )


def scope(profile: Profile, library: Library) -> tuple[bool, list[str]]:
    """Return whether the Guidance is engaged, with the reasons for the product, the end user and the seller.

    The Guidance concerns foreign government end users of U.S. businesses: a government in the seller's own
    country is not a foreign government end user, and a seller outside the United States applies the UN Guiding
    Principles and the OECD Guidelines, with the Guidance as a reference standard."""
    caps = [library.capabilities[c]["title"] for c in profile.product.get("capabilities", [])]
    product_in = bool(caps)
    reasons = [f"product: surveillance capabilities named in the Guidance ({', '.join(caps)})" if product_in
               else "product: no capability category of the Guidance was named"]
    ctype = profile.counterparty["type"]
    seller_country = str(profile.seller.get("country") or "US").upper()
    domestic = profile.counterparty.get("country") == seller_country and profile.destination == seller_country
    end_user_reasons = []
    if ctype in GOVERNMENT_TYPES:
        if domestic:
            reasons.append(f"end user: a {TYPE_LABELS[ctype]} of the seller's own country is not a foreign "
                           "government end user")
        else:
            end_user_reasons.append(f"counterparty is a foreign {TYPE_LABELS[ctype]}")
    if ctype in RESELLER_TYPES or profile.intermediaries:
        end_user_reasons.append("an intermediary may supply a foreign government end user")
    if profile.end_use["end_users_known"] != "yes":
        end_user_reasons.append(f"end users known: {profile.end_use['end_users_known']}")
    if answer(profile, "stk.close_to_abusive_government") in ("yes", "unknown"):
        end_user_reasons.append("counterparty may be close to a government (stk.close_to_abusive_government)")
    if end_user_reasons:
        reasons.append("end user: " + "; ".join(end_user_reasons))
    elif not (ctype in GOVERNMENT_TYPES and domestic):
        reasons.append("end user: a known private end user with no stated government link")
    in_scope = product_in and bool(end_user_reasons)
    seller_name = library.countries.get("countries", {}).get(seller_country, seller_country)
    if seller_country == "US":
        reasons.append("guidance: the seller is a U.S. business, to which the 2020 State Department Guidance is "
                       "addressed" + ("" if in_scope else " (not engaged by this transaction)"))
    else:
        reasons.append(f"guidance: the seller is established in {seller_name}; the U.S. Guidance addresses U.S. "
                       "businesses, so it serves as a reference standard alongside the UN Guiding Principles, the "
                       "OECD Guidelines and the seller's own export-control law")
    return in_scope, reasons


def answer(profile: Profile, flag_id: str) -> str | None:
    """Return the user's answer to a red flag, or None when it was not asked."""
    found = profile.red_flags.get(flag_id)
    return found.value if found else None


def raise_flags(profile: Profile, library: Library) -> list[RaisedFlag]:
    """Return the raised red flags, each with its source and reason, in red_flags.yaml order."""
    derived: dict[str, list[tuple[str, str]]] = {}

    def derive(fid: str, source: str, reason: str) -> None:
        derived.setdefault(fid, []).append((source, reason))

    for cap in profile.product.get("capabilities", []):
        for fid in library.capabilities[cap]["raises"]:
            derive(fid, "capability", f"capability category '{cap}'")
    if profile.product.get("availability") == "custom":
        derive("cap.unique_or_custom", "capability", "product is custom rather than widely available")
    if profile.product.get("critical_component"):
        derive("cap.critical_component", "capability", "product is a critical component")
    if profile.counterparty["type"] in RESELLER_TYPES:
        derive("stk.intermediary", "counterparty", f"counterparty is a {profile.counterparty['type']}")
    for item in profile.intermediaries:
        derive("stk.intermediary", "intermediary", f"intermediary {item['name']} ({item['type']})")
    if profile.end_use["end_users_known"] == "no":
        derive("stk.end_use_unknown", "counterparty", "profile says the end users are not known")
    government = profile.counterparty["type"] in GOVERNMENT_TYPES
    for screen_id, screen in library.countries["screens"].items():
        if profile.destination in (screen.get("codes") or []):
            group = "government" if government else "other"
            for fid in (screen.get("raises") or {}).get(group, []):
                derive(fid, "country", f"destination {profile.destination} is in {screen['title']}")

    flags = []
    for fid, flag in library.red_flags.items():
        given = profile.red_flags.get(fid)
        if given and given.value == "no":
            continue  # the user's documented "no" overrides a derivation; the memo shows the answer
        sources = []
        if given and given.value == "yes":
            sources.append(("answered", given.note or "answered yes"))
        if given and given.value == "unknown":
            sources.append(("unknown-answer", "answered unknown: treated as raised until resolved"))
        if fid == "stk.end_use_unknown" and profile.end_use["end_users_known"] == "unknown" and not given:
            sources.append(("unknown-answer", "end users known: unknown"))
        sources += derived.get(fid, [])
        if not sources:
            continue
        severity = flag.severity
        if all(src == "unknown-answer" for src, _ in sources) and SEVERITY_RANK[severity] > SEVERITY_RANK[UNKNOWN_SEVERITY_CAP]:
            severity = UNKNOWN_SEVERITY_CAP
        source = ", ".join(dict.fromkeys(src for src, _ in sources))
        reason = "; ".join(dict.fromkeys(r for _, r in sources))
        flags.append(RaisedFlag(fid, flag.text, flag.step, severity, source, reason))
    return flags


def risk_level(flags: list[RaisedFlag], in_scope: bool, screen: ExportScreen) -> tuple[str, list[str]]:
    """Return the overall level and the reasons that set it."""
    reasons = []
    level = 0
    if screen.verdict == "stop":
        level = 3
        reasons.append(f"export screen: {screen.message}")
    # Capability flags describe the product; alone, outside the Guidance's scope, they do not raise the level.
    counted = [f for f in flags if in_scope or f.step != 1]
    for name, rank in (("critical", 3), ("high", 2)):
        hits = [f.id for f in counted if SEVERITY_RANK[f.severity] == rank]
        if hits:
            level = max(level, rank)
            reasons.append(f"{name} red flag{'s' if len(hits) > 1 else ''}: {', '.join(hits)}")
    medium = [f.id for f in counted if f.severity == "medium" and f.step > 1]
    if len(medium) >= 3:
        level = max(level, 2)
        reasons.append(f"three or more medium red flags on the end user, country or stakeholders: {', '.join(medium)}")
    if in_scope and level < 1:
        level = 1
        reasons.append("the Guidance is engaged (surveillance-capable product, government or unknown end user)")
    if counted and level < 1 and any(f.severity == "medium" for f in counted):
        level = 1
        reasons.append("medium red flags: " + ", ".join(f.id for f in counted if f.severity == "medium"))
    noted = [f.id for f in flags if f.step == 1 and not in_scope]
    if noted:
        reasons.append(f"capability red flags noted ({', '.join(noted)}) but the Guidance is not engaged, "
                       "so they do not raise the level")
    if not reasons:
        reasons.append("no red flag raised and the Guidance is not engaged")
    return RISK_LEVELS[level], reasons


def required_safeguards(profile: Profile, library: Library, flags: list[RaisedFlag], in_scope: bool,
                        level: str) -> list[Requirement]:
    """Return each required safeguard with its strictness and what calls for it, in SAFEGUARD_IDS order."""
    needs: dict[str, Requirement] = {}

    def need(sid: str, strictness: str, because: str) -> None:
        req = needs.setdefault(sid, Requirement(sid, "standard", []))
        if strictness == "strict":
            req.strictness = "strict"
        if because not in req.because:
            req.because.append(because)

    for sid in BASELINE:
        need(sid, "standard", "baseline for surveillance-capable products")
    if in_scope:
        for sid in IN_SCOPE:
            need(sid, "standard", "Guidance step 6 (in scope)")
    resale = profile.counterparty["type"] in RESELLER_TYPES or bool(profile.intermediaries)
    if resale:
        need("reseller_due_diligence", "standard", "counterparty.reseller")
    if profile.deployment.get("model") in ("cloud", "hybrid") or level in ("high", "critical"):
        need("access_control", "standard", f"deployment {profile.deployment.get('model')}" if level not in ("high", "critical") else f"risk {level}")
    for flag in flags:
        if flag.step == 1 and not in_scope:
            continue
        for want in library.red_flags[flag.id].calls_for:
            need(want.safeguard, want.strictness, flag.id)
    if not resale:  # reseller due diligence binds a reseller; without one there is nobody to bind
        needs.pop("reseller_due_diligence", None)
    return [needs[sid] for sid in SAFEGUARD_IDS if sid in needs]


VERDICT_RANK = {"clear": 0, "licence-check": 1, "open": 2, "licence-required": 3, "stop": 4}


def export_screen(profile: Profile, library: Library) -> ExportScreen:
    """Return the export-control screen: the countries (destination, counterparty, intermediaries) against the
    dated country screens, then the product's classification, the end user (military, security or police,
    restricted-party screening) and the licence determination. What the profile does not answer is listed in
    `unknowns` and keeps the verdict "open": an unanswered question is never CLEAR."""
    countries = library.countries
    export = profile.raw.get("export") or {}
    classification = export.get("classification") or {}
    end_user = export.get("end_user") or {}
    licence = export.get("licence") or {}
    government = profile.counterparty["type"] in GOVERNMENT_TYPES
    military = answer_of(end_user.get("military"))
    checks: list[tuple[str, str, str]] = []
    stopped_by: list[str] = []
    unknowns: list[str] = []
    groups: list[str] = []
    verdict = "clear"

    def worse(new: str) -> None:
        nonlocal verdict
        if VERDICT_RANK[new] > VERDICT_RANK[verdict]:
            verdict = new

    codes = list(dict.fromkeys([profile.destination, profile.counterparty.get("country")]
                               + [i.get("country") for i in profile.intermediaries]))
    country_verdict = "clear"
    for code in filter(None, codes):
        for screen in countries["screens"].values():
            if code not in (screen.get("codes") or []):
                continue
            applies = screen.get("applies_to")
            if (applies == "government" and not government) or (applies == "military" and military == "no"):
                continue
            line = f"{code}: {screen['title']} (as of {screen.get('as_of')}{'; verify' if screen.get('verify') else ''})"
            groups.append(line)
            if screen.get("verdict") == "stop":
                stopped_by.append(line)
            if VERDICT_RANK[screen.get("verdict", "clear")] > VERDICT_RANK[country_verdict]:
                country_verdict = screen["verdict"]
            checks.append(("country", screen.get("verdict", ""), line))
    if not groups:
        checks.append(("country", "clear", f"{countries['countries'].get(profile.destination, profile.destination)}"
                                           f" is in none of the shipped country screens (as of {countries.get('as_of')})"))
    worse(country_verdict)

    eccn = str(classification.get("eccn") or "").strip()
    if not eccn or eccn.lower() == "unknown":
        unknowns.append("classification: the product's ECCN (or EAR99) is not determined")
    else:
        checks.append(("classification", eccn, str(classification.get("source") or "source not stated")))
    for key, question in (("encryption", "whether the product is an encryption item (Category 5, Part 2)"),
                          ("crime_control", "whether crime-control (CC) reasons for control apply")):
        value = answer_of(classification.get(key))
        if value in ("", "unknown"):
            unknowns.append(f"classification: {question}")
        else:
            checks.append((f"classification: {key.replace('_', ' ')}", value, question))
    for key, question in (("military", "whether the end user or end use is military (EAR 744.21, 744.22)"),
                          ("security_or_police", "whether the end user is a police, security or intelligence "
                                                 "service (crime-control and foreign-security end-user controls)")):
        value = answer_of(end_user.get(key))
        if value in ("", "unknown"):
            unknowns.append(f"end user: {question}")
        else:
            checks.append((f"end user: {key.replace('_', ' ')}", value, question))
    if answer_of(end_user.get("security_or_police")) == "yes" and answer_of(classification.get("crime_control")) == "yes":
        checks.append(("crime control", "licence-required", "crime-control items to a police or security end user: "
                                                           "a licence is required for most destinations (EAR 742.7)"))
        worse("licence-required")
    screening = end_user.get("screening") or {}
    result = screening.get("result") or "not_screened"
    screened = f"{', '.join(screening.get('lists') or []) or 'lists not stated'}; {screening.get('date') or 'date not stated'}; " \
               f"{screening.get('source') or 'source not stated'}"
    if result == "match":
        stopped_by.append(f"restricted-party screening: a match ({screened})")
        checks.append(("restricted parties", "match", screened))
    elif result == "clear":
        checks.append(("restricted parties", "clear", screened))
    else:
        parties = ", ".join(dict.fromkeys([profile.counterparty["name"]] + [i["name"] for i in profile.intermediaries]))
        unknowns.append(f"restricted parties: screen {parties} against the current Consolidated Screening List "
                        "(record the lists, the date and the source)")
    determination = str(licence.get("determination") or "unknown")
    if determination == "unknown":
        unknowns.append("licence: no licence determination recorded")
    else:
        basis = "; ".join(str(licence[k]) for k in ("basis", "reference") if licence.get(k)) or "basis not stated"
        checks.append(("licence determination", determination.replace("_", " "), basis))
        if determination == "required" and not licence.get("reference"):
            worse("licence-required")
    if stopped_by:
        verdict = "stop"
    elif unknowns and verdict != "licence-required":
        verdict = "open"
    elif determination in ("not_required", "exception") and verdict == "licence-check":
        verdict = "clear"  # the recorded determination answers the country group's licence check
    name = countries["countries"].get(profile.destination, profile.destination)
    as_of = countries.get("as_of", "")
    messages = {
        "stop": f"stopped by {'; '.join(stopped_by)}: no supply without an export licence and legal review",
        "licence-required": f"a licence is required for {name}; nothing may be delivered before it is granted",
        "open": f"not cleared: {len(unknowns)} export question{'s' if len(unknowns) != 1 else ''} open "
                f"(classification, end user, screening or licence); country screens as of {as_of}",
        "licence-check": f"{name} is in a restricted EAR country group: the licence determination must follow the "
                         f"classification (screens as of {as_of})",
        "clear": f"classification, end user, restricted-party screening and licence determination recorded; "
                 f"no country screen applies (as of {as_of})",
    }
    return ExportScreen(profile.destination, name, groups, verdict, messages[verdict], stopped_by,
                        determination, checks, unknowns)


def answer_of(value) -> str:
    """Return a yes/no/unknown profile answer as text ("" when absent)."""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return str(value).strip().lower() if value is not None else ""


def open_questions(profile: Profile, library: Library, flags: list[RaisedFlag],
                   screen: ExportScreen | None = None) -> list[str]:
    """Return the questions the due-diligence file must still answer: unknown answers, the step-2 questions on a
    government end user, the step-3 questions on the country's laws, the step-4 questions on intermediaries, and
    the export screen's unknowns. A raised flag is not asked again."""
    raised = {f.id for f in flags}
    questions = []
    for fid, given in profile.red_flags.items():
        if given.value == "unknown":
            questions.append(f"{fid}: {library.red_flags[fid].text} (answered unknown; treated as raised)")
    if profile.end_use["end_users_known"] == "unknown":
        questions.append("end users: who will use the product? (answered unknown)")
    government = profile.counterparty["type"] in GOVERNMENT_TYPES
    intermediated = profile.counterparty["type"] in RESELLER_TYPES or bool(profile.intermediaries)
    steps = [(2, "step 2 asks this of a government end user")] if government else []
    if government or intermediated or profile.end_use["end_users_known"] != "yes":
        steps.append((3, "step 3 asks this of the country where the product is used"))
    for step, why in steps:
        for fid, flag in library.red_flags.items():
            if flag.step == step and fid not in profile.red_flags and fid not in raised:
                questions.append(f"{fid}: {flag.text} (not answered; {why})")
    if intermediated:
        names = ", ".join(dict.fromkeys([i["name"] for i in profile.intermediaries] or [profile.counterparty["name"]]))
        questions.append(f"intermediaries (step 4): who owns and controls {names}, and does it have ties to a "
                         "government, its security services or the military? (record the sources)")
        for fid in ("stk.close_to_abusive_government", "stk.other_end_users", "stk.diversion_risk"):
            if fid not in profile.red_flags and fid not in raised:
                questions.append(f"{fid}: {library.red_flags[fid].text} (not answered; step 4 asks this of intermediaries)")
    if "cap.similar_product_misused" in raised and "cap.similar_product_misused" not in profile.red_flags:
        questions.append("cap.similar_product_misused: which reports show similar products misused? The flag is "
                         "raised by the capability category alone; cite the reports or answer no")
    for unknown in (screen.unknowns if screen is not None else []):
        questions.append(f"export control: {unknown}")
    return questions


def holding_conditions(assessment: RiskAssessment) -> set[str]:
    """Return the named clause conditions (docs/library-format.md) that hold for this assessment."""
    p = assessment.profile
    held = {"always"}
    if p.counterparty["type"] in GOVERNMENT_TYPES:
        held.add("counterparty.government")
    if p.counterparty["type"] in RESELLER_TYPES or p.intermediaries:
        held.add("counterparty.reseller")
    if p.end_use["end_users_known"] != "yes":
        held.add("end_users.unknown")
    if p.product.get("availability") == "custom":
        held.add("product.custom")
    model = p.deployment.get("model")
    if model in ("on_premises", "hybrid"):
        held.add("deployment.on_premises")
    if model in ("cloud", "hybrid"):
        held.add("deployment.cloud")
    if assessment.export_screen.verdict in ("licence-check", "licence-required", "open", "stop"):
        held.add("export.licence_check")
    rank = RISK_LEVELS.index(assessment.level)
    for name in RISK_LEVELS[1:]:
        if rank >= RISK_LEVELS.index(name):
            held.add(f"risk.{name}")
    return held


def recipient_role(profile: Profile, kind: str) -> str:
    """Return the recipient's role in a document of `kind`: "reseller" when it only resells (a reseller
    counterparty outside its own customers' downstream licence), else "operator"."""
    return "reseller" if profile.counterparty["type"] == "reseller" and kind != "downstream-eula" else "operator"


def fits_role(clause: Clause, role: str) -> bool:
    """Return whether a clause can bind a recipient of this role."""
    return clause.binds in ("any", role)


def select_clauses(assessment: RiskAssessment, library: Library, kind: str) -> list[tuple[Clause, list[str]]]:
    """Return the clauses for a document kind, each with why it was selected, in document order.

    Clauses that bind the wrong role (an operator's data-handling duties on a pure reseller) stay out, and a
    clause gives way to one that supersedes it (a change-of-control notice to a consent requirement)."""
    raised = {f.id for f in assessment.flags}
    held = holding_conditions(assessment)
    role = recipient_role(assessment.profile, kind)
    chosen: dict[str, list[str]] = {}
    for req in assessment.requirements:
        # The safeguard's own variant ("end_use_strict") first, then any clause whose primary safeguard it is;
        # the other strictness only rather than dropping a required safeguard.
        candidates = [c for c in library.clauses.values()
                      if c.provides and c.provides[0] == req.safeguard and kind in c.kinds and fits_role(c, role)]
        candidates.sort(key=lambda c: (c.strictness != req.strictness, c.id != f"{req.safeguard}_{req.strictness}",
                                       c.order, c.id))
        for clause in candidates[:1]:
            chosen.setdefault(clause.id, []).append(f"required safeguard {req.safeguard} ({req.strictness}): "
                                                    + ", ".join(req.because))
    required = {r.safeguard for r in assessment.requirements}
    for clause in library.clauses.values():
        if kind not in clause.kinds or clause.id in chosen or not fits_role(clause, role):
            continue
        # A clause whose primary safeguard is not required stays out, however it is triggered.
        if clause.provides and clause.provides[0] not in required:
            continue
        flags = sorted(set(clause.triggers["red_flags"]) & raised)
        conds = sorted(set(clause.triggers["conditions"]) & held)
        if flags or conds:
            chosen[clause.id] = [f"triggered by {', '.join(flags + conds)}"]
    for cid in list(chosen):
        if set(library.clauses[cid].superseded_by) & set(chosen):
            del chosen[cid]
    ordered = sorted(chosen, key=lambda cid: (library.clauses[cid].order, cid))
    return [(library.clauses[cid], chosen[cid]) for cid in ordered]
