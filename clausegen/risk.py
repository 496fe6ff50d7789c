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
        open_questions=open_questions(profile, library, flags),
    )


def scope(profile: Profile, library: Library) -> tuple[bool, list[str]]:
    """Return whether the Guidance is engaged, with the reasons for the product and the end user."""
    caps = [library.capabilities[c]["title"] for c in profile.product.get("capabilities", [])]
    product_in = bool(caps)
    reasons = [f"product: surveillance capabilities named in the Guidance ({', '.join(caps)})" if product_in
               else "product: no capability category of the Guidance was named"]
    ctype = profile.counterparty["type"]
    end_user_reasons = []
    if ctype in GOVERNMENT_TYPES:
        end_user_reasons.append(f"counterparty is a {ctype.replace('_', ' ')}")
    if ctype in RESELLER_TYPES or profile.intermediaries:
        end_user_reasons.append("an intermediary may supply a foreign government end user")
    if profile.end_use["end_users_known"] != "yes":
        end_user_reasons.append(f"end users known: {profile.end_use['end_users_known']}")
    if answer(profile, "stk.close_to_abusive_government") in ("yes", "unknown"):
        end_user_reasons.append("counterparty may be close to a government (stk.close_to_abusive_government)")
    if end_user_reasons:
        reasons.append("end user: " + "; ".join(end_user_reasons))
    else:
        reasons.append("end user: a known private end user with no stated government link")
    return product_in and bool(end_user_reasons), reasons


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


def export_screen(profile: Profile, library: Library) -> ExportScreen:
    """Return the export-control screen of the destination (and the counterparty's and intermediaries' countries)."""
    countries = library.countries
    codes = list(dict.fromkeys([profile.destination, profile.counterparty.get("country")]
                               + [i.get("country") for i in profile.intermediaries]))
    groups, verdict = [], "clear"
    for code in filter(None, codes):
        for sid, screen in countries["screens"].items():
            if code in (screen.get("codes") or []):
                groups.append(f"{code}: {screen['title']}")
                if screen.get("verdict") == "stop":
                    verdict = "stop"
                elif verdict == "clear":
                    verdict = "licence-check"
    name = countries["countries"].get(profile.destination, profile.destination)
    as_of = countries.get("as_of", "")
    if verdict == "stop":
        message = (f"{name} (or a party's country) is comprehensively sanctioned or embargoed: stop; an export licence "
                   f"and legal review are required before anything else (screens as of {as_of})")
    elif verdict == "licence-check":
        message = (f"{name} is in a restricted EAR country group: check the product's classification and licence "
                   f"requirements before contracting (screens as of {as_of})")
    else:
        message = f"{name} is in none of the shipped country screens (as of {as_of}); restricted-party screening still applies"
    return ExportScreen(profile.destination, name, groups, verdict, message)


def open_questions(profile: Profile, library: Library, flags: list[RaisedFlag]) -> list[str]:
    """Return the questions the due-diligence file must still answer."""
    questions = []
    for fid, given in profile.red_flags.items():
        if given.value == "unknown":
            questions.append(f"{fid}: {library.red_flags[fid].text} (answered unknown; treated as raised)")
    if profile.end_use["end_users_known"] == "unknown":
        questions.append("end users: who will use the product? (answered unknown)")
    if profile.counterparty["type"] in GOVERNMENT_TYPES:
        for fid, flag in library.red_flags.items():
            if flag.step == 2 and fid not in profile.red_flags:
                questions.append(f"{fid}: {flag.text} (not answered; step 2 asks this of a government end user)")
    parties = list(dict.fromkeys([profile.counterparty["name"]] + [i["name"] for i in profile.intermediaries]))
    questions.append("restricted parties: screen " + ", ".join(parties)
                     + " against the current Consolidated Screening List (not covered by the shipped data)")
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
    if assessment.export_screen.verdict in ("licence-check", "stop"):
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
