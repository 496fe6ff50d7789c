"""Reviewer accuracy on hand-labelled documents, in-sample and held out, against a keyword baseline, plus CUAD.

    .venv/bin/python bench/accuracy.py --labels ../shared/eval/dev_labels.jsonl --corpus ../shared/corpus \
        [--cv K] [--json] [--no-cuad]

Every labelled document is reviewed once; the figures are then computed over several subsets of them:
- all documents;
- in-sample vs held-out: bench/heldout.json fixes a held-out split by source (publisher or filing company), chosen
  before the issue-12 rules were written; rules are written against the in-sample documents only;
- --cv K: a grouped K-fold over the sources (one publisher's documents stay in one fold). The reviewer's rules are
  hand-written, so nothing is fitted per fold; the folds show how far the figures move from one set of sources to
  another (mean, lowest, highest).

Metrics (as ../shared/eval/README.md defines them):
- found: a safeguard is found when its status is present or partial; precision, recall and F1 of found vs missing per
  safeguard, and the found macro-F1 (mean of the ten F1s; a safeguard with no positive and none predicted scores 1);
- present: the same with only `present` counting as positive; the present macro-F1;
- three-class accuracy: the share of (document, safeguard) pairs whose status equals the label.
The baseline is one keyword regex per safeguard, `present` when it matches anywhere in the text.
Evidence overlap: over the (document, safeguard) pairs that the label and the reviewer both call found, the share
whose first quote overlaps one of the labeller's quotes (8 words in a row in common, or one quote inside the other,
compared case- and whitespace-insensitively).
Labels may give evidence as quotes or as [start, end] spans of the text the labeller read (bench/blind_labels.jsonl:
119 corpus documents outside the dev set, labelled blind in sessions 8 to 10; bench/untouched_labels.jsonl: 47 more,
never compared with the reviewer; run them with --no-cuad).
On CUAD (corpus/cuad/labels.jsonl, field `present`, all 510 contracts), it prints precision and recall of
audit_rights found vs "Audit Rights" and of transfer_restriction found vs "Anti-Assignment".
"""

from __future__ import annotations

import argparse
import hashlib
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
CUAD_MAP = {"audit_rights": AUDIT_CATEGORY, "transfer_restriction": ASSIGNMENT_CATEGORY}
HELDOUT = REPO / "bench" / "heldout.json"
OVERLAP_WORDS = 8


def source_group(doc: str) -> str:
    """Return the source a labelled document comes from: its publisher (agreements/) or filing company (cuad/)."""
    name = doc.split("/")[-1]
    if doc.startswith("cuad/"):
        return "cuad:" + re.split(r"_\d|_INC|Inc_|_", name)[0].lower()
    return "pub:" + name.split("-")[0].split(".")[0].lower()


def folds(docs: list[str], k: int) -> list[list[str]]:
    """Return k folds of documents grouped by source: whole sources, dealt largest first to the smallest fold
    (ties by a hash of the source name, so the folds are fixed)."""
    groups: dict[str, list[str]] = {}
    for doc in docs:
        groups.setdefault(source_group(doc), []).append(doc)
    order = sorted(groups, key=lambda g: (-len(groups[g]), hashlib.sha256(g.encode()).hexdigest()))
    out: list[list[str]] = [[] for _ in range(k)]
    for group in order:
        min(out, key=len).extend(groups[group])
    return out


def words(text: str) -> list[str]:
    """Return the lower-cased words of a quote."""
    return re.findall(r"[a-z0-9]+", text.lower())


def overlaps(quote: str, gold: list[str]) -> bool:
    """Return whether a quote shares 8 words in a row with one of the gold quotes, or one lies inside the other."""
    mine = words(quote)
    mine_text = " ".join(mine)
    grams = {tuple(mine[i:i + OVERLAP_WORDS]) for i in range(len(mine) - OVERLAP_WORDS + 1)}
    for other in gold:
        theirs = words(other)
        theirs_text = " ".join(theirs)
        if mine_text and theirs_text and (mine_text in theirs_text or theirs_text in mine_text):
            return True
        if any(tuple(theirs[i:i + OVERLAP_WORDS]) in grams for i in range(len(theirs) - OVERLAP_WORDS + 1)):
            return True
    return False


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


def review_all(labels_path: Path, corpus: Path, library, only: set[str] | None = None) -> list[dict]:
    """Review every labelled document (or those in `only`) once; return one row per (document, safeguard) with
    gold and predicted."""
    from clausegen.review import review_file

    rows = []
    documents = [json.loads(line) for line in labels_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for item in documents:
        if only is not None and item["doc"] not in only:
            continue
        path = corpus / item["doc"]
        review = review_file(path, library)
        findings = {f.safeguard: f for f in review.findings}
        keyword = baseline_statuses(review_text(path))
        read = None
        for sid in SAFEGUARD_IDS:
            label = item["labels"][sid]
            found = findings[sid]
            quotes = label.get("evidence") or []
            if any(isinstance(q, list) for q in quotes):  # [start, end] in the read text (bench/quotes_to_spans.py)
                read = read or (corpus / item["read"]).read_text(encoding="utf-8", errors="replace")
                quotes = [read[q[0]:q[1]] if isinstance(q, list) else q for q in quotes]
            rows.append({"doc": item["doc"], "safeguard": sid, "gold": label["status"], "predicted": found.status,
                         "baseline": keyword[sid], "gold_quotes": quotes,
                         "quote": found.evidence[0].text if found.evidence else "",
                         "doc_type": item.get("doc_type", ""), "predicted_type": review.doc_type})
    return rows


def evidence_overlap(rows: list[dict]) -> dict:
    """Return how often the first quote overlaps a labeller's quote where both call the safeguard found."""
    both = [r for r in rows if r["gold"] != "missing" and r["predicted"] != "missing" and r["gold_quotes"]]
    hits = sum(overlaps(r["quote"], r["gold_quotes"]) for r in both)
    return {"overlapping": hits, "of": len(both), "share": round(hits / len(both), 3) if both else 1.0}


def evaluate_rows(rows: list[dict]) -> dict:
    """Return the reviewer's and the baseline's scores, the evidence overlap and the errors over some rows."""
    return {"documents": len({r["doc"] for r in rows}),
            "reviewer": score([(r["safeguard"], r["gold"], r["predicted"]) for r in rows]),
            "baseline": score([(r["safeguard"], r["gold"], r["baseline"]) for r in rows]),
            "evidence": evidence_overlap(rows),
            "errors": [{k: r[k] for k in ("doc", "safeguard", "gold", "predicted")}
                       for r in rows if r["gold"] != r["predicted"]]}


def evaluate(labels_path: Path, corpus: Path, library, k: int = 0) -> dict:
    """Review every labelled document; return the scores over all of them, in-sample, held out and per fold."""
    started = time.perf_counter()
    rows = review_all(labels_path, corpus, library)
    result = evaluate_rows(rows) | {"seconds": round(time.perf_counter() - started, 2)}
    held = set(json.loads(HELDOUT.read_text(encoding="utf-8"))["documents"]) if HELDOUT.is_file() else set()
    if held & {r["doc"] for r in rows}:  # a split of the dev set; other label sets are scored whole
        result["in_sample"] = evaluate_rows([r for r in rows if r["doc"] not in held])
        result["held_out"] = evaluate_rows([r for r in rows if r["doc"] in held])
    if k > 1:
        docs = list(dict.fromkeys(r["doc"] for r in rows))
        per_fold = [evaluate_rows([r for r in rows if r["doc"] in set(fold)]) for fold in folds(docs, k)]
        result["cv"] = {"k": k, "folds": [{name: f["reviewer"][name] for name in METRICS} | {"documents": f["documents"]}
                                          for f in per_fold]}
        for name in METRICS:
            values = [f["reviewer"][name] for f in per_fold]
            result["cv"][name] = {"mean": round(sum(values) / k, 3), "min": min(values), "max": max(values)}
    types = [(r["doc_type"], r["predicted_type"]) for r in rows if r["safeguard"] == SAFEGUARD_IDS[0]]
    result["doc_type"] = {"agree": sum(doc_type_agrees(g, p) for g, p in types), "of": len(types),
                          "pairs": sorted({f"{g} -> {p}" for g, p in types})}
    return result


METRICS = ("found_macro_f1", "present_macro_f1", "three_class_accuracy")
# The labels' doc_type words and the reviewer's types that mean the same kind of document.
TYPE_MATCH = {"reseller agreement": {"reseller agreement"}, "distribution": {"distribution agreement"},
              "EULA": {"eula"}, "license": {"license agreement", "eula"}, "ToS": {"terms of service"},
              "AUP": {"acceptable use policy"}, "DPA": {"dpa"}, "services": {"services agreement"},
              "supply": {"supply agreement"}, "other": {"other", "not a contract"}}


def doc_type_agrees(gold: str, predicted: str) -> bool:
    """Return whether the reviewer's document type matches the label's doc_type."""
    return predicted in TYPE_MATCH.get(gold, {gold.lower()})


def review_text(path: Path) -> str:
    """Return the text the baseline scans: what ingest extracts, so both read the same words."""
    from clausegen.ingest import ingest

    return ingest(path).text


def cuad_scores(corpus: Path, library, only: set[str] | None = None) -> dict:
    """Return precision and recall of audit_rights / transfer_restriction found against CUAD's "Audit Rights" /
    "Anti-Assignment" over all CUAD contracts (or the ids in `only`), with the false positives listed."""
    from clausegen.review import review_file

    labels = corpus / "cuad" / "labels.jsonl"
    if not labels.is_file():
        return {}
    counts = {sid: {"tp": 0, "fp": 0, "fn": 0, "false_positives": [], "false_negatives": []} for sid in CUAD_MAP}
    started = time.perf_counter()
    reviewed = 0
    for line in labels.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        path = corpus / "cuad" / "texts" / f"{item['id']}.txt"
        if not path.is_file() or (only is not None and item["id"] not in only):
            continue
        review = review_file(path, library)
        reviewed += 1
        statuses = {f.safeguard: f.status for f in review.findings}
        for sid, category in CUAD_MAP.items():
            wanted, found = bool(item["present"].get(category, False)), statuses[sid] != "missing"
            c = counts[sid]
            c["tp"] += wanted and found
            c["fp"] += found and not wanted
            c["fn"] += wanted and not found
            if found != wanted:
                c["false_positives" if found else "false_negatives"].append(item["id"])
    elapsed = time.perf_counter() - started
    out = {}
    for sid, c in counts.items():
        precision, recall, f = f1(c["tp"], c["fp"], c["fn"])
        out[sid] = c | {"category": CUAD_MAP[sid], "precision": round(precision, 3), "recall": round(recall, 3),
                        "f1": round(f, 3)}
    return out | {"contracts_reviewed": reviewed, "ms_per_contract": round(elapsed / max(reviewed, 1) * 1000, 1)}


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
    parser.add_argument("--no-cuad", action="store_true", help="skip the CUAD run")
    parser.add_argument("--cv", type=int, default=0, metavar="K", help="grouped K-fold over the sources")
    args = parser.parse_args(argv)

    from clausegen.library import load_library

    library = load_library(args.library)
    result = evaluate(args.labels, args.corpus, library, args.cv)
    if not args.no_cuad:
        result["cuad"] = cuad_scores(args.corpus, library)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{result['documents']} labelled documents reviewed in {result['seconds']} s\n")
    print(table(result))
    print()
    for name in ("in_sample", "held_out"):
        part = result.get(name)
        if part:
            print(f"{name:9} ({part['documents']:2} documents): " + summary_line(part))
    cv = result.get("cv")
    if cv:
        print(f"grouped {cv['k']}-fold: " + "; ".join(
            f"{name} mean {cv[name]['mean']:.3f} (min {cv[name]['min']:.3f}, max {cv[name]['max']:.3f})"
            for name in METRICS))
    from clausegen.detect import scorer

    if scorer.active() is not None and "held_out" in result:
        print("note: the shipped scorer (clausegen/detect/scorer.bin) was trained on the in-sample documents and on CUAD\n"
              "  spans: the held-out figure is honest, the fold and CUAD figures are not cross-validated for it (those\n"
              "  are bench/scorer_cv.py's)")
    if "held_out" not in result:
        print("all       " + f"({result['documents']:2} documents): " + summary_line(result))
    print(f"document type agrees with the label: {result['doc_type']['agree']}/{result['doc_type']['of']}")
    cuad = result.get("cuad") or {}
    if cuad:
        for sid in CUAD_MAP:
            c = cuad[sid]
            print(f"CUAD {sid} vs '{c['category']}': precision {c['precision']:.3f} recall {c['recall']:.3f} "
                  f"(tp {c['tp']}, fp {c['fp']}, fn {c['fn']})")
        print(f"CUAD: {cuad['contracts_reviewed']} contracts, {cuad['ms_per_contract']} ms each "
              f"(one core, ingest included)")
    return 0


def summary_line(part: dict) -> str:
    """Return one line of the three headline figures and the evidence overlap."""
    r, e = part["reviewer"], part["evidence"]
    return (f"found macro-F1 {r['found_macro_f1']:.3f}, present macro-F1 {r['present_macro_f1']:.3f}, "
            f"accuracy {r['three_class_accuracy']:.3f}; evidence overlap {e['share']:.3f} ({e['overlapping']}/{e['of']})")


if __name__ == "__main__":
    sys.exit(main())
