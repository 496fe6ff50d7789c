"""The learned passage scorer: deterministic training, the shipped model, its veto in the reviewer, the tool key."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

from clausegen.detect import scorer
from conftest import REPO, SHARED_CORPUS, DEV_LABELS, needs_shared

SHIPPED = scorer.MODEL_FILE


def bench_module(name: str):
    """Import a bench/ script as a module (bench/ is not a package)."""
    import sys

    sys.path.insert(0, str(REPO / "bench"))
    try:
        spec = importlib.util.spec_from_file_location(f"bench_{name}", REPO / "bench" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(REPO / "bench"))
    return module


def library_slice(library, sid: str) -> list[tuple[str, int, float]]:
    """Return a tiny training slice from the repo alone: the library's wordings of one safeguard against the
    others'."""
    train = bench_module("train_scorer")
    out = []
    for other, texts in sorted(train.library_examples(library).items()):
        out.extend((t, int(other == sid), 1.0) for t in texts)
    return out


def test_training_twice_writes_the_same_bytes_and_a_saved_model_scores_as_in_memory(library, tmp_path):
    rows = library_slice(library, "audit_rights")
    first, second = (scorer.fit({"audit_rights": rows}, bits=14, iterations=40) for _ in range(2))
    for model in (first, second):
        model.threshold = {"audit_rights": 0.05}
    first.save(tmp_path / "a.bin")
    second.save(tmp_path / "b.bin")
    assert (tmp_path / "a.bin").read_bytes() == (tmp_path / "b.bin").read_bytes()
    loaded = scorer.Scorer.load(tmp_path / "a.bin")
    assert loaded.bits == 14 and loaded.threshold == {"audit_rights": 0.05}
    for text, _, _ in rows[:10]:
        assert loaded.score("audit_rights", text) == pytest.approx(first.score("audit_rights", text), abs=1e-6)


@needs_shared
def test_training_from_the_corpus_is_deterministic_on_a_small_slice(library, tmp_path):
    train = bench_module("train_scorer")
    dev, cuad = train.load_sources(DEV_LABELS, SHARED_CORPUS)
    slices = []
    for name in ("a", "b"):
        examples = train.pool(dev[:2], cuad[:3], SHARED_CORPUS, library, ["audit_rights"])
        model = train.train(examples, set(), {"audit_rights": 0.05})
        model.save(tmp_path / f"{name}.bin")
        slices.append(examples)
    assert slices[0] == slices[1]
    assert sum(y for _, y, _, _ in slices[0]["audit_rights"]) > 0  # CUAD spans and label quotes are positives
    assert (tmp_path / "a.bin").read_bytes() == (tmp_path / "b.bin").read_bytes()


def test_the_model_never_trains_on_held_out_documents():
    train = bench_module("train_scorer")
    held = json.loads((REPO / "bench" / "heldout.json").read_text(encoding="utf-8"))["documents"]
    assert train.heldout_docs() == set(held) and len(held) == 17
    rows = [("They shall permit the auditor to audit the books.", 1, 1.0, held[0]),
            ("The price is ten dollars.", 0, 1.0, held[0]),
            ("Licensee shall keep records and allow Licensor to audit them.", 1, 1.0, "x"),
            ("Notices go to the addresses above.", 0, 1.0, "x")]
    model = train.train({"audit_rights": rows}, set(held), {"audit_rights": 0.05})
    alone = train.train({"audit_rights": rows[2:]}, set(), {"audit_rights": 0.05})
    assert (model.weights["audit_rights"] == alone.weights["audit_rights"]).all()


# a clear clause of each safeguard the shipped model covers, and a clear passage of something else
CLEAR = {
    "audit_rights": "The Licensee shall keep complete and accurate records and shall permit the Licensor, on "
                    "reasonable notice, to audit and inspect those records to verify compliance with this Agreement.",
    "data_handling": "The Processor shall process personal data only on documented instructions, keep it "
                     "confidential and delete it when the services end.",
    "misuse_reporting": "You must promptly report to us any misuse or suspected misuse of the Product, or any "
                        "abuse or violation of this policy, that comes to your attention.",
    "reseller_due_diligence": "The Reseller shall screen each customer before a sale and shall bind its customers "
                              "by written terms no less protective than these end-use restrictions.",
}
NEGATIVE = "This Agreement shall be governed by the laws of the State of New York, and the parties submit to the " \
           "exclusive jurisdiction of its courts."


@pytest.mark.skipif(not SHIPPED.is_file(), reason="no shipped scorer (run make model)")
@pytest.mark.parametrize("sid", sorted(CLEAR))
def test_the_shipped_model_scores_a_clear_clause_above_a_clear_non_clause(sid):
    model = scorer.Scorer.load(SHIPPED)
    assert model.covers(sid)
    assert model.score(sid, CLEAR[sid]) > 0.5 > model.score(sid, NEGATIVE)
    assert not model.vetoes(sid, CLEAR[sid])


def test_the_shipped_model_is_small_and_loaded_once():
    assert SHIPPED.is_file() and SHIPPED.stat().st_size < 3_000_000
    assert scorer.active() is scorer.active() is not None


def test_a_veto_takes_a_finding_off_and_no_model_restores_it(library):
    from clausegen.detect import detect_text

    text = CLEAR["audit_rights"]
    assert detect_text(text, library)["audit_rights"].status == "present"
    never = scorer.Scorer({"audit_rights": np.zeros(256, dtype=np.float32)}, {"audit_rights": -50.0},
                          {"audit_rights": 0.5}, bits=8)
    with scorer.using(never):  # a model that finds every passage unlikely vetoes the finding
        vetoed = detect_text(text, library)["audit_rights"]
        assert vetoed.status == "missing" and "scorer.veto" in vetoed.rules
        assert "reads as another kind of clause" in vetoed.explanation  # the passage set aside is quoted
        assert "Nothing in the document" not in vetoed.explanation
    with scorer.using(None):
        assert detect_text(text, library)["audit_rights"].status == "present"
    assert scorer.active() is not None


def test_the_audit_tool_key_changes_when_the_model_file_changes(tmp_path, monkeypatch):
    from clausegen.audit import cache as audit

    assert audit.SCORER_FILE == SHIPPED
    before = audit.tool_key()
    changed = tmp_path / "scorer.bin"
    changed.write_bytes(SHIPPED.read_bytes() + b"\0")
    monkeypatch.setattr(audit, "SCORER_FILE", changed)
    assert audit.tool_key() != before
    monkeypatch.setattr(audit, "SCORER_FILE", SHIPPED)
    assert audit.tool_key() == before
