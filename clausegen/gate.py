"""The gate before drafting: a kind must fit the counterparty, a stopped export screen needs an override reason;
and the facts about a draft that the draft checker needs beyond its text."""

from __future__ import annotations

from clausegen.check import Facts, load_rules
from clausegen.errors import ExportStopError, RenderError
from clausegen.model import DOCUMENT_KINDS, Library, RiskAssessment
from clausegen.risk import holding_conditions, recipient_role

STOP_HEADER = "NOT FOR EXECUTION: export screen stopped"


def kind_fits(library: Library, counterparty_type: str, kind: str) -> bool:
    """Return whether a document kind fits a counterparty type (checks.yaml kind_fit)."""
    fit = load_rules(library.root)["kind_fit"].get(counterparty_type)
    return fit is None or kind in fit


def fitting_kinds(library: Library, counterparty_type: str) -> list[str]:
    """Return the document kinds that fit a counterparty type, in DOCUMENT_KINDS order."""
    return [k for k in DOCUMENT_KINDS if kind_fits(library, counterparty_type, k)]


def check_gate(assessment: RiskAssessment, library: Library, kind: str, override_stop: str | None) -> None:
    """Refuse a kind that does not fit the counterparty, and a stopped screen without an override reason."""
    profile = assessment.profile
    ctype = profile.counterparty["type"]
    if not kind_fits(library, ctype, kind):
        raise RenderError(f"{profile.path}: --kind {kind} does not fit a counterparty of type {ctype} "
                          f"(fits: {', '.join(fitting_kinds(library, ctype))})")
    screen = assessment.export_screen
    if screen.verdict == "stop" and not (override_stop or "").strip():
        raise ExportStopError(f"{profile.path}: export screen stopped: {'; '.join(screen.stopped_by) or screen.message}"
                              " (use --override-stop REASON to draft a copy marked not for execution)")


def draft_facts(assessment: RiskAssessment, library: Library, kind: str) -> Facts:
    """Return what the draft checker needs to know about a draft beyond its text."""
    profile = assessment.profile
    facts_used = {c for rule in load_rules(library.root)["profile_clashes"] for c in rule["when"]}
    held = holding_conditions(assessment) | {fid for fid, a in profile.red_flags.items() if a.value == "yes"}
    held |= {f"capability.{c}" for c in profile.product.get("capabilities", [])}
    return Facts(kind=kind, counterparty_type=profile.counterparty["type"],
                 recipient_only_resells=recipient_role(profile, kind) == "reseller",
                 conditions=held & facts_used)
