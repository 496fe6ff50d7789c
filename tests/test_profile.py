"""Transaction profiles: the samples load; bad profiles give one clear line per problem naming file and field."""

from __future__ import annotations

import json

import pytest

from clausegen.errors import ProfileError
from clausegen.profile import load_profile

from conftest import PROFILES

MINIMAL = """\
seller: {name: Seller Inc.}
counterparty: {name: Buyer Ltd, type: private}
destination: NO
product: {name: Cam, capabilities: [thermal_imaging]}
end_use: {stated: Fever screening., end_users_known: yes}
"""


def write(tmp_path, text, name="profile.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_sample_profiles_load(library, sample_profiles):
    assert len(sample_profiles) >= 5
    for path in sample_profiles:
        profile = load_profile(path, library)
        assert profile.destination in library.countries["countries"]


def test_minimal_profile_and_yaml_12_booleans(library, tmp_path):
    profile = load_profile(write(tmp_path, MINIMAL), library)
    assert profile.destination == "NO"  # Norway, not the YAML 1.1 boolean false
    assert profile.end_use["end_users_known"] == "yes"
    assert profile.counterparty["country"] == "NO"


def test_country_by_name_and_json(library, tmp_path):
    data = {"seller": {"name": "S"}, "counterparty": {"name": "B", "type": "private"}, "destination": "Germany",
            "product": {"name": "P", "capabilities": []}, "end_use": {"stated": "x", "end_users_known": "no"}}
    profile = load_profile(write(tmp_path, json.dumps(data), "p.json"), library)
    assert profile.destination == "DE"


@pytest.mark.parametrize(
    "edit, expected",
    [
        (("destination: NO", "destinaton: NO"), "-> destinaton: unknown field (did you mean 'destination'?)"),
        (("destination: NO", "destination: NO\n"), None),
        (("destination: NO", "destination: Atlantis"), "-> destination: unknown country 'Atlantis'"),
        (("type: private", "type: goverment_agency"), "-> counterparty.type: unknown value 'goverment_agency' (did you mean 'government_agency'?)"),
        (("[thermal_imaging]", "[thermal_imagin]"), "-> product.capabilities[0]: unknown capability 'thermal_imagin' (did you mean 'thermal_imaging'?)"),
        (("[thermal_imaging]", "thermal_imaging"), "-> product.capabilities: expected a list, got str"),
        (("end_users_known: yes", "end_users_known: maybe"), "-> end_use.end_users_known: expected yes, no or unknown"),
        (("seller: {name: Seller Inc.}\n", ""), "-> seller: required field is missing"),
        (("end_use:", "red_flags: {eu.poor_recrd: yes}\nend_use:"), "-> red_flags.eu.poor_recrd: unknown red flag (did you mean 'eu.poor_record'?)"),
        (("end_use:", "deployment: {model: cloud, licence_term_months: twelve}\nend_use:"), "-> deployment.licence_term_months: expected a whole number"),
    ],
)
def test_bad_profiles(library, tmp_path, edit, expected):
    path = write(tmp_path, MINIMAL.replace(*edit))
    if expected is None:
        load_profile(path, library)
        return
    with pytest.raises(ProfileError) as err:
        load_profile(path, library)
    lines = str(err.value).splitlines()
    assert any(line == f"{path} {expected}" or line.startswith(f"{path} {expected}") for line in lines), lines


@pytest.mark.parametrize(
    "name, text, expected",
    [
        ("p.yaml", "seller: [unclosed", "malformed YAML at line"),
        ("p.yaml", "- a list\n- not a mapping\n", "a profile is a mapping of fields, got list"),
        # PyYAML keeps the last of two equal keys silently; a profile that says two things is an error
        ("p.yaml", "title: First\nseller:\n  name: A\ntitle: Second\n", "malformed YAML at line 4: found duplicate key 'title'"),
        ("p.json", "{bad json", "malformed JSON at line 1"),
        ("p.txt", "seller: x", "a profile is a .yaml, .yml or .json file"),
    ],
)
def test_unreadable_profiles(library, tmp_path, name, text, expected):
    path = write(tmp_path, text, name)
    with pytest.raises(ProfileError) as err:
        load_profile(path, library)
    assert str(err.value).startswith(f"{path}: ") and expected in str(err.value)


def test_missing_profile(library, tmp_path):
    with pytest.raises(ProfileError, match="file not found"):
        load_profile(tmp_path / "absent.yaml", library)


def test_every_sample_profile_is_documented():
    from conftest import REPO

    doc = (REPO / "docs" / "profile-format.md").read_text()
    for path in PROFILES.glob("*.yaml"):
        assert path.name in doc
