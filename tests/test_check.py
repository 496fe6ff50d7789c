"""The draft checker: every sample profile x every fitting kind passes; planted faults are found in a real DOCX."""

from __future__ import annotations

import os
import subprocess
import sys

import docx
import pytest

from clausegen.check import Facts, check_docx, check_file, check_paragraphs, check_profile
from clausegen.errors import ClausegenError
from clausegen.generate import generate

from conftest import PROFILES, REPO


@pytest.mark.parametrize("profile", sorted(p.name for p in PROFILES.glob("*.yaml")))
def test_every_sample_profile_and_fitting_kind_passes(gen_library, profile):
    results = check_profile(PROFILES / profile, gen_library)
    assert results, "no kind fits"
    errors = {kind: [p.line() for p in problems if p.severity == "error"] for kind, problems in results.items()}
    assert errors == {kind: [] for kind in results}


@pytest.fixture(scope="module")
def eula(tmp_path_factory, gen_library):
    """A clean generated EULA for the police sample."""
    path = tmp_path_factory.mktemp("check") / "eula.docx"
    generate(PROFILES / "facial_recognition_police.yaml", gen_library, "eula", path)
    return path


def planted(eula, tmp_path, *texts: str):
    """Return a copy of the EULA with paragraphs appended after its last clause text."""
    document = docx.Document(str(eula))
    anchor = [p for p in document.paragraphs if p.style.name == "Clause Text"][-1]
    for text in texts:
        anchor.insert_paragraph_before(text, style=anchor.style)
    out = tmp_path / "planted.docx"
    document.save(str(out))
    return out


def test_clean_draft_reads_back_clean_with_its_facts(gen_library, eula):
    problems = check_docx(eula, gen_library)
    assert [p.line() for p in problems if p.severity == "error"] == []
    identifier = docx.Document(str(eula)).core_properties.identifier
    facts = Facts.from_properties(identifier, "eula")
    assert facts.counterparty_type == "government_agency" and "deployment.on_premises" in facts.conditions


def test_planted_period_undefined_term_and_default_are_found(gen_library, eula, tmp_path):
    out = planted(eula, tmp_path,
                  "The Licensee shall notify the Licensor in writing within 10 days after becoming aware of any "
                  "actual or suspected Misuse.",
                  "The Reseller shall keep the Product at the sites identified in the order.")
    problems = check_docx(out, gen_library)
    rules = {p.rule: p for p in problems if p.severity == "error"}
    # (the planted notice sentence also nearly repeats the misuse-reporting clause: a duplicate, rightly)
    assert {"conflicting-period", "undefined-term", "unbracketed-default"} <= set(rules) <= {
        "conflicting-period", "undefined-term", "unbracketed-default", "duplicate-clause"}
    assert "notice of misuse" in rules["conflicting-period"].message
    assert "10 days" in rules["conflicting-period"].message and "48 hours" in rules["conflicting-period"].message
    assert rules["undefined-term"].message == '"Reseller" is used but never defined'
    assert '"the sites identified in the order"' in rules["unbracketed-default"].message


def test_cli_check_exit_codes(gen_library, eula, tmp_path):
    def run(*args):
        return subprocess.run([sys.executable, "-m", "clausegen", "check", *map(str, args)], capture_output=True,
                              text=True, cwd=REPO, timeout=300, env=dict(os.environ))

    assert run(eula).returncode == 0
    bad = planted(eula, tmp_path, "The Reseller shall keep the Product safe.")
    done = run(bad)
    assert done.returncode == 1 and '"Reseller" is used but never defined' in done.stdout
    text = tmp_path / "contract.txt"
    text.write_text("not a draft", encoding="utf-8")
    done = run(text)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1 and "contract.txt" in done.stderr


LIB_PARAS = ['"Licensor" means the licensor.', '"Licensee" means the licensee.', '"Product" means the product.',
             "The Licensor licenses the Product to the Licensee."]


@pytest.mark.parametrize("paras, facts, rule", [
    (LIB_PARAS + ['"Order" means the order form.', "The Licensee shall use the Product."], None, "unused-term"),
    (LIB_PARAS + ["The Licensee shall keep records of the Product for at least 5 years and retain them.",
                  "The Licensee shall maintain its records of every sale for at least 3 years after the sale."],
     None, "conflicting-period"),
    (LIB_PARAS + ["Any change of control of the Licensee requires the prior written consent of the Licensor.",
                  "The Licensee shall notify the Licensor at least 30 days before any change of control."],
     None, "conflicting-regime"),
    (LIB_PARAS + ["The Licensee shall respect internationally recognised human rights, including those set out in "
                  "the Universal Declaration of Human Rights, in its use of the Product.",
                  "The Licensee shall respect internationally recognised human rights, including those set out in "
                  "the Universal Declaration of Human Rights, in every use of the Product."], None, "duplicate-clause"),
    (LIB_PARAS + ["The Licensee shall respect internationally recognised human rights, including those set out in "
                  "the Universal Declaration of Human Rights, in its use of the Product.",
                  "The Licensee shall respect internationally recognised human rights, including those set out in "
                  "the Universal Declaration of Human Rights and the International Covenant on Civil and Political "
                  "Rights, in every use of the Product and of data collected with it, and shall conduct its "
                  "activities relating to the Product in accordance with the UN Guiding Principles on Business and "
                  "Human Rights."], None, "duplicate-clause"),
    (LIB_PARAS + ["The Licensee shall access and use the Product only as a service hosted on infrastructure "
                  "controlled by the Licensor."],
     Facts(kind="eula", counterparty_type="government_agency", conditions={"deployment.on_premises"}), "profile-clash"),
    (LIB_PARAS + ["The Licensee shall use the Product."],
     Facts(kind="reseller", counterparty_type="government_agency"), "kind-misfit"),
    (LIB_PARAS + ["The Licensee shall use the Product."],
     Facts(kind="reseller", counterparty_type="reseller", recipient_only_resells=True,
           clause_ids=["data_handling_strict"]), "wrong-role"),
])
def test_each_rule_fires(gen_library, paras, facts, rule):
    problems = check_paragraphs(paras, gen_library, facts)
    assert rule in {p.rule for p in problems}, [p.line() for p in problems]
    assert all(p.rule == rule for p in problems if p.severity == "error"), [p.line() for p in problems]


def test_the_same_text_without_the_fault_is_clean(gen_library):
    paras = LIB_PARAS + ["The Licensee shall keep records of the Product for at least 5 years and retain them.",
                         "The Licensee shall maintain its records of every sale for at least 5 years after the sale.",
                         "The Licensee shall install the Product only at the locations notified to the Licensor."]
    facts = Facts(kind="eula", counterparty_type="government_agency", conditions={"deployment.on_premises"})
    assert check_paragraphs(paras, gen_library, facts) == []


def test_a_profile_value_is_not_an_unbracketed_default(gen_library):
    paras = LIB_PARAS + ["The Licensee shall use the Product only at the sites identified in the Order."]
    assert {p.rule for p in check_paragraphs(paras, gen_library)} == {"unbracketed-default", "undefined-term"}
    assert "unbracketed-default" not in {p.rule for p in check_paragraphs(
        paras, gen_library, confirmed=("the sites identified in the Order",))}


def test_check_file_refuses_what_it_cannot_check(gen_library, tmp_path):
    with pytest.raises(ClausegenError, match="file not found"):
        check_file(tmp_path / "missing.docx", gen_library)
    broken = tmp_path / "broken.docx"
    broken.write_text("not a zip", encoding="utf-8")
    with pytest.raises(ClausegenError, match="not a readable Word .docx"):
        check_file(broken, gen_library)


@pytest.mark.parametrize("name", ["misuse_notice_hours", "record_retention_years", "audit_notice_days"])
def test_one_subject_has_one_default_across_clauses(gen_library, name):
    """Clauses that state the same period name it with one variable and one default, so drafts agree."""
    defaults = {c.id: c.variables[name].default for c in gen_library.clauses.values() if name in c.variables}
    assert len(defaults) >= 2 and len(set(defaults.values())) == 1, defaults
