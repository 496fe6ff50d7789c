"""The reviewer lexicon and the validation of `detection:` blocks (library load time)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from clausegen.detect.common import (DEFAULT_FUZZY_UPGRADE, DETECTION_KEYS, DIRECTIONS, LABEL_RE, LEXICON_FILE,
                                     MODALITIES, PATTERN_KEYS, RESERVED_LABELS)
from clausegen.detect.matching import pattern_anchors


# ---------------------------------------------------------------------------------------------------------------
# data loading and validation


def lexicon_path(root: str | Path) -> Path:
    """Return the lexicon file of a clause library folder."""
    return Path(root) / LEXICON_FILE


def load_lexicon(root: str | Path) -> dict[str, Any]:
    """Return the reviewer lexicon of the library at root."""
    path = lexicon_path(root)
    if not path.is_file():  # a library without its own lexicon uses the bundled one
        path = Path(__file__).resolve().parent.parent / "clause_library" / LEXICON_FILE
    from clausegen.errors import LibraryError
    from clausegen.library.bounded_yaml import read_yaml  # the library's YAML reading: bounds and error lines
    from clausegen.library.problems import Problems

    problems = Problems(path.parent)
    data = read_yaml(path, problems)
    if problems.lines:
        raise LibraryError(problems.lines)
    return data or {}


def split_combo(combo: str) -> tuple[str, ...]:
    """Return the labels of a combination written as "a+b+c"."""
    return tuple(part.strip() for part in str(combo).split("+") if part.strip())


def pattern_problems(pattern: Any) -> list[str]:
    """Return what is wrong with the shape of one Matcher token pattern or phrase."""
    if isinstance(pattern, str):
        return [] if pattern.strip() else ["an empty phrase"]
    if not isinstance(pattern, list) or not pattern:
        return ["a pattern is a phrase string or a non-empty list of token dicts"]
    problems = []
    for i, spec in enumerate(pattern):
        if not isinstance(spec, dict):
            problems.append(f"token {i} is not a mapping")
    if not problems and not pattern_anchors(pattern)[0] and not pattern_anchors(pattern)[1]:
        problems.append("needs at least one required token with a literal NORM/LOWER/ORTH value (or a REGEX) "
                        "so the prefilter can find it")
    return problems


def validate_detection(sid: str, detection: Any) -> list[tuple[str, str]]:
    """Return (field, message) for every problem of one safeguard's `detection:` rules."""
    if not isinstance(detection, dict):
        return [("", "expected a mapping")]
    problems: list[tuple[str, str]] = []
    if not detection:
        return [("", "no detection rules: the reviewer cannot find this safeguard")]
    for key in sorted(set(detection) - DETECTION_KEYS):
        problems.append((key, f"unknown key (expected one of {', '.join(sorted(DETECTION_KEYS))})"))
    if detection.get("direction", "duty") not in DIRECTIONS:
        problems.append(("direction", f"must be one of {', '.join(DIRECTIONS)}"))
    if detection.get("modality", "required") not in MODALITIES:
        problems.append(("modality", f"must be one of {', '.join(MODALITIES)}"))
    patterns = detection.get("patterns")
    labels: set[str] = set()
    if not isinstance(patterns, list) or not patterns:
        problems.append(("patterns", "a non-empty list of {label, pattern, id} mappings is required"))
        patterns = []
    matcher = _validation_matcher()
    seen_ids: set[str] = set()
    for i, item in enumerate(patterns):
        where = f"patterns[{i}]"
        if not isinstance(item, dict):
            problems.append((where, "expected a mapping with label, pattern and id"))
            continue
        for key in sorted(set(item) - PATTERN_KEYS):
            problems.append((f"{where}.{key}", "unknown key (a pattern has label, pattern and id)"))
        for key in sorted(PATTERN_KEYS - set(item)):
            problems.append((f"{where}.{key}", "missing"))
        label, pid = item.get("label"), item.get("id")
        if label is not None:
            if not isinstance(label, str) or not LABEL_RE.match(label):
                problems.append((f"{where}.label", "use lowercase letters, digits and underscores"))
            elif label in RESERVED_LABELS:
                problems.append((f"{where}.label", f"'{label}' is a cue label of the lexicon; pick another name"))
            else:
                labels.add(label)
        if pid is not None:
            if str(pid) in seen_ids:
                problems.append((f"{where}.id", f"duplicate id '{pid}'"))
            seen_ids.add(str(pid))
        pattern = item.get("pattern")
        if pattern is None:
            continue
        shape = pattern_problems(pattern)
        problems.extend((f"{where}.pattern", message) for message in shape)
        if not shape and isinstance(pattern, list):
            try:
                matcher.add(f"check{i}", [pattern])
            except Exception as exc:  # spaCy's validation names the bad token, attribute or operator
                problems.append((f"{where}.pattern", f"spaCy rejects it: {spacy_reason(exc)}"))
    known = labels | RESERVED_LABELS
    for key in ("core", "partial", "exclude", "downgrade", "downgrade_nearby"):
        combos = detection.get(key, [] if key != "core" else None)
        if combos is None:
            problems.append((key, "list at least one feature combination"))
            continue
        if not isinstance(combos, list):
            problems.append((key, "expected a list of combinations like 'a+b'"))
            continue
        for j, combo in enumerate(combos):
            parts = split_combo(combo)
            if not parts:
                problems.append((f"{key}[{j}]", "empty combination"))
            for part in parts:
                if part not in known:
                    problems.append((f"{key}[{j}]", f"unknown feature '{part}'"))
            if parts and all(part in RESERVED_LABELS for part in parts):
                problems.append((f"{key}[{j}]", "a combination needs at least one safeguard feature, not only cues"))
    downgrades = {split_combo(c) for c in detection.get("downgrade") or [] if isinstance(c, str)}
    for j, ground in enumerate(detection.get("grounds") or []):
        if (str(ground),) not in downgrades:
            problems.append((f"grounds[{j}]", f"'{ground}' is not a one-feature combination of `downgrade`"))
    elements = detection.get("elements", {})
    if not isinstance(elements, dict):
        problems.append(("elements", "expected a mapping of element id -> list of combinations"))
        elements = {}
    for element, combos in elements.items():
        if not isinstance(combos, list):
            problems.append((f"elements.{element}", "expected a list of combinations"))
            continue
        for j, combo in enumerate(combos):
            for part in split_combo(combo):
                if part not in known:
                    problems.append((f"elements.{element}[{j}]", f"unknown feature '{part}'"))
    for key in ("third_party", "any_party", "impersonal"):
        listed = detection.get(key, [])
        if not isinstance(listed, list) or any(label not in labels for label in listed):
            problems.append((key, "expected a list of feature labels defined in patterns"))
    masks = detection.get("masks", {})
    if not isinstance(masks, dict) or any(label not in labels or not isinstance(hidden, list)
                                          or any(h not in labels for h in hidden) for label, hidden in masks.items()):
        problems.append(("masks", "expected a mapping of feature label -> list of feature labels defined in patterns"))
    references = detection.get("reference", [])
    if not isinstance(references, list) or not all(isinstance(r, str) and r.strip() for r in references):
        problems.append(("reference", "expected a list of non-empty strings"))
    threshold = detection.get("fuzzy_upgrade", DEFAULT_FUZZY_UPGRADE)
    if not isinstance(threshold, (int, float)) or not 50 <= threshold <= 100:
        problems.append(("fuzzy_upgrade", "a similarity threshold between 50 and 100"))
    return problems


_VALIDATION_NLP = None


def spacy_reason(exc: Exception) -> str:
    """Return the useful lines of a spaCy pattern error ("token 2 -> NORM -> IN -> 4: ... valid string")."""
    lines = [line.strip(" -") for line in str(exc).splitlines() if line.strip().startswith("- [")]
    lines = [re.sub(r"^\[pattern -> (\d+) -> ", r"[token \1 -> ", line) for line in lines]
    return "; ".join(lines[:3]) or str(exc).strip().splitlines()[0][:200]


def _validation_matcher():
    """Return a fresh validating Matcher over a shared blank English vocabulary."""
    global _VALIDATION_NLP
    import spacy
    from spacy.matcher import Matcher

    if _VALIDATION_NLP is None:
        _VALIDATION_NLP = spacy.blank("en")
    return Matcher(_VALIDATION_NLP.vocab, validate=True)
