"""The clause library: the real one validates; each broken fixture library reports its problem."""

from __future__ import annotations

import pytest

from clausegen.errors import LibraryError
from clausegen.library import CONDITIONS, load_library, render_sample, validate_library
from clausegen.model import DOCUMENT_KINDS, SAFEGUARD_IDS

from conftest import FIXTURES, SHARED, needs_shared, package_problems

LIBRARIES = FIXTURES / "libraries"


def test_bundled_library_validates():
    assert validate_library() == []


def test_the_library_is_a_package_of_small_files_without_import_circles():
    assert package_problems("library") == []


def test_good_fixture_library_validates():
    assert validate_library(LIBRARIES / "good") == []


@pytest.mark.parametrize(
    "folder, expected",
    [
        ("unknown_safeguard", "clauses/core_safeguards/clause.yaml -> provides: unknown safeguard 'end_usage' (did you mean 'end_use'?)"),
        ("unknown_red_flag", "clauses/core_safeguards/clause.yaml -> triggers.red_flags: unknown red flag 'cap.collects_sensitve_data'"),
        ("undeclared_variable", "clauses/core_safeguards/text.j2 -> cure_days: template variable is not declared"),
        ("unused_variable", "clauses/core_safeguards/clause.yaml -> variables.cure_days: declared but never used"),
        ("missing_file", "clauses/core_safeguards/expected.txt: missing file"),
        ("bad_yaml", "clauses/core_safeguards/clause.yaml -> line 7: bad YAML"),
        ("unknown_field", "clauses/core_safeguards/clause.yaml -> strictnes: unknown field (did you mean 'strictness'?)"),
        ("expected_mismatch", "clauses/core_safeguards/expected.txt: does not match the rendering"),
        ("red_flag_without_safeguard", "red_flags.yaml -> cap.collects_sensitive_data.calls_for: a red flag must call for"),
    ],
)
def test_broken_library_reports_problem(folder, expected):
    problems = validate_library(LIBRARIES / folder)
    assert any(p.startswith(expected) for p in problems), problems
    with pytest.raises(LibraryError) as err:
        load_library(LIBRARIES / folder)
    assert expected.split(" -> ")[0] in str(err.value)


def test_review_only_load_skips_template_rendering_but_not_structure():
    """A reviewing process may skip rendering samples (the parent validates them), never the structure checks."""
    library = load_library(LIBRARIES / "expected_mismatch", check_templates=False)
    assert library.clauses
    with pytest.raises(LibraryError):
        load_library(LIBRARIES / "unknown_safeguard", check_templates=False)


def test_missing_library_folder(tmp_path):
    problems = validate_library(tmp_path / "nowhere")
    assert problems == [f"{tmp_path / 'nowhere'}: clause library folder not found"]


def test_every_problem_is_collected_not_just_the_first(tmp_path):
    import shutil

    shutil.copytree(LIBRARIES / "good", tmp_path / "lib")
    meta = tmp_path / "lib" / "clauses" / "core_safeguards" / "clause.yaml"
    meta.write_text(meta.read_text().replace("strictness: standard", "strictness: extreme")
                    .replace("guidance_step: 6", "guidance_step: 12").replace("kinds: [eula,", "kinds: [eulaa,"))
    problems = validate_library(tmp_path / "lib")
    fields = [p.split(" -> ")[1].split(":")[0] for p in problems if " -> " in p]
    assert {"strictness", "guidance_step", "kinds"} <= set(fields)


def test_library_shape(library):
    assert len(library.clauses) >= 30
    assert set(library.safeguards) == set(SAFEGUARD_IDS)
    for clause in library.clauses.values():
        assert set(clause.kinds) <= set(DOCUMENT_KINDS)
        assert set(clause.triggers["conditions"]) <= set(CONDITIONS)


@pytest.mark.parametrize("safeguard", SAFEGUARD_IDS)
def test_every_safeguard_is_provided_by_a_clause(library, safeguard):
    assert any(safeguard in c.provides for c in library.clauses.values())


@pytest.mark.parametrize("safeguard", ["end_use", "export_control", "data_handling", "suspension_termination",
                                       "reseller_due_diligence"])
def test_standard_and_strict_variants_exist(library, safeguard):
    for strictness in ("standard", "strict"):
        clause = library.clauses[f"{safeguard}_{strictness}"]
        assert clause.provides[0] == safeguard and clause.strictness == strictness


@pytest.mark.parametrize("clause_id", ["reassessment_before_renewal", "ip_conditions", "end_user_certification",
                                       "misuse_reporting_standard"])
def test_named_extra_clauses_exist(library, clause_id):
    assert clause_id in library.clauses


def test_every_red_flag_calls_for_a_safeguard(library):
    for flag in library.red_flags.values():
        assert flag.calls_for, flag.id
        assert all(need.safeguard in SAFEGUARD_IDS for need in flag.calls_for)


@needs_shared
def test_red_flags_match_the_guidance_digest(library):
    import re

    digest = (SHARED / "docs" / "guidance.md").read_text()
    ids = set(re.findall(r"`((?:cap|eu|law|stk)\.[a-z_]+)`", digest))
    assert ids == set(library.red_flags)


def test_every_clause_renders_its_sample_to_expected(library):
    mismatched = [c.id for c in library.clauses.values() if render_sample(c).strip() != (c.expected or "").strip()]
    assert mismatched == []


def test_countries_are_dated_and_sourced(library):
    countries = library.countries
    assert countries["as_of"] and countries["note"] and countries["sources"]
    assert len(countries["countries"]) >= 249
    assert {"CU", "IR", "KP"} <= set(countries["screens"]["comprehensive_sanctions"]["codes"])
    # EO 14312 revoked the Syria sanctions program from 1 July 2025: Syria is dated, sourced and marked for checking.
    assert "SY" not in countries["screens"]["comprehensive_sanctions"]["codes"]
    assert "EO 14312" in countries["entries"]["SY"]["basis"] and countries["entries"]["SY"]["verify"] is True
    for code, entry in countries["entries"].items():
        assert entry["reviewed"] and entry["basis"], code
    assert {"ear_e1", "ear_e2", "ear_d5"} <= set(countries["screens"])


# ---- the library's YAML has the bounds of a profile; review and audit render no templates ----

LAUGHS = "a: &a [" + ", ".join(['"lol"'] * 9) + "]\n" + "".join(
    f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for c, p in zip("bcdefgh", "abcdefg"))


@pytest.fixture
def library_copy(tmp_path):
    import shutil

    from conftest import REPO

    target = tmp_path / "library"
    shutil.copytree(REPO / "clause_library", target)
    return target


@pytest.mark.parametrize("name, content, message", [
    ("clauses/end_use_standard/sample.yaml", LAUGHS + "variables: *h\n", "expands to more than 100,000 values"),
    ("library.yaml", LAUGHS + "version: *h\n", "expands to more than 100,000 values"),
    ("clauses/end_use_standard/clause.yaml", "x: " + "[" * 150 + "]" * 150 + "\n", "nested more than 100 levels"),
    ("red_flags.yaml", "# padding\n" * 120_000, "file is larger than 1000 kB"),
])
def test_library_yaml_is_bounded_like_a_profile(library_copy, name, content, message):
    import time

    (library_copy / name).write_text(content, encoding="utf-8")
    started = time.monotonic()
    problems = validate_library(library_copy)
    assert time.monotonic() - started < 30  # an unbounded walk of the alias bomb runs for hours
    assert f"{name}: {message}" in "\n".join(problems), problems


@pytest.mark.parametrize("source", ["{{ '%0999999999d' % 1 }}", "{{ '{:0999999999d}'.format(1) }}",
                                    "{{ '%0999999999d'|format(1) }}", "{{ 'x' * 1000000000 }}", "{{ 9 ** 99999999 }}",
                                    "{{ 'x'|center(999999999) }}"])
def test_a_template_cannot_build_a_huge_string(source):
    import time

    from clausegen.errors import RenderError
    from clausegen.render import render_text

    started = time.monotonic()
    with pytest.raises(RenderError, match=r"^c: refused by the template sandbox: \S"):
        render_text(source, {}, "c")
    assert time.monotonic() - started < 5


def test_bounded_templates_still_format():
    from clausegen.render import render_text

    assert render_text("{{ '%05d' % 3 }} {{ 'a' * 3 }} {{ '{:>4}'.format('b') }} {{ 2 ** 10 }}", {}, "c") == \
        "00003 aaa    b 1024"


def test_review_and_audit_render_no_templates(library_copy, tmp_path):
    """A clause template that cannot render stops drafting (library validate, generate), never reviewing."""
    from clausegen.audit import LibraryRef
    from clausegen.review import review_file

    from conftest import REPO

    text = library_copy / "clauses" / "end_use_standard" / "text.j2"
    text.write_text("{{ '%0999999999d' % 1 }}\n" + text.read_text(encoding="utf-8"), encoding="utf-8")
    assert any("end_use_standard" in p for p in validate_library(library_copy))
    with pytest.raises(LibraryError):
        load_library(library_copy)
    library = LibraryRef(library_copy).load()  # what the audit loads
    review = review_file(REPO / "contract_samples" / "contracts" / "reseller_with_flowdown.txt", library)
    assert len(review.findings) == len(SAFEGUARD_IDS) and not review.errors


def test_an_unquoted_comma_in_an_element_description_is_reported(library_copy):
    path = library_copy / "safeguards.yaml"
    text = path.read_text(encoding="utf-8")
    quoted = 'description: "use tied to legitimate, lawful (law-enforcement) purposes"'
    assert quoted in text
    path.write_text(text.replace(quoted, quoted.replace('"', "")), encoding="utf-8")
    problems = validate_library(library_copy)
    assert "safeguards.yaml -> end_use.elements[2].lawful (law-enforcement) purposes: unknown field" in \
        "\n".join(problems), problems


def test_a_key_given_twice_is_reported_not_silently_replaced(library_copy):
    """A second `downgrade:` in one detection block used to replace the first without a word."""
    path = library_copy / "safeguards.yaml"
    text = path.read_text(encoding="utf-8")
    anchor = "      exclude: [termination, indemnity]\n"
    assert anchor in text
    path.write_text(text.replace(anchor, anchor + "      exclude: [indemnity]\n"), encoding="utf-8")
    problems = "\n".join(validate_library(library_copy))
    assert "safeguards.yaml" in problems and "found duplicate key 'exclude'" in problems, problems


def test_a_ground_must_be_one_of_the_downgrades(library_copy):
    path = library_copy / "safeguards.yaml"
    text = path.read_text(encoding="utf-8")
    line = "      grounds: [payment, litigation, non_renewal, mutual_at_will]\n"
    assert line in text
    path.write_text(text.replace(line, "      grounds: [payment, lawsuit]\n"), encoding="utf-8")
    assert "safeguards.yaml -> suspension_termination.detection.grounds[1]: 'lawsuit' is not a one-feature " \
           "combination of `downgrade`" in "\n".join(validate_library(library_copy))


def test_a_broken_lexicon_is_named_by_validation_and_by_the_reviewer(library_copy):
    from clausegen.detect.validate import load_lexicon
    from clausegen.errors import LibraryError

    path = library_copy / "lexicon.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "lemmas:\n  abuse: abused\n", encoding="utf-8")
    assert any(p.startswith("lexicon.yaml -> line ") and p.endswith("found duplicate key 'lemmas'")
               for p in validate_library(library_copy)), validate_library(library_copy)
    with pytest.raises(LibraryError, match=r"lexicon\.yaml -> line \d+: bad YAML: found duplicate key 'lemmas'$"):
        load_lexicon(library_copy)
