"""The reviewer end to end: the JSON contract, offsets, the team's sample contracts, and the generator round trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clausegen.model import SAFEGUARD_IDS, STATUSES
from clausegen.review import review_bytes, review_file

from conftest import PROFILES, REPO, SHARED_CORPUS

CONTRACTS = REPO / "contract_samples" / "contracts"
SAMPLES = sorted(p for p in CONTRACTS.iterdir() if p.suffix in (".txt", ".docx", ".pdf"))
# The sample labels were written independently of the rules; a few borderline calls may differ. Keep this small.
MAX_SAMPLE_MISMATCHES = 24  # of 350 (document, safeguard) pairs; measured 19 when the three blind-labelled samples
# vms_cloud_terms, lpr_data_sharing_agreement and biometric_access_oem came (2026-12-03 17:55 UTC), 16 after the causes
# they showed were fixed (14 in vendor_*); 17 once items of nested lists reach their top lead-in (vms_cloud_terms:
# a ban on tracking people "on the basis of ... protected characteristic" reads as a partial human-rights term); 26 when
# the blind-labelled social_media_monitoring_terms, lawful_intercept_equipment_sale and smart_city_sensor_platform came
# (2026-12-03, nine new mismatches, causes listed in the vendors5 report); 25 after two of their causes were fixed
# (a misuse@ mailbox is a channel; "unless it reasonably believes ..." empties a ban); 24: data exported "out of" a system


def expected_for(path: Path) -> dict:
    return json.loads(path.with_suffix(".expected.json").read_text())


@pytest.fixture(scope="module")
def sample_reviews(library):
    return {path.name: review_file(path, library) for path in SAMPLES}


def test_review_json_contract(library, sample_reviews):
    review = sample_reviews["reseller_with_flowdown.txt"]
    data = json.loads(json.dumps(review.to_dict()))
    assert set(data) == {"document", "doc_type", "safeguards", "errors"}
    assert [s["id"] for s in data["safeguards"]] == list(SAFEGUARD_IDS)
    for item in data["safeguards"]:
        assert set(item) == {"id", "status", "required", "score", "evidence", "missing_elements", "elements_found",
                             "explanation", "rules"}
        assert all(isinstance(r, str) for r in item["rules"])
        assert not item["rules"] or item["rules"][0] not in item["explanation"]
        assert item["id"] not in item["explanation"]  # prose names the safeguard by its title, not its id
        if item["status"] == "present":
            assert item["rules"] and item["elements_found"]
        assert item["status"] in STATUSES and isinstance(item["required"], bool) and 0 <= item["score"] <= 1
        assert item["explanation"]
        for ev in item["evidence"]:
            assert set(ev) == {"text", "start", "end", "section"}


@pytest.mark.parametrize("name", [p.name for p in SAMPLES])
def test_evidence_offsets_point_at_the_quote(library, sample_reviews, name):
    from clausegen.ingest import ingest

    doc = ingest(CONTRACTS / name)
    review = sample_reviews[name]
    for finding in review.findings:
        if finding.status != "missing":
            assert finding.evidence, finding.safeguard
        for ev in finding.evidence:
            assert doc.text[ev.start:ev.end] == ev.text


def test_sample_contracts_match_their_expected_reviews(sample_reviews):
    mismatches = []
    for name, review in sample_reviews.items():
        expected = expected_for(CONTRACTS / name)["safeguards"]
        for f in review.findings:
            if f.status != expected[f.safeguard]["status"]:
                mismatches.append(f"{name}: {f.safeguard} expected {expected[f.safeguard]['status']}, got {f.status}")
    print("\n".join(mismatches))
    assert len(mismatches) <= MAX_SAMPLE_MISMATCHES, mismatches
    # Found vs missing is the coarse call users rely on: allow fewer errors there.
    found_errors = [m for m in mismatches if ("missing" in m.split("expected")[1])]
    assert len(found_errors) <= 13  # measured 9 (five in vendor_*, one the human-rights reading named above); 15 with
    # the three samples added 2026-12-03 (six found-vs-missing errors among their nine mismatches); 13 now


def test_evidence_names_its_full_clause_number_in_every_format(sample_reviews):
    """A list item is located as "3.2(a)", not "(a)": typed numbers (TXT, PDF) and Word numbering (DOCX) alike."""
    from clausegen.detect import section_label
    from clausegen.ingest import ingest

    located = {}
    for suffix in ("txt", "docx", "pdf"):
        review = sample_reviews[f"strong_integrator_all_present.{suffix}"]
        located[suffix] = {(f.safeguard, ev.section) for f in review.findings for ev in f.evidence}
        assert all(section for _, section in located[suffix])
        assert not any(section.startswith("(") for _, section in located[suffix])
        doc = ingest(CONTRACTS / f"strong_integrator_all_present.{suffix}")
        labels = {section_label(s) for s in doc.sections
                  if s.text.lstrip().startswith(("(a) to surveil", "(b) to monitor", '(a) "Authorized'))}
        assert labels == {"3.2(a)", "3.2(b)", "1.1(a)"}, labels
    assert located["txt"] == located["docx"]


@pytest.mark.parametrize("doc_type_file, required, not_required", [
    ("reseller_with_flowdown.txt", "reseller_due_diligence", None),
    ("eula_you_we_paraphrase.txt", "end_use", "reseller_due_diligence"),
])
def test_required_from_doc_type(sample_reviews, doc_type_file, required, not_required):
    review = sample_reviews[doc_type_file]
    flags = {f.safeguard: f.required for f in review.findings}
    assert flags[required] is True
    if not_required:
        assert flags[not_required] is False


def test_required_given_explicitly(library):
    data = (CONTRACTS / "weak_purchase_almost_all_missing.txt").read_bytes()
    review = review_bytes(data, "weak.txt", library, required={"export_control"})
    assert [f.safeguard for f in review.findings if f.required] == ["export_control"]


@pytest.mark.parametrize("profile", sorted(p.name for p in PROFILES.glob("*.yaml")))
def test_generated_documents_review_clean(library, tmp_path, profile):
    """Round trip: every generated document (each kind that fits the counterparty; a stopped screen drafted
    under an override) reviews with all its required safeguards present."""
    from clausegen.gate import fitting_kinds
    from clausegen.generate import generate
    from clausegen.profile import load_profile
    from clausegen.risk import assess

    assessment = assess(load_profile(PROFILES / profile, library), library)
    kinds = fitting_kinds(library, assessment.profile.counterparty["type"])
    assert kinds
    for kind in kinds:
        result = generate(assessment, library, kind, tmp_path / f"{kind}.docx", override_stop="round-trip test")
        provided = {sid for clause in result.clauses for sid in clause.provides}
        required = {r.safeguard for r in assessment.requirements} & provided
        review = review_file(tmp_path / f"{kind}.docx", library, required=required)
        not_present = {f.safeguard: f.status for f in review.findings if f.required and f.status != "present"}
        assert not_present == {}, kind


# ---- document types, purity, and the labelled dev set (reviewer) ----
@pytest.mark.parametrize("title, doc_type", [
    ("RESELLER AGREEMENT\n\nThis Reseller Agreement is made ...", "reseller agreement"),
    ("Distribution Agreement between A and B", "distribution agreement"),
    ("END USER LICENSE AGREEMENT\nPlease read carefully", "eula"),
    ("Data Processing Addendum\nThis DPA forms part of ...", "dpa"),
    ("Acceptable Use Policy\nYou may not ...", "acceptable use policy"),
    ("Terms of Service\nWelcome", "terms of service"),
    ("SOFTWARE LICENSE AGREEMENT\nThis agreement ...", "license agreement"),
    ("SUPPLY AGREEMENT\nThe Seller shall supply ...", "supply agreement"),
    ("MASTER SERVICES AGREEMENT\nThe Provider shall ...", "services agreement"),
    ("Memorandum of understanding on cooperation", "other"),
])
def test_doc_type_from_title(library, title, doc_type):
    from clausegen.review import detect_doc_type
    from clausegen.model import Document, Section

    doc = Document(path="t.txt", format="txt", text=title, sections=[Section(title, 0, len(title))])
    assert detect_doc_type(doc, library) == doc_type


def test_required_table_covers_every_doc_type():
    from clausegen.review import DOC_TYPES, REQUIRED_BY_TYPE

    assert "reseller_due_diligence" in REQUIRED_BY_TYPE["reseller agreement"]
    assert "reseller_due_diligence" in REQUIRED_BY_TYPE["distribution agreement"]
    assert "reseller_due_diligence" not in REQUIRED_BY_TYPE["eula"]
    assert set(DOC_TYPES) == set(REQUIRED_BY_TYPE)
    for required in REQUIRED_BY_TYPE.values():
        assert required <= set(SAFEGUARD_IDS)


def test_review_bytes_is_a_pure_function(library):
    data = (CONTRACTS / "reseller_with_flowdown.txt").read_bytes()
    first = review_bytes(data, "a.txt", library).to_dict()
    second = review_bytes(data, "a.txt", library).to_dict()
    assert first == second
    assert first["document"] == "a.txt"


def test_unknown_required_ids_are_reported(library):
    data = (CONTRACTS / "weak_purchase_almost_all_missing.txt").read_bytes()
    review = review_bytes(data, "weak.txt", library, required={"export_control", "no_such_safeguard"})
    assert review.errors and "no_such_safeguard" in review.errors[0]


def test_parties_feed_the_rider(sample_reviews):
    parties = sample_reviews["misleading_headings.txt"].parties
    assert parties["supplier_term"] == "Licensor" and parties["recipient_term"] == "Licensee"


# Regression floors on all 54 labelled documents (measured 0.875 / 0.831 / 0.824 on 2026-12-03, docs/accuracy.md);
# the issue-12 targets (0.92 / 0.85 / 0.85 held out) are not reached yet.
DEV_FLOORS = {"found_macro_f1": 0.865, "present_macro_f1": 0.82, "three_class_accuracy": 0.815}


def test_dev_set_scores_and_baseline(dev_scores):
    reviewer, baseline = dev_scores["reviewer"], dev_scores["baseline"]
    print({k: reviewer[k] for k in DEV_FLOORS}, {k: baseline[k] for k in DEV_FLOORS})
    for name, floor in DEV_FLOORS.items():
        assert reviewer[name] >= floor, (name, reviewer[name])
        assert reviewer[name] > baseline[name], name
    for sid in SAFEGUARD_IDS:  # never worse than grep on any safeguard
        assert reviewer["safeguards"][sid]["found"]["f1"] >= baseline["safeguards"][sid]["found"]["f1"], sid


# Blind-labelled corpus documents outside the dev set (quotes kept as spans of the corpus text; docs/accuracy.md).
# blind_labels.jsonl: 71 labelled in session 8, 24 in session 9 and 24 in session 10, compared with the reviewer to
# find causes; measured 0.784 / 0.671 / 0.781. untouched_labels.jsonl: 24 labelled in session 9 and 23 in session 10,
# never compared with the reviewer, only scored; measured 0.657 / 0.513 / 0.747. The floors sit a little lower.
BLIND_SETS = [
    ("blind_labels.jsonl", 119, {"found_macro_f1": 0.765, "present_macro_f1": 0.65, "three_class_accuracy": 0.76}),
    ("untouched_labels.jsonl", 47, {"found_macro_f1": 0.635, "present_macro_f1": 0.49, "three_class_accuracy": 0.725}),
]


@pytest.mark.parametrize("name, count, floors", BLIND_SETS)
def test_blind_labelled_set_scores_above_the_keyword_baseline(library, dev_labels, bench_accuracy, name, count,
                                                              floors):
    labels = REPO / "bench" / name
    rows = [json.loads(line) for line in labels.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == count and all(set(row["labels"]) == set(SAFEGUARD_IDS) for row in rows)
    for row in rows:  # every span is words of the text the labeller read
        text = (SHARED_CORPUS / row["read"]).read_text(encoding="utf-8", errors="replace")
        for label in row["labels"].values():
            assert all(0 <= a < b <= len(text) and text[a:b].strip() for a, b in label["evidence"]), row["doc"]
    scores = bench_accuracy.evaluate(labels, SHARED_CORPUS, library)
    for metric, floor in floors.items():
        assert scores["reviewer"][metric] >= floor, (metric, scores["reviewer"][metric])
        assert scores["reviewer"][metric] > scores["baseline"][metric], metric


def test_dev_set_evidence_offsets(library, dev_labels):
    from clausegen.ingest import ingest

    for item in dev_labels[:6]:
        path = SHARED_CORPUS / item["doc"]
        doc = ingest(path)
        review = review_file(path, library)
        for finding in review.findings:
            for ev in finding.evidence:
                assert doc.text[ev.start:ev.end] == ev.text


MULTI_FORMAT = sorted({p.stem for p in CONTRACTS.glob("*.docx")} | {p.stem for p in CONTRACTS.glob("*.pdf")})


@pytest.mark.parametrize("stem", MULTI_FORMAT)
def test_one_status_whatever_the_format(sample_reviews, stem):
    """The same contract as TXT, DOCX and PDF gets the same ten statuses."""
    statuses = {}
    for suffix in ("txt", "docx", "pdf"):
        review = sample_reviews.get(f"{stem}.{suffix}")
        if review is not None:
            statuses[suffix] = {f.safeguard: f.status for f in review.findings}
    assert len(statuses) >= 2 and "txt" in statuses
    for suffix, found in statuses.items():
        assert found == statuses["txt"], (suffix, {k: (statuses["txt"][k], v) for k, v in found.items()
                                                   if v != statuses["txt"][k]})


CORPUS_DOCX = SHARED_CORPUS / "agreements" / "docx"


@pytest.mark.parametrize("stem", sorted(p.stem for p in CORPUS_DOCX.glob("*.docx")) if CORPUS_DOCX.is_dir()
                         else [pytest.param("absent", marks=pytest.mark.skip(reason="../shared is absent"))])
def test_corpus_docx_reviews_like_its_reference_text(library, stem):
    """A real DOCX and the plain text of the same document get the same ten statuses."""
    docx = {f.safeguard: f.status for f in review_file(CORPUS_DOCX / f"{stem}.docx", library).findings}
    text = {f.safeguard: f.status for f in review_file(CORPUS_DOCX / f"{stem}.reference.txt", library).findings}
    assert docx == text, {k: (v, text[k]) for k, v in docx.items() if v != text[k]}


@pytest.mark.parametrize("name, text, doc_type", [
    ("README.md", "# clausegen\n\nDrafts EULAs and reviews contracts. Install with make.\n", "not a contract"),
    ("statement.txt", "Our Statement on Modern Slavery\n\nWe oppose forced labour in our supply chain. Our suppliers "
     "are expected to respect human rights.\n", "not a contract"),
    ("eula.txt", "END USER LICENSE AGREEMENT\n\nBy installing the Software you agree to these terms. You may not "
     "reverse engineer the Software.\n", "eula"),
    ("deal.txt", "CONSULTING AGREEMENT\n\nThis Agreement is made by and between Acme Inc. and Beta LLC. The parties "
     "agree as follows. 1. Beta shall provide the services.\n", "services agreement"),
    # a click-through whose text names no type: its file's name does
    ("acme-server-license-agreement-2021.txt", "PLEASE READ THIS AGREEMENT CAREFULLY. BY CLICKING \"I AGREE\" YOU "
     "ACCEPT ITS TERMS.\n\n1. You may not reverse engineer the Software.\n", "license agreement"),
])
def test_documents_that_are_not_contracts_are_typed_and_warned(library, name, text, doc_type):
    review = review_bytes(text.encode(), name, library)
    assert review.doc_type == doc_type
    data = review.to_dict()
    if doc_type == "not a contract":
        assert data["warnings"] and "not read as a contract" in data["warnings"][0]
        assert not any(f.required for f in review.findings)
    else:
        assert "warnings" not in data


@pytest.mark.parametrize("suffix, paged", [("pdf", True), ("docx", False), ("txt", False)])
def test_evidence_carries_its_page_in_paged_formats(sample_reviews, suffix, paged):
    """A PDF quote says on which page it stands (1-based, within the document); other formats have no page key."""
    data = sample_reviews[f"misleading_headings.{suffix}"].to_dict()
    quotes = [e for s in data["safeguards"] for e in s["evidence"]]
    assert quotes
    if paged:
        assert all(isinstance(e["page"], int) and 1 <= e["page"] <= 10 for e in quotes)
        assert len({e["page"] for e in quotes}) > 1  # the quotes come from several pages
    else:
        assert not any("page" in e for e in quotes)


def test_a_vendor_named_by_a_capitalised_title_is_spelled_as_its_text_spells_it(library):
    """The vendor of a "you"/"we" document is named as the body writes it, not as its all-capitals title line."""
    body = " ".join(f"Acmecam may update the Service from time to time ({i})." for i in range(10))
    text = f"ACMECAM TERMS OF SERVICE\n\nThese terms are between you and Acmecam.\n\n{body}\n\nYou shall not resell the Service."
    parties = review_bytes(text.encode(), "terms.txt", library).parties
    assert parties["supplier"] == "Acmecam"
