"""The risk screen of each sample profile, and the rules behind it."""

from __future__ import annotations

import pytest

from clausegen.profile import load_profile
from clausegen.risk import assess, select_clauses

from conftest import PROFILES

# profile -> (in scope, level, export verdict, {safeguard: strictness} that must be required, safeguards not required)
EXPECTED = {
    "facial_recognition_police.yaml": (True, "critical", "clear",
                                       {"end_use": "strict", "suspension_termination": "strict", "access_control": "strict",
                                        "human_rights": "strict", "audit_rights": "strict"}, {"reseller_due_diligence"}),
    "dpi_state_telecom.yaml": (True, "high", "clear",
                               {"data_handling": "strict", "end_use": "strict", "access_control": "standard"},
                               {"reseller_due_diligence"}),
    "analytics_distributor_unknown.yaml": (True, "high", "clear",
                                           {"reseller_due_diligence": "strict", "export_control": "strict",
                                            "transfer_restriction": "strict"}, set()),
    "thermal_camera_hospital.yaml": (False, "low", "clear",
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


def test_country_derived_flag(library, tmp_path):
    text = (PROFILES / "body_cameras_municipal.yaml").read_text().replace("destination: NO", "destination: BY").replace(
        "  eu.poor_record: no\n", "")
    path = tmp_path / "by.yaml"
    path.write_text(text)
    result = assess(load_profile(path, library), library)
    flag = next(f for f in result.flags if f.id == "eu.poor_record")
    assert flag.source == "country" and "D:5" in flag.reason
    assert result.export_screen.verdict == "licence-check"


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


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("kind", ["eula", "reseller", "master", "rider"])
def test_selected_clauses_cover_every_required_safeguard(library, name, kind):
    result = assess(load_profile(PROFILES / name, library), library)
    chosen = select_clauses(result, library, kind)
    provided = {sid for clause, _ in chosen for sid in clause.provides}
    required = {r.safeguard for r in result.requirements}
    if kind == "eula":
        required.discard("reseller_due_diligence")
    assert required <= provided
    for r in result.requirements:
        strict_ids = [c.id for c, _ in chosen if c.provides[0] == r.safeguard]
        if r.strictness == "strict" and f"{r.safeguard}_strict" in library.clauses and kind in library.clauses[f"{r.safeguard}_strict"].kinds:
            assert f"{r.safeguard}_strict" in strict_ids
            assert f"{r.safeguard}_standard" not in strict_ids
