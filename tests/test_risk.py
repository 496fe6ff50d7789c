"""The risk screen of each sample profile, and the rules behind it."""

from __future__ import annotations

import pytest

from clausegen.profile import load_profile
from clausegen.risk import assess, select_clauses

from conftest import PROFILES

# profile -> (in scope, level, export verdict, {safeguard: strictness} that must be required, safeguards not required)
EXPECTED = {
    "facial_recognition_police.yaml": (True, "critical", "open",
                                       {"end_use": "strict", "suspension_termination": "strict", "access_control": "strict",
                                        "human_rights": "strict", "audit_rights": "strict"}, {"reseller_due_diligence"}),
    "dpi_state_telecom.yaml": (True, "high", "open",
                               {"data_handling": "strict", "end_use": "strict", "access_control": "standard"},
                               {"reseller_due_diligence"}),
    "analytics_distributor_unknown.yaml": (True, "high", "open",
                                           {"reseller_due_diligence": "strict", "export_control": "strict",
                                            "transfer_restriction": "strict"}, set()),
    "thermal_camera_hospital.yaml": (False, "low", "open",
                                     {"end_use": "standard", "export_control": "standard"},
                                     {"human_rights", "reseller_due_diligence", "audit_rights"}),
    "sanctioned_destination.yaml": (True, "critical", "stop", {"export_control": "strict"}, {"reseller_due_diligence"}),
    "body_cameras_municipal.yaml": (True, "elevated", "clear", {"access_control": "standard", "human_rights": "standard"},
                                    {"reseller_due_diligence"}),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_assessment(library, name):
    in_scope, level, verdict, required, not_required = EXPECTED[name]
    result = assess(load_profile(PROFILES / name, library), library)
    assert result.in_scope is in_scope
    assert result.level == level, result.level_reasons
    assert result.export_screen.verdict == verdict
    got = {r.safeguard: r.strictness for r in result.requirements}
    for sid, strictness in required.items():
        assert got.get(sid) == strictness, (sid, got)
    assert not (not_required & set(got))
    assert result.level_reasons


def test_every_sample_profile_has_an_expectation():
    assert {p.name for p in PROFILES.glob("*.yaml")} == set(EXPECTED)


def test_flag_sources(library):
    result = assess(load_profile(PROFILES / "facial_recognition_police.yaml", library), library)
    sources = {f.id: f.source for f in result.flags}
    assert sources["eu.misused_similar_products"] == "answered"
    assert "capability" in sources["cap.derives_sensitive_insights"]
    assert sources["eu.no_rule_of_law"] == "unknown-answer"
    assert any("eu.no_rule_of_law" in q for q in result.open_questions)


def profile_variant(tmp_path, name: str, *replacements: tuple[str, str]):
    """Write a sample profile with text replaced and return its path."""
    text = (PROFILES / name).read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / f"variant_{name}"
    path.write_text(text, encoding="utf-8")
    return path


def test_arms_embargo_is_not_a_human_rights_record(library, tmp_path):
    """D:5 membership (Lebanon) is an export-control fact: plain analytics for a ministry is not made CRITICAL."""
    path = profile_variant(tmp_path, "body_cameras_municipal.yaml", ("destination: NO", "destination: LB"),
                           ("  eu.poor_record: no\n", ""))
    result = assess(load_profile(path, library), library)
    assert "eu.poor_record" not in {f.id for f in result.flags}
    assert result.level != "critical"
    assert any("D:5" in g for g in result.export_screen.groups)
    # The recorded determination (EAR99, NLR) answers the country group's licence check.
    assert result.export_screen.verdict == "clear"


def test_russia_needs_a_licence_and_a_blocked_government_stops(library, tmp_path):
    path = profile_variant(tmp_path, "body_cameras_municipal.yaml", ("destination: NO", "destination: BY"))
    screen = assess(load_profile(path, library), library).export_screen
    assert screen.verdict == "licence-required" and any("746.8" in g for g in screen.groups)
    path = profile_variant(tmp_path, "body_cameras_municipal.yaml", ("destination: NO", "destination: VE"))
    screen = assess(load_profile(path, library), library).export_screen
    assert screen.verdict == "stop" and any("EO 13884" in line for line in screen.stopped_by)


@pytest.mark.parametrize("name, unknown", [
    ("facial_recognition_police.yaml", "classification: the product's ECCN"),
    ("dpi_state_telecom.yaml", "end user: whether the end user or end use is military"),
    ("analytics_distributor_unknown.yaml", "licence: no licence determination recorded"),
])
def test_unknown_export_facts_are_open_never_clear(library, name, unknown):
    """Facial recognition for Egyptian police, DPI for a Vietnamese state telecom, analytics to the UAE: the
    country screens are silent, but classification, end user and licence are not answered, so the screen is open."""
    result = assess(load_profile(PROFILES / name, library), library)
    assert result.export_screen.verdict == "open"
    assert any(u.startswith(unknown) for u in result.export_screen.unknowns)
    assert any(q == f"export control: {u}" for u in result.export_screen.unknowns for q in result.open_questions)


def test_complete_export_record_clears_with_its_sources(library):
    screen = assess(load_profile(PROFILES / "body_cameras_municipal.yaml", library), library).export_screen
    assert screen.verdict == "clear" and screen.unknowns == [] and screen.determination == "not_required"
    checks = {c: (r, b) for c, r, b in screen.checks}
    assert checks["classification"][0] == "EAR99"
    assert checks["restricted parties"] == ("clear", "Consolidated Screening List; 2026-11-20; "
                                                     "trade.gov Consolidated Screening List search")


@pytest.mark.parametrize("replacement, verdict, needle", [
    (("      result: clear\n", "      result: match\n"), "stop", "restricted-party screening: a match"),
    (("    crime_control: no\n", "    crime_control: yes\n"), "licence-required", None),
    (("    determination: not_required\n", "    determination: required\n"), "licence-required", None),
    (("    eccn: EAR99\n", "    eccn: unknown\n"), "open", None),
])
def test_end_user_and_classification_answers_decide_the_verdict(library, tmp_path, replacement, verdict, needle):
    path = profile_variant(tmp_path, "body_cameras_municipal.yaml", replacement)
    screen = assess(load_profile(path, library), library).export_screen
    assert screen.verdict == verdict, screen.message
    if needle:
        assert any(needle in line for line in screen.stopped_by)


def test_scope_takes_the_sellers_country(library, tmp_path):
    """A U.S. seller to a U.S. police force is not a foreign-government sale; a UK seller gets the UNGPs, with
    the U.S. Guidance as a reference."""
    path = profile_variant(tmp_path, "body_cameras_municipal.yaml", ("destination: NO", "destination: US"))
    result = assess(load_profile(path, library), library)
    assert result.in_scope is False
    assert any("not a foreign government end user" in r for r in result.scope_reasons)
    dpi = assess(load_profile(PROFILES / "dpi_state_telecom.yaml", library), library)
    assert dpi.in_scope is True
    assert any("United Kingdom" in r and "reference standard" in r for r in dpi.scope_reasons)


def test_open_questions_cover_steps_3_and_4_and_never_a_raised_flag(library):
    dpi = assess(load_profile(PROFILES / "dpi_state_telecom.yaml", library), library)
    raised = {f.id for f in dpi.flags}
    not_answered = [q.split(":")[0] for q in dpi.open_questions if "(not answered" in q]
    assert not raised & set(not_answered)
    assert "law.vague_or_secret" in not_answered  # step 3, the country's laws
    analytics = assess(load_profile(PROFILES / "analytics_distributor_unknown.yaml", library), library)
    assert any(q.startswith("intermediaries (step 4): who owns and controls Gulfline") for q in analytics.open_questions)
    assert any(q.startswith("stk.close_to_abusive_government") for q in analytics.open_questions)


def test_unknown_answers_are_capped_and_listed(library, tmp_path):
    text = (PROFILES / "thermal_camera_hospital.yaml").read_text().replace(
        "eu.misused_similar_products: no", "eu.misused_similar_products: unknown").replace("type: private", "type: government_agency")
    path = tmp_path / "u.yaml"
    path.write_text(text)
    result = assess(load_profile(path, library), library)
    flag = next(f for f in result.flags if f.id == "eu.misused_similar_products")
    assert flag.severity == "high" and flag.source == "unknown-answer"
    assert result.level == "high"
    assert any(q.startswith("eu.misused_similar_products") for q in result.open_questions)


FITTING = [(name, kind) for name in sorted(EXPECTED) for kind in
           {"analytics_distributor_unknown.yaml": ("reseller", "rider", "downstream-eula")}.get(name, ("eula", "master", "rider"))]


@pytest.mark.parametrize("name, kind", FITTING)
def test_selected_clauses_cover_every_required_safeguard(library, name, kind):
    """Every required safeguard is in each draft that fits the counterparty, except that a pure reseller is not
    bound as an operator: its data-handling and access-control duties go into the downstream licence it imposes."""
    result = assess(load_profile(PROFILES / name, library), library)
    chosen = select_clauses(result, library, kind)
    provided = {sid for clause, _ in chosen for sid in clause.provides}
    required = {r.safeguard for r in result.requirements}
    if kind in ("eula", "downstream-eula"):
        required.discard("reseller_due_diligence")
    if result.profile.counterparty["type"] == "reseller" and kind != "downstream-eula":
        assert not [c.id for c, _ in chosen if c.binds == "operator"]
        operator_only = {"data_handling", "access_control"}
        assert operator_only & required  # the sample needs them ...
        downstream = {sid for c, _ in select_clauses(result, library, "downstream-eula") for sid in c.provides}
        assert operator_only & required <= downstream  # ... and gets them in the downstream licence
        required -= operator_only
    assert required <= provided
    for r in result.requirements:
        strict_ids = [c.id for c, _ in chosen if c.provides[0] == r.safeguard]
        if r.strictness == "strict" and f"{r.safeguard}_strict" in library.clauses and kind in library.clauses[f"{r.safeguard}_strict"].kinds \
                and library.clauses[f"{r.safeguard}_strict"].binds != "operator":
            assert f"{r.safeguard}_strict" in strict_ids
            assert f"{r.safeguard}_standard" not in strict_ids


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_assess_shows_the_determination_and_what_is_unknown(library, fmt):
    import json

    from clausegen.reports.assessment import render_assessment

    result = assess(load_profile(PROFILES / "facial_recognition_police.yaml", library), library)
    out = render_assessment(result, fmt)
    # The country check alone is clear (Egypt is in no country screen); the screen as a whole is open.
    assert {"text": "Export-control screen: OPEN - not cleared", "markdown": "## Export-control screen: open",
            "json": '"verdict": "open"'}[fmt] in out
    if fmt == "json":
        screen = json.loads(out)["export_screen"]
        assert screen["verdict"] == "open" and screen["determination"] == "unknown"
        assert {"check": "end user: security or police", "result": "yes",
                "basis": "whether the end user is a police, security or intelligence service (crime-control and "
                         "foreign-security end-user controls)"} in screen["checks"]
        assert "licence: no licence determination recorded" in screen["unknowns"]
    else:
        assert "licence determination: unknown" in out.lower()
        assert "classification: the product's ECCN (or EAR99) is not determined" in out.replace("\n", " ").replace("  ", " ")
