"""Two side questions about the learned scorer, out of fold on the in-sample documents (never the held-out ones).

    .venv/bin/python bench/scorer_compare.py --labels ../shared/eval/dev_labels.jsonl --corpus ../shared/corpus \
        spacy [--safeguard audit_rights]
    .venv/bin/python bench/scorer_compare.py --labels ... --corpus ... evidence

spacy: is spaCy's textcat_multilabel (bag-of-words, word pairs) as good as the numpy model on the same examples?
Grouped 5-fold over documents; ROC AUC on all left-out examples and on the rules' own passages among them.
evidence: would the model pick better first quotes? Over the (document, safeguard) pairs that the label and the
reviewer both call found, how often the reviewer's first quote overlaps a label quote, against the passage (of those
the rules call present or partial) that a model trained on the other folds scores highest.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import accuracy as acc  # noqa: E402
import train_scorer as ts  # noqa: E402
from clausegen.detect import scorer  # noqa: E402


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Return the ROC AUC (the chance a positive scores above a negative; ties by order)."""
    order = np.argsort(scores, kind="stable")
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(len(scores))
    positives = labels.sum()
    return float((ranks[labels == 1].sum() - positives * (positives - 1) / 2) / (positives * (len(labels) - positives)))


def spacy_fit(rows: list[tuple[str, int, float]]):
    """Return a spaCy textcat_multilabel (TextCatBOW, word pairs) trained 5 epochs with seed 0."""
    import spacy
    from spacy.training import Example
    from thinc.api import fix_random_seed

    fix_random_seed(0)
    nlp = spacy.blank("en")
    textcat = nlp.add_pipe("textcat_multilabel", config={"model": {
        "@architectures": "spacy.TextCatBOW.v3", "exclusive_classes": False, "ngram_size": 2,
        "no_output_layer": False, "length": 262144}})
    textcat.add_label("POS")
    examples = [Example.from_dict(nlp.make_doc(t), {"cats": {"POS": float(y)}}) for t, y, _ in rows]
    optimizer = nlp.initialize(lambda: examples)
    rng = random.Random(0)
    for _ in range(5):
        rng.shuffle(examples)
        for i in range(0, len(examples), 64):
            nlp.update(examples[i:i + 64], sgd=optimizer)
    return nlp


def compare_spacy(dev, cuad, corpus: Path, library, sid: str) -> None:
    examples = ts.pool(dev, cuad, corpus, library, [sid])
    held = ts.heldout_docs()
    docs = sorted({d for _, _, _, d in examples[sid] if d and d not in held})
    out = {"numpy": ([], [], []), "spacy": ([], [], [])}
    seconds = {"numpy": 0.0, "spacy": 0.0}
    for fold in acc.folds(docs, 5):
        left = set(fold)
        rows = [(t, y, w) for t, y, w, d in examples[sid] if d not in left | held]
        test = [(t, y, w) for t, y, w, d in examples[sid] if d in left]
        begun = time.perf_counter()
        model = scorer.fit({sid: rows})
        seconds["numpy"] += time.perf_counter() - begun
        begun = time.perf_counter()
        nlp = spacy_fit(rows)
        seconds["spacy"] += time.perf_counter() - begun
        for name, score in (("numpy", lambda t: model.score(sid, t)), ("spacy", lambda t: nlp(t).cats["POS"])):
            for text, y, w in test:
                out[name][0].append(y)
                out[name][1].append(score(text))
                out[name][2].append(w)
    for name, (ys, ps, ws) in out.items():
        ys, ps, hard = np.array(ys), np.array(ps), np.array(ws) > 1
        print(f"{name:6} {sid}: AUC all {auc(ys, ps):.3f}, on the rules' passages {auc(ys[hard], ps[hard]):.3f} "
              f"({hard.sum()} passages); training {seconds[name]:.1f} s for 5 folds")


def compare_evidence(dev, corpus: Path, library) -> None:
    from clausegen.model import SAFEGUARD_IDS
    from clausegen.review import review_file

    held = ts.heldout_docs()
    insample = [item for item in dev if item["doc"] not in held]
    sids = list(SAFEGUARD_IDS)
    examples = ts.pool(insample, [], corpus, library, sids)
    recorder = ts.Recorder(sids)
    current = top = total = 0
    for fold in acc.folds([item["doc"] for item in insample], 5):
        model = ts.train(examples, set(fold), {})
        for item in insample:
            if item["doc"] not in fold:
                continue
            recorder.seen = []
            with scorer.using(recorder):
                review = review_file(corpus / item["doc"], library)
            findings = {f.safeguard: f for f in review.findings}
            for sid in sids:
                label, found = item["labels"][sid], findings[sid]
                quotes = label.get("evidence") or []
                if label["status"] == "missing" or found.status == "missing" or not quotes:
                    continue
                total += 1
                current += bool(found.evidence) and acc.overlaps(found.evidence[0].text, quotes)
                passages = [t for s, t in recorder.seen if s == sid]
                if passages and sid in model.weights:
                    top += acc.overlaps(max(passages, key=lambda t: model.score(sid, t)), quotes)
    print(f"first quote overlaps a label quote: reviewer {current}/{total}, the model's top passage {top}/{total}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", required=True, type=Path)
    parser.add_argument("--corpus", required=True, type=Path)
    parser.add_argument("question", choices=("spacy", "evidence"))
    parser.add_argument("--safeguard", default="audit_rights")
    args = parser.parse_args(argv)
    from clausegen.library import load_library

    library = load_library(None)
    dev, cuad = ts.load_sources(args.labels, args.corpus)
    if args.question == "spacy":
        compare_spacy(dev, cuad, args.corpus, library, args.safeguard)
    else:
        compare_evidence(dev, args.corpus, library)
    return 0


if __name__ == "__main__":
    sys.exit(main())
