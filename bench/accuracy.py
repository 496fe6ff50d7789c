"""Reviewer accuracy on hand-labelled documents, against a plain keyword baseline, plus recall on CUAD.

    .venv/bin/python bench/accuracy.py --labels ../shared/eval/dev_labels.jsonl --corpus ../shared/corpus [--json]

Metrics (as ../shared/eval/README.md defines them):
- found: a safeguard is found when its status is present or partial; precision, recall and F1 of found vs missing per
  safeguard, and the found macro-F1 (mean of the ten F1s; a safeguard with no positive and none predicted scores 1);
- present: the same with only `present` counting as positive; the present macro-F1;
- three-class accuracy: the share of (document, safeguard) pairs whose status equals the label.
The baseline is one keyword regex per safeguard, `present` when it matches anywhere in the text.
On CUAD (corpus/cuad/labels.jsonl, field `present`), it also prints the share of contracts with a CUAD "Audit Rights"
clause where audit_rights is found, and with an "Anti-Assignment" clause where transfer_restriction is found.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from clausegen.model import SAFEGUARD_IDS  # noqa: E402

# One keyword regex per safeguard: what a reviewer with grep would do ("present" when it matches).
BASELINE = {
    "end_use": r"end[- ]use|prohibited use|acceptable use|use restriction|usage polic|surveillance|facial recognition|"
               r"biometric|weapon|military|law enforcement|critical application",
    "export_control": r"export (?:control|administration|laws?|regulations?|restrictions?)|re-?export|\bEAR\b|\bITAR\b|"
                      r"\bOFAC\b|sanction|denied part|entity list|embargo|trade control",
    "data_handling": r"personal data|personal information|data protection|GDPR|privacy|sub-?processor|data subject",
    "suspension_termination": r"suspen[sd]|terminat",
    "reseller_due_diligence": r"reseller|distributor|flow[- ]?(?:down|through)|no less (?:protective|restrictive)|"
                              r"pass[- ]?through|downstream|sub-?licens",
    "audit_rights": r"\baudit|\binspect|verif(?:y|ying|ication)[^.]{0,40}compliance",
    "misuse_reporting": r"whistle|grievance|hotline|report[^.]{0,60}(?:abuse|misuse|violation|concern)|"
                        r"(?:abuse|misuse|violation)s?[^.]{0,40}report",
    "transfer_restriction": r"\bassign(?:ment)?\b|sub-?licen[sc]e|non-?transferable",
    "access_control": r"licen[sc]e key|activation|deactivat|remote(?:ly)? disable|hosted|cloud",
    "human_rights": r"human rights|child labou?r|forced labou?r|modern slavery|guiding principles|universal declaration",
}
AUDIT_CATEGORY = "Audit Rights"
ASSIGNMENT_CATEGORY = "Anti-Assignment"


def f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    """Return precision, recall and F1; 1.0 each when there is nothing to find and nothing was found."""
    if tp + fp + fn == 0:
        return 1.0, 1.0, 1.0
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    score = 2 * tp / (2 * tp + fp + fn)
    return precision, recall, score


def score(pairs: list[tuple[str, str, str]]) -> dict:
    """Return per-safeguard found/present precision, recall and F1, the macro-F1s and the accuracy.

    pairs: (safeguard id, gold status, predicted status) for every labelled document and safeguard."""
    per = {}
    for sid in SAFEGUARD_IDS:
        rows = [(g, p) for s, g, p in pairs if s == sid]
        out = {"n": len(rows), "accuracy": sum(g == p for g, p in rows) / len(rows) if rows else 1.0}
        for name, positive in (("found", ("present", "partial")), ("present", ("present",))):
            tp = sum(g in positive and p in positive for g, p in rows)
            fp = sum(g not in positive and p in positive for g, p in rows)
            fn = sum(g in positive and p not in positive for g, p in rows)
            precision, recall, f = f1(tp, fp, fn)
            out[name] = {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f, 3),
                         "tp": tp, "fp": fp, "fn": fn}
        per[sid] = out
    return {
        "safeguards": per,
        "found_macro_f1": round(sum(v["found"]["f1"] for v in per.values()) / len(per), 3),
        "present_macro_f1": round(sum(v["present"]["f1"] for v in per.values()) / len(per), 3),
        "three_class_accuracy": round(sum(g == p for _, g, p in pairs) / len(pairs), 3) if pairs else 1.0,
    }


def baseline_statuses(text: str) -> dict[str, str]:
    """Return the keyword baseline's status per safeguard: present when its regex matches, else missing."""
    return {sid: "present" if re.search(pattern, text, re.IGNORECASE) else "missing"
            for sid, pattern in BASELINE.items()}


def evaluate(labels_path: Path, corpus: Path, library) -> dict:
    """Review every labelled document; return the reviewer's and the baseline's scores and the errors."""
    from clausegen.review import review_file

    reviewer, baseline, errors = [], [], []
    started = time.perf_counter()
    documents = [json.loads(line) for line in labels_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for item in documents:
        path = corpus / item["doc"]
        review = review_file(path, library)
        statuses = {f.safeguard: f.status for f in review.findings}
        keyword = baseline_statuses(review_text(path))
        for sid in SAFEGUARD_IDS:
            gold = item["labels"][sid]["status"]
            reviewer.append((sid, gold, statuses[sid]))
            baseline.append((sid, gold, keyword[sid]))
            if gold != statuses[sid]:
                errors.append({"doc": item["doc"], "safeguard": sid, "gold": gold, "predicted": statuses[sid]})
    return {"documents": len(documents), "seconds": round(time.perf_counter() - started, 2),
            "reviewer": score(reviewer), "baseline": score(baseline), "errors": errors}


def review_text(path: Path) -> str:
    """Return the text the baseline scans: what ingest extracts, so both read the same words."""
    from clausegen.ingest import ingest

    return ingest(path).text


def cuad_recall(corpus: Path, library) -> dict:
    """Return how often audit_rights / transfer_restriction are found where CUAD marks Audit Rights / Anti-Assignment."""
    from clausegen.review import review_file

    labels = corpus / "cuad" / "labels.jsonl"
    if not labels.is_file():
        return {}
    counts = {"audit_rights": [0, 0], "transfer_restriction": [0, 0]}
    started = time.perf_counter()
    reviewed = 0
    for line in labels.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        wants = {"audit_rights": item["present"].get(AUDIT_CATEGORY, False),
                 "transfer_restriction": item["present"].get(ASSIGNMENT_CATEGORY, False)}
        if not any(wants.values()):
            continue
        path = corpus / "cuad" / "texts" / f"{item['id']}.txt"
        if not path.is_file():
            continue
        review = review_file(path, library)
        reviewed += 1
        statuses = {f.safeguard: f.status for f in review.findings}
        for sid, wanted in wants.items():
            if wanted:
                counts[sid][1] += 1
                counts[sid][0] += statuses[sid] != "missing"
    elapsed = time.perf_counter() - started
    return {sid: {"found": found, "of": total, "recall": round(found / total, 3) if total else 1.0}
            for sid, (found, total) in counts.items()} | {"contracts_reviewed": reviewed,
                                                          "ms_per_contract": round(elapsed / max(reviewed, 1) * 1000, 1)}


def table(result: dict) -> str:
    """Return the per-safeguard comparison as plain text."""
    lines = [f"{'safeguard':24} {'found P/R/F1 (reviewer)':>26} {'baseline':>18} {'present P/R/F1 (reviewer)':>28}"
             f" {'baseline':>18} {'acc':>5} {'base':>5}"]
    for sid in SAFEGUARD_IDS:
        r, b = result["reviewer"]["safeguards"][sid], result["baseline"]["safeguards"][sid]

        def prf(x):
            return f"{x['precision']:.2f}/{x['recall']:.2f}/{x['f1']:.2f}"

        lines.append(f"{sid:24} {prf(r['found']):>26} {prf(b['found']):>18} {prf(r['present']):>28} "
                     f"{prf(b['present']):>18} {r['accuracy']:>5.2f} {b['accuracy']:>5.2f}")
    for name in ("found_macro_f1", "present_macro_f1", "three_class_accuracy"):
        lines.append(f"{name:24} reviewer {result['reviewer'][name]:.3f}   baseline {result['baseline'][name]:.3f}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", required=True, type=Path, help="labelled documents (JSON lines)")
    parser.add_argument("--corpus", required=True, type=Path, help="folder the labels' `doc` paths are relative to")
    parser.add_argument("--library", type=Path, default=None, help="clause library folder (default: the bundled one)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    parser.add_argument("--no-cuad", action="store_true", help="skip the CUAD recall run")
    args = parser.parse_args(argv)

    from clausegen.library import load_library

    library = load_library(args.library)
    result = evaluate(args.labels, args.corpus, library)
    if not args.no_cuad:
        result["cuad"] = cuad_recall(args.corpus, library)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{result['documents']} labelled documents reviewed in {result['seconds']} s\n")
    print(table(result))
    cuad = result.get("cuad") or {}
    if cuad:
        print(f"\nCUAD: audit_rights found in {cuad['audit_rights']['found']}/{cuad['audit_rights']['of']} contracts "
              f"with 'Audit Rights' (recall {cuad['audit_rights']['recall']:.3f}); transfer_restriction found in "
              f"{cuad['transfer_restriction']['found']}/{cuad['transfer_restriction']['of']} with 'Anti-Assignment' "
              f"(recall {cuad['transfer_restriction']['recall']:.3f}); {cuad['contracts_reviewed']} contracts, "
              f"{cuad['ms_per_contract']} ms each (one core, ingest included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
