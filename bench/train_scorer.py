"""Train the reviewer's passage scorer (clausegen/detect/scorer.bin) from the repo and ../shared; nothing downloaded.

    .venv/bin/python bench/train_scorer.py --labels ../shared/eval/dev_labels.jsonl --corpus ../shared/corpus \
        [--out clausegen/detect/scorer.bin]

Training data, per safeguard:
- positives: the dev labels' evidence quotes, the library's clause wordings (expected.txt of each clause that
  provides the safeguard, and the safeguard's reference wordings), and for audit_rights / transfer_restriction
  CUAD's annotated "Audit Rights" / "Anti-Assignment" and "Change of Control" spans;
- negatives: every passage of a dev document labelled `missing` for the safeguard, and the CUAD passages outside
  those annotations that share the topic's words (plus a fixed 1-in-20 sample of the others);
- the passages the rules alone call present or partial (the model's real inputs, weighing HARD times more): a
  positive where they overlap a label quote or CUAD span, a negative in a document labelled missing or a CUAD
  contract without the annotation.
The documents of bench/heldout.json are never trained on (their labels, CUAD spans and passages), so the held-out
figure stays honest; `exclude` leaves out more documents (the fold being scored). The veto thresholds
(THRESHOLDS) are fixed by the cross-validation in bench/scorer_cv.py, not by the held-out documents.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from accuracy import overlaps  # noqa: E402
from clausegen.detect import scorer  # noqa: E402
from clausegen.detect.scorer import MODEL_FILE, Scorer, fit  # noqa: E402

HELDOUT = REPO / "bench" / "heldout.json"
CUAD_CATEGORIES = {"audit_rights": ("Audit Rights",), "transfer_restriction": ("Anti-Assignment", "Change of Control")}
# words a CUAD passage must hold to be a (hard) negative for the safeguard; others are sampled 1 in 20
TOPIC = {"audit_rights": re.compile(r"audit|inspect|examin|records|books|verif", re.IGNORECASE),
         "transfer_restriction": re.compile(r"assign|transfer|control|merger|successor|sublicens|delegat",
                                            re.IGNORECASE)}
SAMPLE = 20
HARD = 3.0  # the weight of a passage the rules call present or partial (the model's real inputs)
# the safeguards the reviewer lets the model veto, and below which probability (see docs/accuracy.md)
THRESHOLDS = {"audit_rights": 0.05, "data_handling": 0.05, "misuse_reporting": 0.05, "reseller_due_diligence": 0.05}
PARAGRAPH_RE = re.compile(r"\n\s*\n")
SENTENCE_RE = re.compile(r"(?<=[.;:])\s+(?=[\"“(]?[A-Z(])")
LONG = 600
SHORT = 30


def passages(text: str) -> list[tuple[int, int]]:
    """Return (start, end) of a text's passages: paragraphs, long ones cut into sentences."""
    out = []
    starts = [0] + [m.end() for m in PARAGRAPH_RE.finditer(text)]
    ends = [m.start() for m in PARAGRAPH_RE.finditer(text)] + [len(text)]
    for start, end in zip(starts, ends):
        if end - start <= LONG:
            pieces = [(start, end)]
        else:
            cuts = [start] + [m.end() for m in SENTENCE_RE.finditer(text, start, end)] + [end]
            pieces = list(zip(cuts, cuts[1:]))
        out.extend((a, b) for a, b in pieces if len(text[a:b].strip()) >= SHORT)
    return out


def heldout_docs() -> set[str]:
    """Return the held-out documents (never trained on)."""
    return set(json.loads(HELDOUT.read_text(encoding="utf-8"))["documents"])


def library_examples(library) -> dict[str, list[str]]:
    """Return the library's own wordings per safeguard: clause texts and detection reference wordings."""
    out: dict[str, list[str]] = {}
    for clause in sorted((library.clauses or {}).values(), key=lambda c: c.id):
        for sid in clause.provides:
            out.setdefault(sid, []).extend(p.strip() for p in PARAGRAPH_RE.split(clause.expected or "") if p.strip())
    for sid, sg in sorted(library.safeguards.items()):
        out.setdefault(sid, []).extend(str(r) for r in (sg.detection or {}).get("reference", []) or [])
    return out


def load_sources(labels: Path, corpus: Path) -> tuple[list[dict], list[dict]]:
    """Return the dev label lines and the CUAD label lines."""
    dev = [json.loads(line) for line in labels.read_text(encoding="utf-8").splitlines() if line.strip()]
    cuad_path = corpus / "cuad" / "labels.jsonl"
    cuad = [json.loads(line) for line in cuad_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return dev, cuad


def cuad_doc(item: dict) -> str:
    """Return a CUAD contract's path under the corpus, as the dev labels name it."""
    return f"cuad/texts/{item['id']}.txt"


class Recorder(Scorer):
    """A scorer that vetoes nothing and keeps the passages the rules call present or partial."""

    def __init__(self, safeguards: list[str]):
        super().__init__({}, {})
        self.safeguards, self.seen = set(safeguards), []

    def covers(self, sid: str) -> bool:
        """Return whether the safeguard's passages are recorded."""
        return sid in self.safeguards

    def vetoes(self, sid: str, text: str) -> bool:
        """Record the passage; veto nothing."""
        self.seen.append((sid, text))
        return False


def rule_passages(corpus: Path, docs: list[str], library, safeguards: list[str]) -> dict[str, list[tuple[str, str]]]:
    """Return, per document, the (safeguard, passage) pairs the rules alone call present or partial."""
    from clausegen.review import review_file

    recorder = Recorder(safeguards)
    out = {}
    with scorer.using(recorder):
        for doc in docs:
            recorder.seen = []
            review_file(corpus / doc, library)
            out[doc] = recorder.seen
    return out


def pool(dev: list[dict], cuad: list[dict], corpus: Path, library,
         safeguards: list[str] | None = None) -> dict[str, list[tuple[str, int, float, str]]]:
    """Return every (text, 1/0, weight, document) training example per safeguard; the library's have no document.

    The passages the rules call present or partial weigh HARD times more: they are what the model vetoes."""
    from clausegen.model import SAFEGUARD_IDS

    sids = safeguards or list(SAFEGUARD_IDS)
    out: dict[str, list[tuple[str, int, float, str]]] = {sid: [] for sid in sids}
    for sid, texts in library_examples(library).items():
        if sid in out:
            out[sid].extend((t, 1, 1.0, "") for t in texts)
    cuad_wanted = [sid for sid in CUAD_CATEGORIES if sid in out]
    hits = rule_passages(corpus, [item["doc"] for item in dev]
                         + [cuad_doc(item) for item in cuad if cuad_wanted and (corpus / cuad_doc(item)).is_file()],
                         library, sids)
    for item in dev:
        doc = item["doc"]
        text = (corpus / item.get("read", doc)).read_text(encoding="utf-8", errors="replace")
        chunks = [text[a:b].strip() for a, b in passages(text)]
        for sid in sids:
            label = item["labels"][sid]
            found = [t for s, t in hits.get(doc, []) if s == sid]
            if label["status"] == "missing":
                out[sid].extend((c, 0, 1.0, doc) for c in chunks)
                out[sid].extend((t, 0, HARD, doc) for t in found)
            else:
                quotes = [q for q in label.get("evidence") or [] if len(q.strip()) >= 10]
                out[sid].extend((q, 1, 1.0, doc) for q in quotes)
                out[sid].extend((t, 1, HARD, doc) for t in found if overlaps(t, quotes))
    for item in cuad:
        doc = cuad_doc(item)
        path = corpus / doc
        if not path.is_file() or not cuad_wanted:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        cuts = passages(text)
        for sid in cuad_wanted:
            spans = [tuple(s) for c in CUAD_CATEGORIES[sid] for s in item["span_offsets"].get(c, [])]
            out[sid].extend((text[a:b].strip(), 1, 1.0, doc) for a, b in spans if b - a >= 10)
            for a, b in cuts:
                if any(a < e and s < b for s, e in spans):
                    continue
                chunk = text[a:b].strip()
                if TOPIC[sid].search(chunk) or zlib.crc32(chunk.encode()) % SAMPLE == 0:
                    out[sid].append((chunk, 0, 1.0, doc))
            span_texts = [text[a:b] for a, b in spans]
            for s, passage in hits.get(doc, []):
                if s != sid:
                    continue
                if not spans:  # a rule's passage in a contract without the annotation
                    out[sid].append((passage, 0, HARD, doc))
                elif overlaps(passage, span_texts):
                    out[sid].append((passage, 1, HARD, doc))
    return out


def train(examples: dict[str, list[tuple[str, int, float, str]]], exclude: set[str],
          thresholds: dict[str, float] | None = None) -> Scorer:
    """Return a scorer trained on the examples of every document not in `exclude`, with the veto thresholds."""
    model = fit({sid: [(t, y, w) for t, y, w, doc in rows if doc not in exclude] for sid, rows in examples.items()})
    model.threshold = {sid: t for sid, t in (THRESHOLDS if thresholds is None else thresholds).items()
                       if sid in model.weights}
    return model


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", required=True, type=Path, help="dev labels (JSON lines)")
    parser.add_argument("--corpus", required=True, type=Path, help="the corpus folder (with cuad/)")
    parser.add_argument("--out", type=Path, default=MODEL_FILE, help="where to write the model")
    args = parser.parse_args(argv)
    from clausegen.library import load_library

    started = time.perf_counter()
    dev, cuad = load_sources(args.labels, args.corpus)
    model = train(pool(dev, cuad, args.corpus, load_library(None), sorted(THRESHOLDS)), heldout_docs())
    model.save(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB; safeguards {', '.join(sorted(model.weights))}) "
          f"in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
