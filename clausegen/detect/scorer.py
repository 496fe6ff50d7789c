"""A learned second opinion on the rules' passages: a hashed bag-of-words logistic regression per safeguard.

The rules find the candidate passages, the party bound and the modality; this model only scores a passage's
wording ("is this an audit-rights clause?"). The detector drops a safeguard's finding when every passage the rules
call present or partial scores below the safeguard's threshold. It covers the safeguards listed in its file (with a
veto threshold each); the others are left to the rules.

The file (scorer.bin, beside this module) is written by `make model` (bench/train_scorer.py): a JSON header line,
then one float16 weight vector per safeguard, gzip-compressed with a fixed timestamp so that the same training data
gives the same bytes. Training here is plain numpy: full-batch Adagrad with L2, class-balanced, no randomness.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MODEL_FILE = Path(__file__).resolve().parent / "scorer.bin"
BITS = 18  # 262,144 hashed features: few collisions for the ~100k word pairs of the training text
WORD_RE = re.compile(r"[a-z]+|\d+")
FORMAT = 1


def features(text: str, bits: int = BITS) -> np.ndarray:
    """Return the sorted hashed ids of a passage's words and word pairs (numbers are one word, "0")."""
    toks = ["0" if t[0].isdigit() else t for t in WORD_RE.findall(text.lower())]
    grams = toks + [a + " " + b for a, b in zip(toks, toks[1:])]
    mask = (1 << bits) - 1
    return np.unique(np.fromiter((zlib.crc32(g.encode()) & mask for g in grams), dtype=np.int64, count=len(grams)))


@dataclass
class Scorer:
    """Per-safeguard weights, bias and veto threshold."""

    weights: dict[str, np.ndarray]
    bias: dict[str, float]
    threshold: dict[str, float] = field(default_factory=dict)
    bits: int = BITS

    def covers(self, sid: str) -> bool:
        """Return whether the model scores this safeguard (and has a veto threshold for it)."""
        return sid in self.weights and sid in self.threshold

    def score(self, sid: str, text: str) -> float:
        """Return the probability (0-1) that a passage is a clause of this safeguard."""
        ids = features(text, self.bits)
        z = self.bias[sid] + (float(self.weights[sid][ids].astype(np.float64).sum()) / np.sqrt(len(ids))
                              if len(ids) else 0.0)
        return float(1.0 / (1.0 + np.exp(-z)))

    def vetoes(self, sid: str, text: str) -> bool:
        """Return whether the model finds this passage too unlikely to count for the safeguard."""
        return self.covers(sid) and self.score(sid, text) < self.threshold[sid]

    def save(self, path: Path) -> None:
        """Write the model: same weights, same bytes."""
        sids = sorted(self.weights)
        header = {"format": FORMAT, "bits": self.bits, "safeguards": sids,
                  "bias": {s: round(float(self.bias[s]), 6) for s in sids},
                  "threshold": {s: self.threshold[s] for s in sids if s in self.threshold}}
        body = json.dumps(header, sort_keys=True).encode() + b"\n"
        body += b"".join(self.weights[s].astype("<f2").tobytes() for s in sids)
        with open(path, "wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as out:
            out.write(body)

    @classmethod
    def load(cls, path: Path) -> Scorer:
        """Read a model written by save()."""
        body = gzip.decompress(Path(path).read_bytes())
        head, _, rest = body.partition(b"\n")
        header = json.loads(head)
        size = 1 << header["bits"]
        weights = {}
        for k, sid in enumerate(header["safeguards"]):
            weights[sid] = np.frombuffer(rest, dtype="<f2", count=size, offset=2 * size * k).astype(np.float32)
        return cls(weights, {s: float(b) for s, b in header["bias"].items()}, dict(header["threshold"]),
                   header["bits"])


_LOADED: dict[str, Scorer | None] = {}


def active() -> Scorer | None:
    """Return the scorer the reviewer uses: the shipped file, read once per process; None when it is absent."""
    if "model" not in _LOADED:
        _LOADED["model"] = Scorer.load(MODEL_FILE) if MODEL_FILE.is_file() else None
    return _LOADED["model"]


def use(model: Scorer | None) -> None:
    """Make the reviewer use another model (or none) in this process: for measuring a model trained per fold."""
    _LOADED["model"] = model


@contextmanager
def using(model: Scorer | None):
    """Use another model (or none) inside a with block, then the one before it again."""
    before = dict(_LOADED)
    _LOADED["model"] = model
    try:
        yield model
    finally:
        _LOADED.clear()
        _LOADED.update(before)


def fit(examples: dict[str, list[tuple[str, int, float]]], bits: int = BITS, iterations: int = 300,
        l2: float = 1e-4, rate: float = 0.5) -> Scorer:
    """Train one logistic regression per safeguard from (text, 0/1, weight) examples; deterministic (no sampling)."""
    weights, bias = {}, {}
    size = 1 << bits
    for sid in sorted(examples):
        rows = examples[sid]
        ids = [features(text, bits) for text, _, _ in rows]
        y = np.array([label for _, label, _ in rows], dtype=np.float64)
        given = np.array([weight for _, _, weight in rows], dtype=np.float64)
        n_pos, n_neg = given[y > 0].sum(), given[y == 0].sum()
        if not n_pos or not n_neg:
            continue
        # each class weighs as much as the other; a passage's words weigh 1/sqrt(count) (as in score())
        cw = given * np.where(y > 0, 1 / (2 * n_pos), 1 / (2 * n_neg))
        owner = np.repeat(np.arange(len(rows)), [len(i) for i in ids])
        cols = np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64)
        vals = np.repeat([1 / np.sqrt(max(len(i), 1)) for i in ids], [len(i) for i in ids])
        w, b = np.zeros(size), 0.0
        gw, gb = np.full(size, 1e-8), 1e-8
        for _ in range(iterations):
            z = np.bincount(owner, weights=w[cols] * vals, minlength=len(rows)) + b
            err = (1 / (1 + np.exp(-z)) - y) * cw
            grad = np.bincount(cols, weights=err[owner] * vals, minlength=size) + l2 * w
            gw += grad * grad
            gb += float(err.sum()) ** 2
            w -= rate * grad / np.sqrt(gw)
            b -= rate * float(err.sum()) / np.sqrt(gb)
        # rounded as the file stores them, so a model scores the same before and after save()
        weights[sid], bias[sid] = w.astype("<f2").astype(np.float32), round(b, 6)
    return Scorer(weights, bias, bits=bits)
