"""Turn a label file's evidence quotes into character spans of the text the labeller read, so that labels of
proprietary documents can live in this repository without their words.

    .venv/bin/python bench/quotes_to_spans.py LABELS.jsonl --corpus ../shared/corpus --labeller "..." > OUT.jsonl

Each quote is found in the `read` text by whitespace-insensitive search and written as [start, end]; notes and roles
(the labellers' words about the text) are dropped. A quote that cannot be found is an error naming the document.
bench/accuracy.py reads such spans back from the corpus when it scores evidence.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path


def span_of(quote: str, text: str) -> tuple[int, int] | None:
    """Return where `quote` stands in `text`, spacing aside, or None."""
    words = quote.split()
    if not words:
        return None
    match = re.search(r"\s+".join(re.escape(w) for w in words), text)
    return (match.start(), match.end()) if match else None


def convert(line: dict, corpus: Path, labeller: str) -> dict:
    """Return one label line with spans for quotes and without notes or roles."""
    text = (corpus / line["read"]).read_text(encoding="utf-8", errors="replace")
    labels = {}
    for sid, label in line["labels"].items():
        spans = []
        for quote in label.get("evidence") or []:
            span = span_of(quote, text)
            if span is None:
                raise SystemExit(f"{line['doc']} -> {sid}: quote not found in {line['read']}: {quote[:60]!r}")
            spans.append(list(span))
        labels[sid] = {"status": label["status"], "evidence": spans}
    return {"doc": line["doc"], "read": line["read"], "doc_type": line.get("doc_type", ""), "labeller": labeller,
            "labels": labels}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("labels", type=Path, nargs="+", help="label files with quotes (JSON lines)")
    parser.add_argument("--corpus", required=True, type=Path, help="folder the labels' `read` paths are relative to")
    parser.add_argument("--labeller", default="", help="who labelled, and when")
    args = parser.parse_args()
    for path in args.labels:
        for raw in path.read_text(encoding="utf-8").splitlines():
            if raw.strip():
                sys.stdout.write(json.dumps(convert(json.loads(raw), args.corpus, args.labeller),
                                            ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
