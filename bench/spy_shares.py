"""Sum a py-spy raw profile of the reviewer into the parts docs/performance.md lists.

    .venv/bin/py-spy record -r 400 --format raw -o spy.txt -- \
        .venv/bin/python bench/throughput.py --corpus ../shared/corpus/cuad/texts --profile 3 --profiler none
    python bench/spy_shares.py spy.txt

Each stack counts once, for the first part (in the order below) one of its frames belongs to; stacks outside
review_bytes (imports, reading files) and the detector's one-time build are left out.
"""

from __future__ import annotations

import sys
from collections import Counter

# (part, a string that names its frame in py-spy's output), checked in this order
PARTS = [
    ("spaCy tokenizer (make_doc)", "Language.make_doc"),
    ("ingest_bytes", "ingest_bytes "),
    ("section prefilter: sketch_of", "sketch_of "),
    ("section prefilter: confirm/holds/could_match", "Detector.confirm "),
    ("passage prefilter: of_unit/possible", "of_unit "),
    ("section_units", "Detector.section_units "),
    ("spread", "Detector.spread "),
    ("reach", "Detector.reach "),
    ("find_parties", "Detector.find_parties "),
    ("phrase trie", "PhraseTable.__call__ "),
    ("gap patterns", "TokenPattern.__call__ "),
    ("_analysis and party mentions", "Detector._analysis "),
    ("judge", "Detector.judge "),
    ("finding (rapidfuzz included)", "Detector.finding "),
    ("token columns", "Columns.__init__ "),
]


def shares(lines) -> tuple[Counter, int]:
    """Return samples per part (and "other") and the total, from py-spy's raw lines "frame;frame;... count"."""
    counts: Counter = Counter()
    total = 0
    for line in lines:
        stack, _, number = line.rstrip().rpartition(" ")
        if not number.isdigit() or "review_bytes " not in stack or "Detector.__init__ " in stack:
            continue
        total += int(number)
        part = next((name for name, frame in PARTS if frame in stack), "other")
        counts[part] += int(number)
    return counts, total


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as handle:
        counts, total = shares(handle)
    if not total:
        print(f"{sys.argv[1]}: no samples inside review_bytes", file=sys.stderr)
        return 2
    for name in [name for name, _ in PARTS] + ["other"]:
        print(f"{counts[name] / total:6.1%}  {name}")
    print(f"{total} samples")
    return 0


if __name__ == "__main__":
    sys.exit(main())
