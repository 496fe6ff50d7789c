"""The reviewer with the learned scorer against the rules alone: grouped cross-validation, held-out and CUAD.

    .venv/bin/python bench/scorer_cv.py --labels ../shared/eval/dev_labels.jsonl --corpus ../shared/corpus \
        [--cv 5] [--threshold 0.1,0.2] [--safeguards audit_rights,transfer_restriction] [--json]

Every figure of the model is out of sample:
- dev labels, grouped K-fold (bench/accuracy.py's folds, by source): per fold, a model is trained without that
  fold's documents (their label quotes, their passages and, for CUAD exhibits, their CUAD spans) and the fold's
  documents are reviewed with it;
- held-out (bench/heldout.json): the model is trained without the held-out documents (as the shipped one is) and
  reviews them; in-sample figures with that model are printed too (they are trained on, so optimistic);
- CUAD, all 510 contracts: grouped K-fold by filing company; per fold a model trained without those contracts (and
  without the held-out documents) reviews them; precision/recall of audit_rights vs "Audit Rights" and
  transfer_restriction vs "Anti-Assignment" are pooled over the folds.
The rules alone (no model) are measured in the same run. Only aggregate figures are printed for held-out documents.
--threshold takes several values: the models are trained once per fold and the review is repeated per threshold;
the held-out figure is then left out (a threshold is chosen on the folds and CUAD, never on the held-out documents).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import accuracy as acc  # noqa: E402
import train_scorer as ts  # noqa: E402
from clausegen.detect import scorer  # noqa: E402


def headline(rows: list[dict]) -> dict:
    """Return the three headline figures and the evidence overlap of some review rows."""
    part = acc.evaluate_rows(rows)
    return {name: part["reviewer"][name] for name in acc.METRICS} | {"evidence": part["evidence"]["share"]}


def per_safeguard(rows: list[dict]) -> dict:
    """Return found F1, present F1 and accuracy per safeguard."""
    per = acc.score([(r["safeguard"], r["gold"], r["predicted"]) for r in rows])["safeguards"]
    return {sid: [v["found"]["f1"], v["present"]["f1"], round(v["accuracy"], 3)] for sid, v in per.items()}


def cv_summary(rows: list[dict], folds: list[list[str]]) -> dict:
    """Return the mean of the per-fold headline figures (as bench/accuracy.py --cv prints them)."""
    per = [headline([r for r in rows if r["doc"] in set(fold)]) for fold in folds]
    return {name: round(sum(p[name] for p in per) / len(per), 3) for name in acc.METRICS}


def cuad_pool(parts: list[dict]) -> dict:
    """Return precision/recall per mapped safeguard, pooled over per-fold cuad_scores results."""
    out = {}
    for sid in acc.CUAD_MAP:
        tp, fp, fn = (sum(p[sid][k] for p in parts) for k in ("tp", "fp", "fn"))
        precision, recall, _ = acc.f1(tp, fp, fn)
        out[sid] = {"precision": round(precision, 3), "recall": round(recall, 3), "tp": tp, "fp": fp, "fn": fn}
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", required=True, type=Path)
    parser.add_argument("--corpus", required=True, type=Path)
    parser.add_argument("--cv", type=int, default=5)
    parser.add_argument("--threshold", default="", help="veto thresholds to try, comma-separated (default: "
                                                          "train_scorer.THRESHOLDS)")
    parser.add_argument("--safeguards", default="", help="safeguards the model vetoes (default: THRESHOLDS')")
    parser.add_argument("--no-cuad", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    from clausegen.library import load_library

    library = load_library(None)
    sids = args.safeguards.split(",") if args.safeguards else sorted(ts.THRESHOLDS)
    settings = ([{sid: float(t) for sid in sids} for t in args.threshold.split(",")] if args.threshold
                else [{sid: ts.THRESHOLDS[sid] for sid in sids}])
    started = time.perf_counter()
    dev, cuad = ts.load_sources(args.labels, args.corpus)
    examples = ts.pool(dev, cuad, args.corpus, library, sids)
    held = ts.heldout_docs()
    docs = [item["doc"] for item in dev]
    dev_folds = acc.folds(docs, args.cv)
    result: dict = {"safeguards": sids, "examples": {s: [len(r), sum(y for _, y, _, _ in r)] for s, r in examples.items()}}

    # the rules alone
    scorer.use(None)
    rules_rows = acc.review_all(args.labels, args.corpus, library)
    result["rules"] = {"cv_mean": cv_summary(rules_rows, dev_folds),
                       "held_out": headline([r for r in rules_rows if r["doc"] in held]) if len(settings) == 1 else {},
                       "in_sample": headline([r for r in rules_rows if r["doc"] not in held]),
                       "in_sample_per_safeguard": per_safeguard([r for r in rules_rows if r["doc"] not in held])}
    train_seconds = []

    def trained(exclude: set[str]) -> scorer.Scorer:
        begun = time.perf_counter()
        model = ts.train(examples, exclude, {})
        train_seconds.append(time.perf_counter() - begun)
        return model

    fold_models = [trained(set(fold)) for fold in dev_folds]
    ship = trained(held)
    cuad_models, cuad_folds = [], []
    if not args.no_cuad:
        cuad_docs = [ts.cuad_doc(item) for item in cuad]
        cuad_folds = acc.folds(cuad_docs, args.cv)
        cuad_models = [trained(set(fold) | held) for fold in cuad_folds]
        scorer.use(None)
        result["rules"]["cuad"] = cuad_pool([acc.cuad_scores(args.corpus, library)])
    result["train_seconds_each"] = round(sum(train_seconds) / len(train_seconds), 1)
    result["model"] = []
    for setting in settings:
        out: dict = {"threshold": setting}
        rows = []
        for fold, model in zip(dev_folds, fold_models):
            model.threshold = setting
            scorer.use(model)
            rows += acc.review_all(args.labels, args.corpus, library, only=set(fold))
        out["cv_mean"] = cv_summary(rows, dev_folds)
        out["cv_pooled"] = headline(rows)
        out["cv_in_sample_per_safeguard"] = per_safeguard([r for r in rows if r["doc"] not in held])
        ship.threshold = setting
        scorer.use(ship)
        ship_rows = acc.review_all(args.labels, args.corpus, library)
        if len(settings) == 1:  # a threshold is chosen on the folds and CUAD, never on the held-out figure
            out["held_out"] = headline([r for r in ship_rows if r["doc"] in held])
        out["in_sample_trained_on"] = headline([r for r in ship_rows if r["doc"] not in held])
        if cuad_models:
            parts = []
            for fold, model in zip(cuad_folds, cuad_models):
                model.threshold = setting
                scorer.use(model)
                parts.append(acc.cuad_scores(args.corpus, library, only={d.split("/")[-1][:-4] for d in fold}))
            out["cuad_cv"] = cuad_pool(parts)
        result["model"].append(out)
        if not args.json:
            print(json.dumps(out), flush=True)
    scorer.use(None)
    result["seconds"] = round(time.perf_counter() - started, 1)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(json.dumps({k: v for k, v in result.items() if k != "model"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
