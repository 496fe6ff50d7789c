"""Find the ten safeguards in a contract with rules kept as data: spaCy patterns plus a rapidfuzz second signal.

The rules live in clause_library/safeguards.yaml (`detection:` of each safeguard) and clause_library/lexicon.yaml
(word normalisation, party role words, modality and negation cues). A `detection:` block looks like

    detection:
      direction: duty          # duty: must bind the recipient | right: the supplier's right against the recipient
      modality: required       # required: the passage needs a binding cue | optional: statements of fact count
      patterns:                # spaCy Matcher token patterns, or a string: a fixed phrase on NORM
        - {label: export_law, id: export_laws, pattern: [{NORM: export}, {NORM: {IN: [law, regulation]}}]}
      core: [comply+export_law]          # feature combinations (all in one passage) that give the core element
      partial: [generic_law]             # combinations that show the topic without the core
      elements: {no_prohibited_transfer: [export_verb+destination]}
      exclude: [personal_data]           # combinations that take a passage off this safeguard
      downgrade: [cure_period]           # combinations that weaken a core passage to partial (when they share a
                                         # feature with it)
      third_party: [downstream]          # features that must not be the contract's own parties ("its Customers")
      any_party: [channel]               # features that count whoever states them ("a way to report misuse")
      reference: ["The Customer shall comply with ..."]   # extra reference wordings for the similarity check

A passage is a sentence (or a list item with the sentence that introduces it). For every passage the detector
finds the features, the modality cue that governs them and the party that cue binds, then decides per safeguard:
present (core combination, binding, on the recipient or as the supplier's right), partial (weak modality, only a
partial combination, or a downgrade) or nothing. The document takes the best passage per safeguard.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from clausegen.model import SAFEGUARD_IDS, Document, Evidence, Finding, Section

LOWER = NORM = 0  # replaced by spacy.attrs.LOWER and NORM when the detector is built (spaCy is imported lazily)

LEXICON_FILE = "lexicon.yaml"
DETECTION_KEYS = {"direction", "modality", "patterns", "core", "partial", "elements", "exclude", "downgrade",
                  "reference", "fuzzy_upgrade", "third_party", "any_party"}
PATTERN_KEYS = {"label", "pattern", "id"}
DIRECTIONS = ("duty", "right")
MODALITIES = ("required", "optional")
CUE_LABELS = ("binding", "prohibit", "right", "weak", "empty", "carve", "require", "neutral", "rule")
# labels the detector derives from party mentions, usable in combinations like the cue labels
PARTY_LABELS = ("names_supplier", "by_supplier", "names_recipient")
RESERVED_LABELS = set(CUE_LABELS) | set(PARTY_LABELS)
LABEL_RE = re.compile(r"^[a-z][a-z0-9_]*$")
LITERAL_ATTRS = ("NORM", "LOWER", "ORTH", "TEXT")
CUE_PRIORITY = {"rule": 6, "prohibit": 5, "empty": 4, "weak": 3, "neutral": 3, "right": 2, "binding": 1, "require": 0, "carve": 0}
SKIPPED_CUES = ("carve", "require", "neutral")  # cues that never govern a feature
SUBMIT_VERBS = {"permit", "allow", "grant", "provide", "submit", "cooperate", "make", "give", "furnish", "afford",
                "certify", "keep", "maintain", "deliver", "let", "enable"}
DETERMINERS = {"the", "a", "an", "any", "each", "such", "its", "their", "every", "all", "that", "this"}
OBJECT_MARKERS = {"to", "with", "for", "from", "against", "of", "by", "than", "upon", "on", "between", "among"}
DEFAULT_FUZZY_UPGRADE = 88.0
MAX_UNIT_CHARS = 1500
QUOTE_CHARS = 1200  # a quote longer than this (a run-on paragraph) is cut at a word
EVIDENCE_PER_FINDING = 3
BATCH = 12  # passages tokenized together
TRY_LIMIT = 8  # passages judged for a safeguard that already has evidence before it stops looking
WEAK_WINDOW = 12  # tokens around a feature in which a soft cue ("reasonable efforts", "should") weakens it

WORD_RE = re.compile(r"[a-z0-9]+")
NO_CURE_RE = re.compile(r"\b(?:[Nn]o|[Ww]ithout|not)\b[^.;]{0,30}\b(?:cure|remedy|grace)", re.IGNORECASE)  # "No cure period applies"
SPACES_RE = re.compile(r"\s{2,}|[\t\n\r\f\v]")
# bytes that are not [a-z0-9] become spaces: see runs_text
RUN_TABLE = bytes(b if chr(b) in "abcdefghijklmnopqrstuvwxyz0123456789" else 32 for b in range(256))
ITEM_RE = re.compile(r"^\s*(?:[-*•●▪◦–]\s+|\(\s*(?:[a-zA-Z]|[ivxIVX]{1,5}|\d{1,2})\s*\)\s*|(?:[a-zA-Z]|[ivx]{1,5})\)\s+)")
NUMBERED_RE = re.compile(r"^\s*(?:\d{1,2}\.\s+)")
# "(" after a space or ; : , -- written with the "(" first, which the regex engine scans for quickly (_items never
# uses a marker at the very start of the text, the one place a "(" may follow nothing)
INLINE_ITEM_RE = re.compile(r"\((?<=[\s;:,]\()\s*(?:[a-z]|[ivx]{1,5}|\d{1,2})\s*\)\s+(?=\S)")
# the first character is matched outside the alternatives, as a set the regex engine scans for quickly; each
# alternative then checks which one it was; group "end" holds the closing quotes and brackets after [.!?]
BOUNDARY_RE = re.compile(
    r"[.!?\n](?:(?<=[.!?])(?P<end>[\"'”’)\]]*)(?:(?P<gap>[ \t]{3,}|[ \t]*\n[ \t]*\n)\s*|\s+)"
    r"(?=[\"'“‘(\[]?(?:[A-Z0-9(]|[a-z][A-Z]))"  # sentence end
    r"|(?<=\n)[ \t]*\n\s*"  # a blank line
    r"|(?<=\n)(?=[ \t]*(?:[-*•●▪◦–][ \t]|\(?[a-zA-Z0-9ivx]{1,4}[.)][ \t]|#)))"  # a line break before a list item or heading
)
LEAD_END_RE = re.compile(r"(?:[:;,—-]|\b(?:to|not|shall|will|must|may|that|following|agrees?|undertakes?|"
                         r"warrants?|and|or))\s*$", re.IGNORECASE)
DEFINITION_RE = re.compile(r"[\W\d]*(?:\(?[a-z]{1,3}\)\s*)?[\"“”*]+[^\"“”]{1,60}[\"“”*]+\s*(?:\([^)]{0,40}\)\s*)?"
                           r"(?:shall\s+mean|means|has\s+the\s+meaning|refers\s+to|shall\s+have\s+the\s+meaning)\b")
CONTINUATION_RE = re.compile(r"\W*(?:these|this|such|they|which|the following|including|include)\b", re.IGNORECASE)
WORD_BEFORE_RE = re.compile(r"([A-Za-z0-9][A-Za-z0-9.]*)$")
FIRST_WORD_RE = re.compile(r"(?:[^\w]|\d|_|\b[a-zA-Z]{1,3}[.)]|\b[ivxlc]{1,6}[.)])*([A-Za-z][A-Za-z’']*)")
SHORT_NUMBER_RE = re.compile(r"[\d.()a-zA-Z]{1,6}\.?")
RECITAL_END_RE = re.compile(r"NOW,?\s+THEREFORE|now,?\s+therefore|AGREED?\s+AS\s+FOLLOWS|agree\s+as\s+follows|IT\s+IS\s+(?:HEREBY\s+)?AGREED")
RECITAL_START_RE = re.compile(r"\b(?:WHEREAS|Whereas,|RECITALS|Recitals|BACKGROUND|W\s?I\s?T\s?N\s?E\s?S\s?S\s?E\s?T\s?H)\b")
PAREN_RE = re.compile(r"\(([^()]{1,160})\)")
QUOTED_RE = re.compile(r"[\"“”'‘’]+\s*([A-Za-z][^\"“”'‘’]{0,40}?)\s*[\"“”'‘’]+")
COMPANY_RE = re.compile(r"\b(?:a|an)\s+(?:[A-Z][\w.-]*\s+){1,4}(?:corporation|company|limited|partnership|"
                        r"entity|société|gesellschaft|organization|organisation|statutory body|authority)\b"
                        r"|\b(?:incorporated|organized|organised|existing|registered)\s+(?:and\s+existing\s+)?under\b")
PREAMBLE_CHARS = 4000  # where the parties are named
YOU_RE = re.compile(r"\b[Yy]ou(?:r)?\b")
BETWEEN_RE = re.compile(r"\b(?:by\s+and\s+)?between\b", re.IGNORECASE)
TITLE_NAME_RE = re.compile(r"\b[A-Za-z]*[A-Z][A-Za-z]*\b")
NAME_RE = re.compile(r"[\s:]*((?=[a-z]?[A-Z])[A-Za-z][\w&.-]*(?:\s+[A-Z0-9][\w&.-]*){0,4})")
AND_NAME_RE = re.compile(r"\band\s+((?=[a-z]?[A-Z])[A-Za-z][\w&.-]*(?:\s+[A-Z0-9][\w&.-]*){0,4})")
REFERRED_RE = re.compile(r"(?:referred\s+to\s+as|hereinafter|herein\s+called)\s+(?:the\s+)?[\"“][^\"”]{1,40}[\"”]"
                         r"(?:\s+(?:and/or|or|and)\s+[\"“][^\"”]{1,40}[\"”])?")
MEANS_RE = re.compile(r"[\"“]([A-Z][\w .&/-]{0,40})[\"”]\s+(?:shall\s+mean|means|refers\s+to|shall\s+refer\s+to)\s+([^.;]{0,160})")


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
    from clausegen.library import Yaml12Loader  # YAML 1.2 booleans: "no", "on" and "off" stay words

    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=Yaml12Loader) or {}


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
    for key in ("core", "partial", "exclude", "downgrade"):
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
    for key in ("third_party", "any_party"):
        listed = detection.get(key, [])
        if not isinstance(listed, list) or any(label not in labels for label in listed):
            problems.append((key, "expected a list of feature labels defined in patterns"))
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


def literal_words(spec: dict) -> list[str] | None:
    """Return the literal words one token spec accepts (lowercased), or None when it has no literal constraint."""
    for attr in LITERAL_ATTRS:
        value = spec.get(attr)
        if isinstance(value, str):
            return [value.lower()]
        if isinstance(value, dict) and isinstance(value.get("IN"), list):
            return [str(v).lower() for v in value["IN"]]
    return None


def spec_required(spec: dict) -> bool:
    """Return whether a token spec must match at least one token."""
    op = spec.get("OP")
    if op in (None, "+", "!"):
        return op != "!"
    match = re.match(r"^\{(\d*),?(\d*)\}$", str(op))
    return bool(match and match.group(1) and int(match.group(1)) > 0)


def pattern_anchors(pattern: list) -> tuple[list[list[str]], list[str]]:
    """Return the literal word lists of the required tokens and the REGEX strings of required tokens."""
    words, regexes = [], []
    for spec in pattern:
        if not isinstance(spec, dict) or not spec_required(spec):
            continue
        literal = literal_words(spec)
        if literal is not None:
            words.append(literal)
            continue
        for attr in LITERAL_ATTRS:
            value = spec.get(attr)
            if isinstance(value, dict) and isinstance(value.get("REGEX"), str):
                regexes.append(value["REGEX"])
    return words, regexes


OPERATORS = {None: (1, 1), "1": (1, 1), "?": (0, 1), "*": (0, None), "+": (1, None)}  # OP -> (fewest, most)


def op_repeats(op: Any) -> tuple[int | None, int | None]:
    """Return (fewest, most) repeats of a token for a spaCy OP, most None for no limit; (None, None) for an OP
    that is no repeat count ("!") or is malformed."""
    if op is not None and not isinstance(op, str):
        return None, None
    if op in OPERATORS:
        return OPERATORS[op]
    match = re.fullmatch(r"\{(\d*)(,?)(\d*)\}", op)
    if not match or not (match.group(1) or match.group(3)):
        return None, None
    fewest = int(match.group(1) or 0)
    if not match.group(2):
        return fewest, fewest
    most = int(match.group(3)) if match.group(3) else None
    return (fewest, most) if most is None or fewest <= most else (None, None)


def spec_most(spec: dict) -> int | None:
    """Return the most tokens a token spec can take (None: no limit, or an OP not understood)."""
    op = spec.get("OP")
    return 1 if op == "!" else op_repeats(op)[1]


def pattern_shape(pattern: list, surface: dict[str, set[str]]) -> tuple[list[tuple[frozenset, frozenset]],
                                                                       list[tuple[frozenset, int | None]]]:
    """Return what a pattern needs of a passage's word runs (lowercase [a-z0-9]+, punctuation dropped): pairs of
    word sets (some word of the first right before some word of the second), and a chain of words in order with
    the most runs between neighbours (None: any). A cheap, conservative test run before tokenizing."""
    # each token spec becomes ("word", first runs, last runs, required, most runs) or ("gap", most tokens)
    elements: list[tuple] = []
    for spec in pattern:
        if not isinstance(spec, dict):
            return [], []
        words = literal_words(spec)
        if words is None or spec.get("OP") not in (None, "?"):
            elements.append(("gap", spec_most(spec)))
            continue
        runs = [WORD_RE.findall(f) for w in words for f in surface.get(w, {w}) | {w}]
        if all(not r for r in runs):
            continue  # "-" leaves no word run: invisible here
        # a form without runs ("," among words) lets the token vanish from the runs: then it is not required
        required = spec_required(spec) and all(runs)
        elements.append(("word", frozenset(r[0] for r in runs if r), frozenset(r[-1] for r in runs if r),
                         required, max(len(r) for r in runs)))
    pairs: list[tuple[frozenset, frozenset]] = []
    for i, element in enumerate(elements):
        if element[0] != "word" or not element[3]:
            continue
        following: set[str] = set()
        for other in elements[i + 1:]:
            if other[0] == "gap":
                following = set()
                break
            following |= other[1]
            if other[3]:
                break
        else:
            following = set()
        if following:
            pairs.append((element[2], frozenset(following)))
    chain: list[tuple[frozenset, int | None]] = []
    tokens: int | None = 0  # the most runs since the first run of the last chain word
    for element in elements:
        if element[0] == "word" and element[3]:
            # runs may outnumber tokens ("U.S."): allow twice as many, plus slack
            chain.append((element[1], None if tokens is None else 2 * (tokens + 1) + 2))
            tokens = element[4] - 1
        elif tokens is not None:
            most = element[1] if element[0] == "gap" else element[4]
            tokens = None if most is None else tokens + most
    if chain:
        chain[0] = (chain[0][0], None)
    return pairs, chain if len(chain) > 1 else []


def chain_holds(chain: list[tuple[frozenset, int | None]], bag: "Bag") -> bool:
    """Return whether the words of a chain occur in order in a passage, each close enough to the one before."""
    before: list[int] = []
    for n, (forms, most) in enumerate(chain):
        present = forms & bag.words
        if not present:
            return False
        if len(present) == 1:
            here = bag.where(next(iter(present)))
        else:
            here = sorted(k for word in present for k in bag.where(word))
        if n:
            if most is None:
                here = [k for k in here if k > before[0]]
            else:  # some earlier word at most `most` runs back
                here = [k for k in here if (x := bisect.bisect_left(before, k - most)) < len(before) and before[x] < k]
        if not here:
            return False
        before = here
    return True


def runs_text(low: str) -> str:
    """Return a lowercased text with every character outside [a-z0-9] made a space, at the same offsets: the
    split() of any slice gives the WORD_RE runs of that span, several times faster than findall."""
    return low.encode("ascii", "replace").translate(RUN_TABLE).decode("ascii")  # one "?" per other character


@dataclass
class Sketch:
    """A section's labels at first sight (bit masks): those its words may give, those they surely give."""

    bag: Bag
    rough: int
    sure: int
    failed: int = 0  # labels checked and found not to match


def covers(labels: int, masks: list[int]) -> bool:
    """Return whether labels hold every bit of one of the masks."""
    for mask in masks:
        if labels & mask == mask:
            return True
    return False


def minimal_masks(masks) -> list[int]:
    """Return the distinct bit masks that contain no other one of them (enough to test whether any is covered)."""
    unique = set(masks)
    return sorted(m for m in unique if not any(o != m and o & m == o for o in unique))


class Bag:
    """The word runs of a passage (lowercase [a-z0-9]+): as a list, a set and, when asked, one spaced string."""

    __slots__ = ("seq", "words", "_joined", "_where")

    def __init__(self, seq: list[str]):
        self.seq = seq
        self.words = set(seq)
        self._joined: str | None = None
        self._where: dict[str, list[int]] = {}

    def joined(self) -> str:
        """Return the runs as one string, each run between single spaces."""
        if self._joined is None:
            self._joined = " " + " ".join(self.seq) + " "
        return self._joined

    def adjacent(self, first: frozenset, second: frozenset) -> bool:
        """Return whether some word of first comes right before some word of second."""
        joined, words = self.joined(), self.words
        for a in first & words:
            for b in second & words:
                if f" {a} {b} " in joined:
                    return True
        return False

    def where(self, word: str) -> list[int]:
        """Return the positions of a word in seq, ascending (cached)."""
        found = self._where.get(word)
        if found is None:
            # string search instead of a Python loop over every run: the runs before a hit are its spaces
            joined, needle = self.joined(), f" {word} "
            found, index, last = [], 0, 0
            at = joined.find(needle)
            while at >= 0:
                index += joined.count(" ", last, at)
                found.append(index)
                last = at
                at = joined.find(needle, at + 1)
            self._where[word] = found
        return found


# ---------------------------------------------------------------------------------------------------------------
# compiled rules


@dataclass
class Rules:
    """The compiled detection rules of one safeguard."""

    sid: str
    title: str
    direction: str
    modality: str
    core: list[tuple[str, ...]]
    partial: list[tuple[str, ...]]
    elements: dict[str, list[tuple[str, ...]]]
    exclude: list[tuple[str, ...]]
    downgrade: list[tuple[str, ...]]
    core_element: str
    element_ids: list[str]
    references: list[str]
    fuzzy_upgrade: float
    third_party: set[str] = field(default_factory=set)
    any_party: set[str] = field(default_factory=set)
    description: str = ""  # what the safeguard asks, in words (safeguards.yaml), for explanations
    sorted_references: list[str] = field(init=False)  # the references with their words sorted, for similarity

    def __post_init__(self):
        self.sorted_references = [sorted_words(r) for r in self.references]


@dataclass
class Unit:
    """A passage: one sentence, or one list item, with where it sits."""

    start: int
    end: int
    section_pos: int
    kind: str = "body"  # body | heading | recital
    item: bool = False
    lead: int | None = None  # the unit that introduces this list item
    inline: bool = False  # an item of a list written inside one sentence


@dataclass
class Mention:
    """A party mention in a passage's tokens."""

    start: int
    end: int
    role: str  # supplier | recipient | mutual | unknown
    possessive: bool
    defined: bool = False  # a party term the contract defines (not a generic role word)


@dataclass
class Analysis:
    """What the matcher found in one passage."""

    feats: dict[str, dict[str, list[tuple[int, int, str]]]]  # sid -> label -> [(tok_start, tok_end, rule id)]
    cues: list[tuple[int, int, str, str]]  # (tok_start, tok_end, label, id), one per start, strongest first
    mentions: list[Mention]
    tokens: Any  # the spaCy Doc
    imperative: str = ""  # binding | prohibit when the passage is an instruction to the reader


@dataclass
class Parties:
    """Who is the supplier and who the recipient, and the words that name them."""

    terms: dict[tuple[str, ...], str]  # lowercase token tuple -> role
    defined: set[tuple[str, ...]] = field(default_factory=set)  # the terms this contract defines for its parties
    supplier: str = ""
    recipient: str = ""
    supplier_term: str = ""
    recipient_term: str = ""
    how: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return the parties as the review's `parties` mapping."""
        by_role: dict[str, list[str]] = {"supplier": [], "recipient": []}
        for term, role in self.terms.items():
            if role in by_role and len(by_role[role]) < 8:
                by_role[role].append(" ".join(term))
        return {"supplier": self.supplier, "recipient": self.recipient, "supplier_term": self.supplier_term,
                "recipient_term": self.recipient_term, "supplier_terms": by_role["supplier"],
                "recipient_terms": by_role["recipient"], "how": self.how}


@dataclass
class Hit:
    """One passage's verdict for one safeguard."""

    unit: int
    level: str  # present | partial | supplier | heading | recital
    combo: tuple[str, ...]
    rule_ids: list[str]
    cue: str
    cue_id: str
    role: str
    elements: set[str] = field(default_factory=set)
    fuzzy: float = 0.0
    note: str = ""


class PhraseTable:
    """Fixed word sequences found by the NORM hashes of a Doc's tokens.

    What spaCy's PhraseMatcher on NORM does, without one Doc per phrase: the rules expand to ~125,000 phrases,
    and building that many Docs took 5 s in every process that reviews. The phrases form a trie of dicts keyed by
    hash; END (not a hash: those are unsigned) marks where a phrase ends, with its pattern numbers."""

    END = -1

    def __init__(self, strings):
        self.strings = strings
        self.trie: dict[int, dict] = {}

    def add(self, number: int, slots: list[tuple[list[str], bool]]) -> None:
        """Add the phrases of one pattern, given as its phrase_slots (grown level by level: no list of phrases)."""
        level = [self.trie]
        for words, optional in slots:
            hashes = [self.strings.add(word) for word in words]
            grown = [node.setdefault(h, {}) for node in level for h in hashes]
            level = grown + level if optional else grown
        ends = {id(node): node for node in level if node is not self.trie}  # an empty phrase matches nothing
        for node in ends.values():
            numbers = node.setdefault(self.END, [])
            if number not in numbers:
                numbers.append(number)

    def __call__(self, norms: list[int]) -> list[tuple[int, int, int]]:
        """Return (pattern number, start, end) for every phrase in a passage, given its tokens' NORM hashes,
        overlapping ones included."""
        trie, last, stop = self.trie, len(norms), self.END
        hits = []
        for start, norm in enumerate(norms):
            node = trie.get(norm)
            end = start + 1
            while node is not None:
                numbers = node.get(stop)
                if numbers is not None:
                    hits.extend((number, start, end) for number in numbers)
                if end == last:
                    break
                node = node.get(norms[end])
                end += 1
        return hits


class Columns(dict):
    """A passage's token attributes (attribute id -> one int per token), read from its Doc when first asked for:
    no Token object per token. NORM and LOWER, which every passage needs, come in one call."""

    def __init__(self, tokens):
        super().__init__(zip((NORM, LOWER), tokens.to_array([NORM, LOWER]).T.tolist()))
        self.tokens = tokens

    def __missing__(self, attr: int) -> list[int]:
        values = self[attr] = self.tokens.to_array(attr).tolist()
        return values


class TokenPattern:
    """One token pattern with optional and repeated tokens (spaCy Matcher syntax), matched on a passage's columns.

    Gives what spaCy's Matcher gives for the pattern: every distinct (start, end), none empty, whose tokens match.
    The Matcher built a Token object per token for each pattern and passage (55-600 µs a call); this reads the
    attribute columns the passage already has. compile() returns None for what it does not read (other
    attributes, predicates or operators): spaCy's Matcher then runs that pattern."""

    FLAGS = ("IS_ALPHA", "IS_PUNCT", "IS_SPACE", "IS_TITLE", "IS_DIGIT", "IS_LOWER", "IS_UPPER", "LIKE_NUM")
    ATTRS = ("NORM", "LOWER", "ORTH") + FLAGS

    def __init__(self, elements: list[tuple[tuple, int, int | None]], strings, source: list[dict]):
        self.source = source  # the pattern as written (after lemmatising)
        self.elements = elements  # (tests, fewest, most repeats or None); a test is (attr, kind, value)
        self.strings = strings
        # every match starts at most `lead` tokens before the first required element (None: anywhere before)
        self.first = next((k for k, (_, fewest, _) in enumerate(elements) if fewest), None)
        self.lead: int | None = 0
        for _, _, most in elements[:self.first or 0]:
            self.lead = None if most is None or self.lead is None else self.lead + most

    @classmethod
    def compile(cls, pattern: list[dict], strings, ids: dict[str, int]) -> "TokenPattern | None":
        """Return the pattern ready to match, or None when it uses something this class does not read."""
        elements = []
        for spec in pattern:
            fewest, most = op_repeats(spec.get("OP"))
            if fewest is None:
                return None
            tests = []
            for key, value in spec.items():
                if key == "OP":
                    continue
                if key not in cls.ATTRS:
                    return None
                if key in cls.FLAGS:
                    if not isinstance(value, bool):
                        return None
                    tests.append((ids[key], "eq", int(value)))
                elif isinstance(value, str):
                    tests.append((ids[key], "eq", strings.add(value)))
                elif isinstance(value, dict) and len(value) == 1:
                    ((kind, operand),) = value.items()
                    if kind in ("IN", "NOT_IN") and isinstance(operand, list) \
                            and all(isinstance(v, str) for v in operand):
                        tests.append((ids[key], kind.lower(), frozenset(strings.add(v) for v in operand)))
                    elif kind == "REGEX" and isinstance(operand, str):
                        tests.append((ids[key], "regex", (re.compile(operand), {})))
                    else:
                        return None
                else:
                    return None
            elements.append((tuple(tests), fewest, most))
        return cls(elements, strings, pattern) if elements else None

    def _holds(self, tests: tuple, i: int, columns: Columns) -> bool:
        """Return whether token i passes every test of one element."""
        for attr, kind, value in tests:
            got = columns[attr][i]
            if kind == "in":
                if got not in value:
                    return False
            elif kind == "eq":
                if got != value:
                    return False
            elif kind == "not_in":
                if got in value:
                    return False
            else:  # regex, with its answers per string cached
                regex, seen = value
                ok = seen.get(got)
                if ok is None:
                    ok = seen[got] = bool(regex.search(self.strings[got]))
                if not ok:
                    return False
        return True

    def __call__(self, columns: Columns) -> list[tuple[int, int]]:
        """Return (start, end) of every match in a passage, given its columns."""
        holds, elements, length = self._holds, self.elements, len(columns.tokens)
        if self.first is None:
            starts: Any = range(length)
        else:
            tests = elements[self.first][0]
            places = [i for i in range(length) if holds(tests, i, columns)]
            if not places:
                return []
            if self.lead == 0:
                starts = places
            else:
                starts = sorted({s for p in places
                                 for s in range(0 if self.lead is None else max(0, p - self.lead), p + 1)})
        found = []
        for start in starts:
            ends = {start}
            for tests, fewest, most in elements:
                reached = set()
                for at in ends:
                    if not fewest:
                        reached.add(at)
                    k = 0
                    while (most is None or k < most) and at + k < length and holds(tests, at + k, columns):
                        k += 1
                        if k >= fewest:
                            reached.add(at + k)
                ends = reached
                if not ends:
                    break
            found.extend((start, end) for end in ends if end > start)
        return found


class MatcherPattern:
    """A pattern TokenPattern does not read, matched by spaCy's Matcher."""

    def __init__(self, matcher):
        self.matcher = matcher

    def __call__(self, columns: Columns) -> list[tuple[int, int]]:
        """Return (start, end) of every match in a passage, given its columns."""
        return [(s, e) for _, s, e in self.matcher(columns.tokens)]


def contract_english():
    """Return a blank English pipeline whose tokenizer also splits Markdown links: "[report misuse](https://...)"
    gives the token "misuse", not "misuse](https://...".

    The infix goes into the language defaults: setting it on a built tokenizer reloads every special case (0.14 s
    in every process that reviews)."""
    from spacy.lang.en import English

    class ContractDefaults(English.Defaults):
        infixes = list(English.Defaults.infixes) + [r"\]\("]

    class ContractEnglish(English):
        Defaults = ContractDefaults

    return ContractEnglish()


class Detector:
    """Compiled rules of one library version: the spaCy pipeline, matchers and prefilter, built once."""

    def __init__(self, library):
        from spacy import attrs
        from spacy.matcher import Matcher

        global LOWER, NORM
        LOWER, NORM = attrs.LOWER, attrs.NORM
        self.lexicon = load_lexicon(library.root)
        self.nlp = contract_english()
        self._words: dict[str, tuple[str, ...]] = {}
        self._trim_lexeme_attributes(library, attrs)
        self.vocab = self.nlp.vocab
        self.surface: dict[str, set[str]] = {}  # norm -> surface forms (lowercase)
        self.lemma: dict[str, str] = {}  # surface form (lowercase) -> norm
        for lemma, forms in (self.lexicon.get("lemmas") or {}).items():
            lemma = str(lemma).lower()
            words = str(forms).split() if not isinstance(forms, list) else [str(f) for f in forms]
            self.surface.setdefault(lemma, {lemma})
            for form in words:
                form = form.lower()
                self.surface[lemma].add(form)
                self.lemma[form] = lemma
                for variant in {form, form.capitalize(), form.upper()}:
                    self.vocab[variant].norm_ = lemma
        # fixed patterns (literal tokens, at most optional) go into one PhraseTable on NORM, which looks phrases up
        # by hash; patterns with gaps or other operators get a Matcher each, run only on passages holding their words
        self.phrases = PhraseTable(self.vocab.strings)
        self.gap_matchers: dict[int, Any] = {}
        self.info: list[tuple[str, str, str]] = []  # pattern number -> (owner sid or "", label, rule id)
        self.requirements: list[list[frozenset[str]]] = []  # pattern number -> required word sets
        self.others: list[list[frozenset[str]]] = []  # pattern number -> required word sets besides its anchor
        self.pairs: list[list[tuple[frozenset, frozenset]]] = []  # pattern number -> word sets that must be adjacent
        self.chains: list[list[tuple[frozenset, int | None]]] = []  # pattern number -> words in order, gaps
        self.anchor_index: dict[str, list[int]] = {}  # anchor word -> safeguard pattern numbers
        self.gap_index: dict[str, list[int]] = {}  # anchor word -> gap pattern numbers (cues included)
        self.regex_anchors: list[tuple[re.Pattern, int]] = []
        self.regex_gates: dict[int, re.Pattern] = {}  # gap patterns anchored only by a REGEX token
        self.common = {str(w).lower() for w in self.lexicon.get("common_words") or []}
        self._Matcher = Matcher
        self._attr_ids = attrs.IDS
        for cue in self.lexicon.get("cues") or []:
            self._add("", cue["label"], str(cue["id"]), cue["pattern"])
        self.rules: dict[str, Rules] = {}
        for sid in SAFEGUARD_IDS:
            safeguard = library.safeguards.get(sid)
            if safeguard is None:
                continue
            detection = safeguard.detection or {}
            for item in detection.get("patterns") or []:
                self._add(sid, item["label"], str(item["id"]), item["pattern"])
            core_element = next((e.id for e in safeguard.elements if e.core), "core")
            self.rules[sid] = Rules(
                sid=sid, title=safeguard.title, direction=detection.get("direction", "duty"),
                modality=detection.get("modality", "required"),
                core=[split_combo(c) for c in detection.get("core") or []],
                partial=[split_combo(c) for c in detection.get("partial") or []],
                elements={k: [split_combo(c) for c in v] for k, v in (detection.get("elements") or {}).items()},
                exclude=[split_combo(c) for c in detection.get("exclude") or []],
                downgrade=[split_combo(c) for c in detection.get("downgrade") or []],
                core_element=core_element,
                element_ids=[e.id for e in safeguard.elements if not e.core],
                references=reference_wordings(library, sid, detection),
                fuzzy_upgrade=float(detection.get("fuzzy_upgrade", DEFAULT_FUZZY_UPGRADE)),
                third_party=set(detection.get("third_party") or []),
                any_party=set(detection.get("any_party") or []),
                description=safeguard.description,
            )
        self.anchor_words = frozenset(self.anchor_index)
        self.feature_index = {w: [n for n in numbers if self.info[n][0]] for w, numbers in self.anchor_index.items()}
        self.feature_index = {w: numbers for w, numbers in self.feature_index.items() if numbers}
        self.feature_words = frozenset(self.feature_index)
        # per anchor word: patterns the word alone proves (cues always: optimistic, cheap), and those to check
        self.plain = [not (self.others[n] or self.pairs[n] or self.chains[n]) or not self.info[n][0]
                      for n in range(len(self.info))]
        self.checked = {w: [n for n in ns if not self.plain[n]] for w, ns in self.anchor_index.items()}
        self.gap_words = frozenset(self.gap_index)
        self.label_words: dict[tuple[str, str], set[str]] = {}  # (sid, label) -> anchor words of its patterns
        for word, numbers in self.anchor_index.items():
            for number in numbers:
                if self.info[number][0]:
                    self.label_words.setdefault(self.info[number][:2], set()).add(word)
        self.core_sets = {sid: [set(c) for c in r.core] for sid, r in self.rules.items()}
        # per safeguard: the feature labels of each core combination, as label_words keys (for spread)
        self.core_keys = {sid: [tuple((sid, label) for label in c if label not in RESERVED_LABELS) for c in sets]
                          for sid, sets in self.core_sets.items()}
        # the topic of a safeguard: the leading feature of each core combination (what a heading would name)
        self.topics = {sid: {next(p for p in c if p not in RESERVED_LABELS) for c in r.core} for sid, r in self.rules.items()}
        self._build_masks()
        roles = self.lexicon.get("roles") or {}
        self.role_words: dict[str, str] = {}
        for role in ("supplier", "recipient"):
            for word in roles.get(role) or []:
                self.role_words[str(word).lower()] = role
        self.mutual_terms = [self.words(t) for t in roles.get("mutual") or []]
        self.pronouns = {str(w).lower(): "supplier" for w in roles.get("supplier_pronouns") or []}
        self.pronouns.update({str(w).lower(): "recipient" for w in roles.get("recipient_pronouns") or []})
        self.not_parties = {str(w).lower() for w in roles.get("not_parties") or []}
        self.suffixes = {str(w).lower() for w in roles.get("corporate_suffixes") or []}
        self.verb_roles = {str(phrase).lower(): role for role in ("supplier", "recipient")
                           for phrase in (self.lexicon.get("role_verbs") or {}).get(role) or []}
        self.verb_start = re.compile(r"\s+(" + "|".join(re.escape(v).replace(r"\ ", r"\s+") for v in
                                                          sorted(self.verb_roles, key=len, reverse=True)) + r")\b")

        self.imperatives = {str(w).lower() for w in self.lexicon.get("imperative_verbs") or []}
        self.title_words = {str(w).lower() for w in self.lexicon.get("title_words") or []}
        self.recital_starters = {str(w).lower() for w in self.lexicon.get("recital_starters") or []}
        self.abbreviations = {str(w).lower().rstrip(".") for w in self.lexicon.get("abbreviations") or []}
        self.role_terms = {self.words(word): role for word, role in self.role_words.items()}
        self.possessive_marks = {self.vocab.strings.add(w) for w in ("'s", "’s", "'")}
        self.hyphen = self.vocab.strings.add("-")
        self.possessive_words = {self.vocab.strings.add(w) for w in ("your", "our", "their", "its", "yours", "ours")}
        self.role_terms.update({(word,): role for word, role in self.pronouns.items()})

    def _build_masks(self) -> None:
        """Give every label a bit, so the prefilter can combine the labels of a passage with integer operations."""
        self.bit: dict[tuple[str, str], int] = {}

        def bit(owner: str, label: str) -> int:
            key = ("", label) if label in RESERVED_LABELS else (owner, label)
            if key not in self.bit:
                self.bit[key] = 1 << len(self.bit)
            return self.bit[key]

        for label in sorted(RESERVED_LABELS):
            bit("", label)
        self.number_bit = [bit(owner, label) for owner, label, _ in self.info]
        self.cue_bits = sum(b for (owner, _), b in self.bit.items() if not owner)
        self.party_bits = sum(bit("", label) for label in PARTY_LABELS)

        def mask(sid: str, labels) -> int:
            return sum({bit(sid, label) for label in labels})

        self.direct_mask = {w: sum({self.number_bit[n] for n in ns if self.plain[n]}) for w, ns in self.anchor_index.items()}
        # per anchor word: (labels it proves, labels it may give after a check, the patterns to check)
        self.anchor_info = {w: (self.direct_mask[w], sum({self.number_bit[n] for n in ns}), ns)
                            for w, ns in self.checked.items()}
        self.feature_direct_mask = {w: self.direct_mask[w] & ~self.cue_bits for w in self.anchor_index}
        # per feature word: every label a pattern anchored on it may give (the first, roughest prefilter)
        self.rough_mask = {w: sum({self.number_bit[n] for n in self.feature_index[w]}) for w in self.feature_words}
        self.sid_mask = {sid: sum({b for (owner, _), b in self.bit.items() if owner == sid}) for sid in self.rules}
        self.combo_masks = {sid: minimal_masks(mask(sid, c) for c in r.core + r.partial) for sid, r in self.rules.items()}
        self.core_masks = {sid: minimal_masks(mask(sid, c) for c in r.core) for sid, r in self.rules.items()}
        # with every cue assumed present (a section, before its sentences are read), only the features matter
        self.feature_combo_masks = {sid: minimal_masks(m & ~self.cue_bits for m in masks)
                                    for sid, masks in self.combo_masks.items()}
        self.element_masks = {sid: {e: minimal_masks(mask(sid, c) for c in combos) for e, combos in r.elements.items()}
                              for sid, r in self.rules.items()}
        self.topic_mask = {sid: mask(sid, labels) for sid, labels in self.topics.items()}
        self.topic_bits = {sid: [b for b in self.bit.values() if b & m] for sid, m in self.topic_mask.items()}
        # per feature label: the patterns to check for it, and each pattern's anchor words
        self.anchor_of: dict[int, frozenset[str]] = {}
        for word, numbers in self.anchor_index.items():
            for number in numbers:
                self.anchor_of[number] = self.anchor_of.get(number, frozenset()) | {word}
        self.label_checked: dict[int, list[int]] = {}
        for number in sorted({n for ns in self.checked.values() for n in ns}):
            self.label_checked.setdefault(self.number_bit[number], []).append(number)

    # -- building -------------------------------------------------------------------------------------------

    def words(self, text: str) -> tuple[str, ...]:
        """Return the lowercase spaCy tokens of a short text (party terms recur from document to document)."""
        text = str(text)
        found = self._words.get(text)
        if found is None:
            found = self._words[text] = tuple(t.lower_ for t in self.nlp.make_doc(text))
        return found

    def _add(self, owner: str, label: str, rule_id: str, pattern: Any) -> None:
        """Add one pattern (a safeguard feature when owner is a safeguard id, else a lexicon cue)."""
        number = len(self.info)
        self.info.append((owner, label, rule_id))
        if isinstance(pattern, str):
            pattern = [{"NORM": t.norm_} for t in self.nlp.make_doc(pattern) if not t.is_space]
        pattern = [self._lemmatise(spec) for spec in pattern]
        word_lists, regexes = pattern_anchors(pattern)
        required = []
        for words in word_lists:
            forms: set[str] = set()
            for word in words:
                forms |= self.surface.get(word, {word})
            whole = frozenset(f for f in forms if WORD_RE.fullmatch(f))
            runs = frozenset(w for f in forms for w in WORD_RE.findall(f))
            if runs:
                required.append(whole or runs)
        self.requirements.append(required)
        slots = phrase_slots(pattern)
        pairs, chain = pattern_shape(pattern, self.surface)
        self.pairs.append(pairs)
        self.chains.append(chain if slots is None else [])  # a fixed phrase: its pairs say enough
        if slots is not None:
            self.phrases.add(number, slots)
        else:
            gap = TokenPattern.compile(pattern, self.vocab.strings, self._attr_ids)
            if gap is None:
                matcher = self._Matcher(self.vocab)
                matcher.add(f"{number}", [pattern])
                gap = MatcherPattern(matcher)
            self.gap_matchers[number] = gap
        anchor = max(required, key=lambda s: (not (s & self.common), -len(s), max(len(w) for w in s))) \
            if required else None
        self.others.append([r for r in required if r is not anchor])  # what the anchor word does not prove
        if anchor is not None:
            for word in anchor:
                self.anchor_index.setdefault(word, []).append(number)
            if slots is None:
                for word in anchor:
                    self.gap_index.setdefault(word, []).append(number)
        else:
            compiled = re.compile("|".join(f"(?:{r})" for r in regexes) or r"\S", re.IGNORECASE)
            # anchors are searched in the lower-cased text: a REGEX on LOWER needs no (slow) IGNORECASE there
            on_lower = all(isinstance(spec.get("LOWER"), dict) for spec in pattern
                           if isinstance(spec, dict) and any(isinstance(v, dict) and "REGEX" in v for v in spec.values()))
            self.regex_anchors.append((re.compile(compiled.pattern) if on_lower else compiled, number))
            if slots is None:
                self.regex_gates[number] = compiled

    def _trim_lexeme_attributes(self, library, attrs) -> None:
        """Compute only the lexeme attributes the rules use: a new word costs less (contracts bring many)."""
        used = {"LOWER", "NORM", "IS_ALPHA", "IS_SPACE", "IS_PUNCT", "IS_TITLE", "LIKE_NUM"}
        patterns = [c.get("pattern") for c in self.lexicon.get("cues") or []]
        patterns += [item.get("pattern") for sg in library.safeguards.values()
                     for item in (sg.detection or {}).get("patterns") or []]
        for pattern in patterns:
            if isinstance(pattern, list):
                used |= {key for spec in pattern if isinstance(spec, dict) for key in spec}
        keep = {getattr(attrs, name) for name in used if hasattr(attrs, name)}
        getters = self.nlp.vocab.lex_attr_getters
        for key in list(getters):
            if key not in keep:
                del getters[key]

    def _lemmatise(self, spec: dict) -> dict:
        """Return a token spec whose NORM words are lemmas ("terms" -> "term"), as token NORMs are."""
        value = spec.get("NORM")
        if isinstance(value, str):
            return {**spec, "NORM": self.lemma.get(value.lower(), value.lower())}
        if isinstance(value, dict) and isinstance(value.get("IN"), list):
            words = list(dict.fromkeys(self.lemma.get(str(w).lower(), str(w).lower()) for w in value["IN"]))
            return {**spec, "NORM": {**value, "IN": words}}
        return spec

    # -- parties ---------------------------------------------------------------------------------------------

    def find_parties(self, text: str, lowered: str | None = None) -> Parties:
        """Return the parties: defined terms of the preamble and definitions, with supplier/recipient roles.

        A parenthesised quoted term in the preamble ('(the "Licensee")', '("Accuray")', '("you")') names a party
        when it is a role word or pronoun, or when it follows a company description (a corporate suffix such as
        Inc. or "a Delaware corporation"). Names get their role from a definition ('"Distributor" means
        Siemens'), from the verbs that follow them ("Accuray hereby grants"), or by elimination."""
        head = self.preamble(text)
        lowered = text.lower() if lowered is None else lowered
        roles: dict[str, str] = {}
        names: list[str] = []
        how: list[str] = []
        previous = 0
        defined = [(m.start(), m.end(), m.group(1)) for m in PAREN_RE.finditer(head)]
        defined += [(m.start(), m.end(), m.group(0)) for m in REFERRED_RE.finditer(head)]
        for start, end, inside in sorted(defined):
            before, previous = head[max(previous, start - 300):start], max(previous, end)
            quoted = [q.strip() for q in QUOTED_RE.findall(inside) if q.strip() and len(q.strip()) <= 40]
            lowered_terms = [q.lower() for q in quoted if q.lower() not in self.not_parties]
            if not lowered_terms:
                continue
            role = ""
            for term in lowered_terms:
                last = term.split()[-1]
                role = role or self.pronouns.get(term) or self.role_words.get(term) or self.role_words.get(last, "")
            # a name: a company description just before it, or one further back and the name used often
            near = COMPANY_RE.search(before[-100:]) or any(w.lower() in self.suffixes
                                                           for w in re.findall(r"[A-Za-z.]+", before[-80:]))
            far = COMPANY_RE.search(before) or any(w.lower() in self.suffixes for w in re.findall(r"[A-Za-z.]+", before))
            if not role and not ((near and all(lowered.count(t) >= 2 for t in lowered_terms))
                                 or (far and all(lowered.count(t) >= 5 for t in lowered_terms))):
                continue
            for term in lowered_terms:
                if role:
                    roles.setdefault(term, role)
                elif term not in names and term.split()[-1] not in self.not_parties:
                    names.append(term)
        between_names, between_roles = self._between_names(head, lowered)
        for name in between_names:  # "between iBio Inc., ... and Beijing CC-Pharming Ltd."
            if not any(name in known or known in name for known in list(roles) + names):
                names.append(name)
        for word, role in between_roles.items():  # "between Mistral AI and Customer"
            roles.setdefault(word, role)
        names = [n for n in names if n not in roles]
        if names:  # '"Distributor" means Siemens, its Affiliates ...' ties a name to a role word
            for match in MEANS_RE.finditer(text, 0, min(len(text), 30000)):
                role = self.role_words.get(match.group(1).strip().lower())
                definiens = match.group(2).lower()[:80]
                for name in names:
                    if role and name not in roles and re.search(r"\b" + re.escape(name) + r"\b", definiens):
                        roles[name] = role
                        how.append(f'"{match.group(1).strip()}" means {name}')
        for name in [n for n in names if n not in roles]:  # "Accuray hereby grants", "Buyer shall pay": verbs decide
            votes = {"supplier": 0, "recipient": 0}
            at = lowered.find(name)
            while at >= 0:
                verb = self.verb_start.match(lowered, at + len(name))
                if verb:
                    votes[self.verb_roles[" ".join(verb.group(1).split())]] += 1
                at = lowered.find(name, at + len(name))
            if votes["supplier"] != votes["recipient"]:
                roles[name] = max(votes, key=votes.get)
                how.append(f"{name} by its verbs")
        present = {r for t, r in roles.items() if t not in self.pronouns}
        if "supplier" not in present:  # vendor paper: the company named at the head is the supplier
            vendor = self._title_name(text, lowered)
            if vendor and vendor not in roles and (not names or vendor in names):
                roles[vendor] = "supplier"
                how.append(f"{vendor} names the document")
                present.add("supplier")
        unknown = [n for n in names if n not in roles]
        if unknown and present in ({"recipient"}, {"supplier"}):
            other = "supplier" if present == {"recipient"} else "recipient"
            roles.update({name: other for name in unknown})
            how.append(f"the named party opposite the {present.pop()} is the {other}")
            unknown = []
        terms = dict(self.role_terms)
        terms.update({self.words(name): "unknown" for name in unknown})
        terms.update({self.words(term): role for term, role in roles.items()})
        parties = Parties(terms=terms, how="; ".join(how) or "role words")
        parties.defined = {self.words(t) for t in roles if t not in self.pronouns} | {self.words(n) for n in unknown}
        parties.supplier_term = self._display(text, lowered, roles, "supplier")
        parties.recipient_term = self._display(text, lowered, roles, "recipient")
        parties.supplier = parties.supplier_term
        parties.recipient = parties.recipient_term
        return parties

    def given_parties(self, roles: dict[str, str]) -> Parties:
        """Return parties from known role terms ({"supplier": "Licensor", "recipient": "Licensee"})."""
        terms = dict(self.role_terms)
        defined = set()
        for role in ("supplier", "recipient"):
            term = str(roles.get(role) or "").strip()
            if term and term.lower() not in self.pronouns:
                words = self.words(term.lower())
                terms[words] = role
                defined.add(words)
        parties = Parties(terms=terms, defined=defined, how="given")
        parties.supplier = parties.supplier_term = str(roles.get("supplier") or "")
        parties.recipient = parties.recipient_term = str(roles.get("recipient") or "")
        return parties

    def preamble(self, text: str) -> str:
        """Return the part of the text that names the parties: around "between ... and ...", before the recitals."""
        match = None
        for found in BETWEEN_RE.finditer(text, 0, min(len(text), 40000)):  # the "between" that defines terms
            if PAREN_RE.search(text, found.end(), found.end() + 1500) or \
                    REFERRED_RE.search(text, found.end(), found.end() + 1500):
                match = found
                break
        start = max(0, match.start() - 1500) if match else 0
        end = min(len(text), start + PREAMBLE_CHARS)
        recitals = RECITAL_START_RE.search(text, match.end() if match else start, end)
        return text[start:recitals.start()] if recitals else text[start:end]

    def _between_names(self, head: str, lowered: str) -> tuple[list[str], dict[str, str]]:
        """Return the short names of the parties of "between A, a ... and B, a ...", when the text uses them.

        A name counts when a company description follows it ("Inc.", "a Delaware corporation"), or when the other
        side of the "between" is a role word or pronoun ("between Mistral AI and Customer")."""
        match = BETWEEN_RE.search(head)
        if not match:
            return [], {}
        first = NAME_RE.match(head, match.end())
        second = AND_NAME_RE.search(head, first.end(), first.end() + 800) if first else None
        found = [m for m in (first, second) if m]
        role_side = any(self._is_role(m.group(1)) for m in found)
        out, role_words = [], {}
        for m in found:
            if self._is_role(m.group(1)):
                low = " ".join(m.group(1).lower().split())
                role_words[low] = self.role_words.get(low) or self.pronouns.get(low.split()[0], "")
                continue
            described = head[m.end(1):m.end(1) + 150]  # a company: "Inc.", "a Delaware corporation"
            if not (role_side or any(w.lower() in self.suffixes for w in re.findall(r"[A-Za-z.]+", m.group(1)))
                    or COMPANY_RE.search(described)):
                continue
            words = [w for w in re.findall(r"[A-Za-z][\w&-]*", m.group(1)) if w.lower() not in self.suffixes]
            for size in (2, 1):  # "Beijing CC-Pharming" or "iBio"
                short = " ".join(words[:size]).lower()
                if len(words) >= size and short not in self.not_parties and lowered.count(short) >= 5:
                    out.append(short)
                    break
        return out, {w: r for w, r in role_words.items() if r}

    def _is_role(self, name: str) -> bool:
        """Return whether a name is a role word or pronoun ("Customer", "you")."""
        low = " ".join(name.lower().split())
        return low in self.role_words or low in self.pronouns or low.split()[0] in self.pronouns

    def _title_name(self, text: str, lowered: str) -> str:
        """Return the company name at the head of a vendor's document ("GitLab", "OpenAI"): a word of the first
        lines that recurs as a proper noun (capitalised far more often than not)."""
        aligned = len(lowered) == len(text)  # lower() kept every offset
        for word in TITLE_NAME_RE.findall(text[:400]):
            low = word.lower()
            if len(word) < 3 or low in self.title_words or low in self.role_words or low in self.not_parties \
                    or lowered.count(low) < 8:
                continue
            found = capitalised = 0
            at = lowered.find(low)
            while at >= 0:  # occurrences that start a word
                if at == 0 or not (lowered[at - 1].isalnum() or lowered[at - 1] in "._"):
                    found += 1
                    capitalised += aligned and text[at].isupper()
                at = lowered.find(low, at + 1)
            if capitalised >= 8 and (found - capitalised) * 4 <= capitalised:
                return low
        return ""

    def _display(self, text: str, lowered: str, roles: dict[str, str], role: str) -> str:
        """Return the most used term of one side as the document writes it ("Licensee", "you")."""
        terms = [t for t, r in roles.items() if r == role and t not in self.pronouns]
        if not terms:  # a "you" / "we" document
            pronoun = "you" if role == "recipient" else "we"
            return pronoun if re.search(r"\b" + pronoun + r"\b", lowered[:20000]) else ""
        best = max(terms, key=lowered.count)
        at = lowered.find(best)
        return text[at:at + len(best)] if at >= 0 else best

    def parties_index(self, parties: Parties) -> dict[int, list[tuple[tuple[int, ...], str]]]:
        """Return the party terms (as token hashes) indexed by first token, longest first."""
        index: dict[int, list[tuple[tuple[int, ...], str]]] = {}
        strings = self.vocab.strings
        for term, role in list(parties.terms.items()) + [(t, "mutual") for t in self.mutual_terms]:
            if term:
                hashed = tuple(strings.add(word) for word in term)
                index.setdefault(hashed[0], []).append((hashed, role))
        for options in index.values():
            options.sort(key=lambda item: -len(item[0]))
        return index

    # -- passages --------------------------------------------------------------------------------------------

    def section_leads(self, doc: Document) -> dict[int, int]:
        """Return, for each section that is a list item, the section that introduces the list (ends with ':')."""
        text, sections = doc.text, doc.sections
        leads: dict[int, int] = {}
        last_colon = None
        for j, section in enumerate(sections):
            head = text[section.start:section.start + 8]
            if head.startswith("<!--"):
                continue  # markup between a lead-in and its list
            tail = text[max(section.start, section.end - 4):section.end].rstrip()
            if section.kind == "heading" or (last_colon is not None and is_sibling(sections[last_colon], section)):
                last_colon = None  # a new clause ("16.3" after the list of "16.2:", or a heading) ends the list
            if section.kind != "heading" and (ITEM_RE.match(head) or section.number.startswith("(")
                                              or NUMBERED_RE.match(head) or (last_colon is not None
                                                                              and section.number)):
                if last_colon is not None and j - last_colon <= 40:
                    leads[j] = last_colon
                if tail.endswith((":", "—", ":-")):  # an item that opens a nested list
                    last_colon = j
                continue
            if section.kind == "heading":
                continue
            last_colon = j if tail.endswith((":", "—", ":-")) else None
        return leads

    def recital_span(self, text: str) -> tuple[int, int]:
        """Return where the recitals are (WHEREAS ... NOW, THEREFORE), or (0, 0)."""
        limit = min(len(text), max(6000, len(text) // 4))
        start = RECITAL_START_RE.search(text, 0, limit)
        if not start:
            return 0, 0
        end = RECITAL_END_RE.search(text, start.start(), min(len(text), start.start() + 15000))
        return (start.start(), end.start()) if end else (0, 0)

    def section_units(self, doc: Document, pos: int, recitals: tuple[int, int]) -> list[Unit]:
        """Return the passages of one section: its sentences, with inline list items tied to their lead-in."""
        text, section = doc.text, doc.sections[pos]
        if section.end <= section.start:
            return []
        kind = "heading" if section.kind == "heading" else "body"
        if kind == "body" and (recitals[0] <= section.start < recitals[1]
                               or section.heading.strip().lower() in self.recital_starters):
            kind = "recital"
        if kind == "heading":
            return [Unit(section.start, section.end, pos, kind="heading")]
        units: list[Unit] = []
        for s, e in self._sentences(text, section.start, section.end):
            items, lead = self._items(text, s, e, pos)
            base = len(units)
            for unit in items:
                if unit.inline and lead is not None:
                    unit.lead = base + lead
                first = FIRST_WORD_RE.match(text, unit.start, unit.start + 40)
                if kind == "recital" or (first and first.group(1).lower() in self.recital_starters):
                    unit.kind = "recital"
                elif DEFINITION_RE.match(text, unit.start, unit.end):
                    unit.kind = "definition"
            units.extend(items)
        # "These include the following:" continues the sentence before it
        for k in range(1, len(units)):
            piece = text[units[k].start:units[k].end]
            if piece.rstrip().endswith(":") and CONTINUATION_RE.match(piece) and units[k].lead is None:
                units[k].lead = k - 1
        # a sentence that ends with ':' introduces the items that follow it in the same section
        for k in range(1, len(units)):
            if units[k].lead is None and not units[k].inline and \
                    text[units[k - 1].start:units[k - 1].end].rstrip().endswith((":", "—")):
                units[k].lead = k - 1
        return units

    def _sentences(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        """Return (start, end) of the sentences of text[start:end], trimmed."""
        spans, last = [], start
        for match in BOUNDARY_RE.finditer(text, start, end):
            if match.group("end") is not None:
                cut = match.end("end")
                if text[match.start()] == "." and not match.group("gap"):
                    word = WORD_BEFORE_RE.search(text, max(start, match.start() - 12), match.start())
                    if word and (word.group(1).lower().rstrip(".") in self.abbreviations or len(word.group(1)) == 1):
                        continue  # "Inc. The" or "U.S. Export": not the end of a sentence
            else:
                cut = match.start()
            spans.append((last, cut))
            last = match.end()
        spans.append((last, end))
        out: list[tuple[int, int]] = []
        for s, e in spans:
            while s < e and text[s].isspace():
                s += 1
            while e > s and text[e - 1].isspace():
                e -= 1
            if e <= s:
                continue
            if out and (e - s < 4 or (e - s <= 7 and SHORT_NUMBER_RE.fullmatch(text, s, e))):
                out[-1] = (out[-1][0], e)  # a lone clause number joins its neighbour
                continue
            while e - s > MAX_UNIT_CHARS:  # run-on text: cut at a semicolon or comma, else at a space
                cut = max(text.rfind("; ", s, s + MAX_UNIT_CHARS), text.rfind(", ", s, s + MAX_UNIT_CHARS))
                if cut <= s + MAX_UNIT_CHARS // 3:
                    cut = text.rfind(" ", s, s + MAX_UNIT_CHARS)
                cut = cut + 1 if cut > s else s + MAX_UNIT_CHARS
                out.append((s, cut))
                s = cut
                while s < e and text[s].isspace():
                    s += 1
            out.append((s, e))
        return out

    def _items(self, text: str, start: int, end: int, pos: int) -> tuple[list[Unit], int | None]:
        """Return the units of one sentence and the position of its lead-in: an inline list "(a) ...; (b) ..."
        becomes its lead-in plus one unit per item."""
        item = bool(ITEM_RE.match(text, start, min(end, start + 12)))
        if end - start < 200 or text.count("(", start, end) < 2:
            return [Unit(start, end, pos, item=item)], None
        markers = [m.start() for m in INLINE_ITEM_RE.finditer(text, start, end) if m.start() > start]
        if len(markers) < 2:
            return [Unit(start, end, pos, item=item)], None
        units = []
        first = markers[0]
        lead_end = first
        while lead_end > start and text[lead_end - 1].isspace():
            lead_end -= 1
        if lead_end > start and not LEAD_END_RE.search(text, max(start, lead_end - 12), lead_end):
            return [Unit(start, end, pos, item=item)], None  # "permitted by (a) this Agreement": not a list of duties
        if lead_end > start:
            units.append(Unit(start, lead_end, pos, item=item))
        lead = 0 if units else None
        bounds = markers + [end]
        for a, b in zip(bounds, bounds[1:]):
            while b > a and text[b - 1].isspace():
                b -= 1
            if b > a:
                units.append(Unit(a, b, pos, item=True, inline=True))
        return units, lead

    # -- prefilter and matching ------------------------------------------------------------------------------

    def possible(self, bag: Bag, allowed: int = -1) -> int:
        """Return the labels (a bit mask, cues included) whose patterns can match a passage's words; word pairs
        and order are checked only for the labels in allowed."""
        found = 0
        numbers: set[int] = set()
        anchor_info = self.anchor_info
        for word in bag.words & self.anchor_words:
            direct, checkable, checked = anchor_info[word]
            found |= direct
            if checkable & allowed:  # most words anchor no pattern worth checking here
                numbers.update(checked)
        number_bit = self.number_bit
        for number in numbers:
            b = number_bit[number]
            if b & allowed and not b & found and self.could_match(number, bag):
                found |= b
        return found

    def sketch(self, bag: Bag) -> Sketch:
        """Return what a section's words say at first sight: the feature labels they may give and those they give
        for sure."""
        rough = sure = 0
        rough_mask, direct_mask = self.rough_mask, self.feature_direct_mask
        for word in bag.words & self.feature_words:
            rough |= rough_mask[word]
            sure |= direct_mask[word]
        return Sketch(bag, rough, sure)

    def holds(self, sketch: Sketch, label: int) -> bool:
        """Return whether one label (a single bit) can match in a sketched section, checking it once."""
        if sketch.sure & label:
            return True
        if not sketch.rough & label or sketch.failed & label:
            return False
        words = sketch.bag.words
        for number in self.label_checked.get(label, ()):
            if not self.anchor_of[number].isdisjoint(words) and self.could_match(number, sketch.bag):
                sketch.sure |= label
                return True
        sketch.failed |= label
        return False

    def confirm(self, own: Sketch, lead: Sketch | None) -> int:
        """Return the labels of the safeguards some combination of which a section (with the section that
        introduces it) can complete, checking only the labels of combinations its words allow."""
        rough = own.rough | (lead.rough if lead else 0)
        allowed = 0
        for sid, combos in self.feature_combo_masks.items():
            if not rough & self.sid_mask[sid]:
                continue
            for combo in combos:
                if rough & combo != combo:
                    continue
                rest = combo & ~(own.sure | (lead.sure if lead else 0))
                while rest:
                    label = rest & -rest
                    if not (self.holds(own, label) or (lead is not None and self.holds(lead, label))):
                        break
                    rest ^= label
                if not rest:
                    allowed |= self.sid_mask[sid]
                    break
        return allowed

    def could_match(self, number: int, bag: Bag) -> bool:
        """Return whether pattern `number` can match a passage with these words (its anchor word is there)."""
        words = bag.words
        for required in self.others[number]:
            if required.isdisjoint(words):
                return False
        for first, second in self.pairs[number]:
            if not bag.adjacent(first, second):
                return False
        return not self.chains[number] or chain_holds(self.chains[number], bag)

    def reach(self, labels: int, opening: str = "") -> dict[str, tuple[str, set[str]]]:
        """Return, per safeguard a passage may speak to, the best level it can reach ("core" or "partial") and
        the elements it can show."""
        labels |= self.party_bits
        if opening:
            labels |= self.bit[("", opening)]
        out: dict[str, tuple[str, set[str]]] = {}
        for sid, own in self.sid_mask.items():
            if not labels & own or not covers(labels, self.combo_masks[sid]):
                continue
            level = "core" if covers(labels, self.core_masks[sid]) else "partial"
            elements = {e for e, masks in self.element_masks[sid].items() if covers(labels, masks)}
            out[sid] = (level, elements)
        return out

    def spread(self, low: str, unit: Unit, bag: Bag, reach: dict[str, tuple[str, set[str]]]) -> int:
        """Return how far apart (in characters) the anchor words of a passage's best combination lie: a cheap
        guess of how likely the passage is to hold it, used to try the likely passages first."""
        best = unit.end - unit.start
        first: dict[tuple[str, str], int] = {}  # (sid, label) -> where its first anchor word is, -1: none
        for sid in reach:
            for combo in self.core_keys[sid]:
                places = []
                for key in combo:
                    at = first.get(key)
                    if at is None:
                        words = self.label_words.get(key, frozenset()) & bag.words
                        found = [low.find(word, unit.start, unit.end) for word in words]
                        first[key] = at = min(found) if found else -1
                    if at < 0:
                        break
                    places.append(at)
                else:
                    if places:
                        best = min(best, max(places) - min(places))
        return best

    def opening(self, text: str, start: int) -> str:
        """Return binding or prohibit when the passage at start opens with an instruction ("Use ...", "Do not")."""
        match = FIRST_WORD_RE.match(text, start, start + 60)
        if not match or not match.group(1)[:1].isupper():
            return ""
        word = match.group(1).lower()
        if word in ("never", "don't", "don’t") or (word == "do" and re.match(r"\s+not\b", text[match.end():match.end() + 6])):
            return "prohibit"
        return "binding" if word in self.imperatives and word not in ("do", "please") else ""

    def analyse_all(self, text: str, units: list[Unit], chosen: list[int], words_of: dict[int, Bag],
                    index, defined) -> dict[int, Analysis]:
        """Tokenize the chosen passages and run the matchers; return their analyses."""
        analyses: dict[int, Analysis] = {}
        for i in chosen:
            unit, bag = units[i], words_of[i]
            # runs of spaces and line breaks (PDF and EDGAR text) would become tokens that split every phrase
            tokens = self.nlp.make_doc(SPACES_RE.sub(" ", text[unit.start:unit.end]))
            columns = Columns(tokens)
            hits = self.phrases(columns[NORM])
            gaps = {n for n, regex in self.regex_gates.items() if regex.search(text, unit.start, unit.end)
                    and all(not r.isdisjoint(bag.words) for r in self.requirements[n])}
            for word in bag.words & self.gap_words:
                gaps.update(n for n in self.gap_index[word] if self.could_match(n, bag))
            for number in gaps:
                hits.extend((number, s, e) for s, e in self.gap_matchers[number](columns))
            analyses[i] = self._analysis(tokens, columns[LOWER], hits, index, defined)
        return analyses

    def _analysis(self, tokens, lowers: list[int], hits: list[tuple[int, int, int]], index, defined) -> Analysis:
        """Sort one passage's matches into features and cues, and find its party mentions."""
        feats: dict[str, dict[str, list[tuple[int, int, str]]]] = {}
        cue_at: dict[int, tuple[int, int, str, str]] = {}
        for number, s, e in sorted(hits, key=lambda m: (m[1], m[2])):
            owner, label, rule_id = self.info[number]
            if owner:
                feats.setdefault(owner, {}).setdefault(label, []).append((s, e, rule_id))
                continue
            old = cue_at.get(s)
            if old is None or (e - s, CUE_PRIORITY[label]) > (old[1] - old[0], CUE_PRIORITY[old[2]]):
                cue_at[s] = (s, e, label, rule_id)
        kept: list[tuple[int, int, str, str]] = []
        for cue in sorted(cue_at.values()):  # a cue inside a longer one ("shall" in "shall not") is dropped
            if kept and cue[0] < kept[-1][1]:
                continue
            kept.append(cue)
        return Analysis(feats, kept, self._mentions(lowers, index, defined), tokens, self._imperative(tokens))

    def _imperative(self, tokens) -> str:
        """Return binding or prohibit when a passage opens with an instruction ("Use ...", "Do not ..."), else ""."""
        i, n = 0, len(tokens)
        while i < n and (not tokens[i].is_alpha or (len(tokens[i]) <= 4 and i + 1 < n
                                                    and tokens[i + 1].text in (")", "."))):
            i += 1  # skip list markers such as "(a)", "iv." and bullets
        if i >= n or i > 6 or not tokens[i].text[:1].isupper():
            return ""
        low = tokens[i].lower_
        if low == "please" and i + 1 < n:
            i, low = i + 1, tokens[i + 1].lower_
        if low in ("never",) or (low == "do" and i + 1 < n and tokens[i + 1].norm_ == "not"):
            return "prohibit"
        return "binding" if low in self.imperatives and low != "do" else ""

    def _mentions(self, lowers: list[int], parties_index, defined) -> list[Mention]:
        """Return the party mentions of a passage (its tokens' LOWER hashes), longest term first at each token."""
        out: list[Mention] = []
        strings = self.vocab.strings
        n, resume = len(lowers), 0
        for i in [k for k, h in enumerate(lowers) if h in parties_index]:  # the tokens that start some term
            if i < resume:
                continue  # inside a term already read
            found = None
            for term, role in parties_index[lowers[i]]:
                if tuple(lowers[i:i + len(term)]) == term:
                    found = (term, role)
                    break
            if found is None:
                continue
            term, role = found
            end = resume = i + len(term)
            if end < n and lowers[end] == self.hyphen:  # "Customer-Supplied Materials" names no party
                continue
            possessive = end < n and lowers[end] in self.possessive_marks
            if term[-1] in self.possessive_words:
                possessive = True
            out.append(Mention(i, end, role, possessive, tuple(strings[h] for h in term) in defined))
        return out

    # -- decisions -------------------------------------------------------------------------------------------

    def detect(self, doc: Document, roles: dict[str, str] | None = None) -> tuple[dict[str, Finding], Parties]:
        """Return a Finding per safeguard (status, evidence, missing elements, explanation) and the parties.

        roles, when given ({"supplier": "Licensor", "recipient": "Licensee"}), names the parties' terms instead
        of finding them in the preamble (for a clause reviewed on its own)."""
        text, sections = doc.text, doc.sections
        low = text.lower()
        spaced = runs_text(low)
        parties = self.given_parties(roles) if roles else self.find_parties(text, low)
        index = self.parties_index(parties)
        leads = lead_of = self.section_leads(doc)
        recitals = self.recital_span(text)

        regex_anchors = [(regex, number) for regex, number in self.regex_anchors if regex.search(low)]

        def regex_labels(bag: Bag, start: int, end: int) -> int:
            """Return the labels of the patterns anchored by a REGEX that text[start:end] holds."""
            found = 0
            for regex, number in regex_anchors:
                if regex.search(low, start, end) and all(not r.isdisjoint(bag.words) for r in self.requirements[number]):
                    found |= self.number_bit[number]
            return found

        def possible_at(bag: Bag, start: int, end: int, allowed: int) -> int:
            found = self.possible(bag, allowed) if not bag.words.isdisjoint(self.feature_words) else 0
            return found | regex_labels(bag, start, end)

        sketches: dict[int, Sketch] = {}

        def sketch_of(j: int) -> Sketch:
            if j not in sketches:
                start, end = sections[j].start, sections[j].end
                sketches[j] = found = self.sketch(Bag(spaced[start:end].split()))
                regex_found = regex_labels(found.bag, start, end)
                found.rough |= regex_found
                found.sure |= regex_found
            return sketches[j]

        # 1. sections that can complete some combination (with the section that introduces them): first by their
        # words alone, then by checking word pairs and order for the labels of the combinations still in play
        candidates, section_allowed = [], {}
        for j in range(len(sections)):
            own = sketch_of(j)
            if not own.rough:
                continue
            allowed = self.confirm(own, sketch_of(leads[j]) if j in leads else None)
            if allowed:
                candidates.append(j)
                section_allowed[j] = allowed | self.cue_bits
        # 2. their passages, and the passages that introduce list items
        units: list[Unit] = []
        ranges: dict[int, tuple[int, int]] = {}
        for j in sorted(set(candidates) | {leads[j] for j in candidates if j in leads}):
            found = self.section_units(doc, j, recitals)
            base = len(units)
            for unit in found:
                if unit.lead is not None:
                    unit.lead += base
            units.extend(found)
            ranges[j] = (base, len(units))
        for j in candidates:
            if j in leads and leads[j] in ranges and ranges[leads[j]][1] > ranges[leads[j]][0]:
                for k in range(*ranges[j]):
                    if units[k].lead is None:
                        units[k].lead = ranges[leads[j]][1] - 1
        # 3. passages that can complete some combination
        words_of: dict[int, Bag] = {}
        unit_possible: dict[int, tuple[int, int]] = {}

        def of_unit(i: int, allowed: int = -1) -> int:
            done = unit_possible.get(i)
            if done is None or allowed & ~done[0]:
                allowed |= done[0] if done else 0
                if i not in words_of:
                    words_of[i] = Bag(spaced[units[i].start:units[i].end].split())
                # a label its whole section cannot give, no passage of it can
                check = allowed & ~sketch_of(units[i].section_pos).failed
                done = (allowed, possible_at(words_of[i], units[i].start, units[i].end, check))
                unit_possible[i] = done
            return done[1]

        for j, (first, last) in ranges.items():  # a section that is one passage: its words are already known
            if last - first == 1 and j in sketches:
                words_of[first] = sketches[j].bag

        reach: dict[int, dict[str, tuple[str, set[str]]]] = {}
        feature_bits = ~self.cue_bits
        for j in candidates:
            for i in range(*ranges[j]):
                own = of_unit(i, section_allowed[j])
                if not own & feature_bits:
                    continue
                lead, depth = units[i].lead, 0
                while lead is not None and depth < 3:
                    own |= of_unit(lead, section_allowed[j])
                    lead, depth = units[lead].lead, depth + 1
                found = self.reach(own, self.opening(text, units[i].start))
                if found:
                    reach[i] = found
        # 4. analyse the passages that can still change a finding, those that can reach a core element first,
        # in small batches; a safeguard with enough present evidence and all its elements stops asking for more
        # passages whose features sit close together come first: they are the likely hits
        spread = {i: self.spread(low, units[i], words_of[i], reach[i]) for i in reach}
        pending = sorted(reach, key=lambda i: (all(level != "core" for level, _ in reach[i].values()), spread[i], i))
        hits: dict[str, list[Hit]] = {sid: [] for sid in self.rules}
        counts = {sid: {"present": 0, "partial": 0} for sid in self.rules}
        tries = {sid: 0 for sid in self.rules}
        covered: dict[str, set[str]] = {sid: set() for sid in self.rules}
        analyses: dict[int, Analysis] = {}

        def useful(i: int) -> bool:
            for sid, (level, elements) in reach[i].items():
                if tries[sid] >= TRY_LIMIT and counts[sid]["present"] > 0:
                    continue  # a present finding with enough passages tried: stop collecting
                if counts[sid]["present"] < EVIDENCE_PER_FINDING and (level == "core" or counts[sid]["present"] == 0):
                    if level == "core" or counts[sid]["partial"] < EVIDENCE_PER_FINDING:
                        return True
                # a finding already settled still looks for its missing elements, in core-level passages only
                if level == "core" and elements - covered[sid]:
                    return True
            return False

        start = 0
        while start < len(pending):  # an index, not pending = pending[BATCH:]: that copy is quadratic in a big file
            batch = [i for i in pending[start:start + BATCH] if useful(i)]
            start += BATCH
            if not batch:
                continue
            needed = set(batch)
            for i in batch:
                lead, depth = units[i].lead, 0
                while lead is not None and depth < 3:
                    needed.add(lead)
                    if lead not in words_of:
                        words_of[lead] = Bag(spaced[units[lead].start:units[lead].end].split())
                    lead, depth = units[lead].lead, depth + 1
            needed = {i for i in needed if i not in analyses}  # not `-= set(analyses)`: quadratic
            analyses.update(self.analyse_all(text, units, sorted(needed), words_of, index, parties.defined))
            for i in batch:
                analysis = analyses[i]
                leads, lead = [], units[i].lead
                while lead is not None and lead in analyses and len(leads) < 3:
                    leads.append(analyses[lead])
                    lead = units[lead].lead
                for sid in reach[i]:
                    tries[sid] += 1
                    hit = self.judge(self.rules[sid], units[i], i, analysis, leads)
                    if hit is not None:
                        hits[sid].append(hit)
                        if hit.level in counts[sid]:
                            counts[sid][hit.level] += 1
                            covered[sid] |= hit.elements
        for sid, rules in self.rules.items():
            for hit in hits[sid]:
                if hit.level == "present" and rules.downgrade and self.weakened_nearby(rules, units[hit.unit], doc,
                                                                                       spaced, lead_of):
                    hit.level, hit.note = "partial", "downgraded"
        findings = {}
        headings = [j for j, sec in enumerate(sections) if sec.kind == "heading"]
        for sid, rules in self.rules.items():
            heading = None
            if not any(h.level in ("present", "partial", "other", "recital", "negated") for h in hits[sid]):
                topics = self.topic_bits[sid]
                heading = next((j for j in headings if sketch_of(j).rough & self.topic_mask[sid]
                                and any(self.holds(sketch_of(j), label) for label in topics)), None)
            findings[sid] = self.finding(rules, hits[sid], units, doc, parties, heading)
        return findings, parties

    def weakened_nearby(self, rules: Rules, unit: Unit, doc: Document, spaced: str, leads: dict[int, int]) -> bool:
        """Return whether the sentence after a passage, or the list items it introduces, hold a downgrade
        combination ("... may terminate if: (a) you breach ... and do not cure it within 30 days")."""
        text, section = doc.text, doc.sections[unit.section_pos]
        stop = text.find(". ", unit.end, section.end)
        spans = [(unit.end, section.end if stop < 0 else stop + 1)]
        if text[unit.start:unit.end].rstrip().endswith((":", "-", "—")):
            spans += [(doc.sections[j].start, doc.sections[j].end) for j, lead in leads.items()
                      if lead == unit.section_pos][:8]
        for start, end in spans:
            if end - start < 3 or NO_CURE_RE.search(text, start, end):
                continue
            sketch = self.sketch(Bag(spaced[start:end].split()))
            for combo in rules.downgrade:
                bits = [self.bit.get((rules.sid, label)) for label in combo]
                if all(b is not None and self.holds(sketch, b) for b in bits):
                    return True
        return False

    def judge(self, rules: Rules, unit: Unit, i: int, a: Analysis, leads: list[Analysis] | None = None) -> Hit | None:
        """Return this passage's verdict for one safeguard, or None when it says nothing on it.

        Candidate combinations are tried strongest first (core, then downgraded core, then partial); each is
        judged at its own anchor (its first feature) with the cue that governs it there. A combination that names
        a cue ("modify+prohibit") needs that cue to be the governing one, not merely somewhere in the sentence."""
        leads = leads or []
        own = self._own_features(rules, a)
        inherited: dict[str, list[tuple[int, int, str]]] = {}
        for lead in leads:
            for label, found in self._own_features(rules, lead).items():
                inherited.setdefault(label, found)
        labels = set(own) | set(inherited) | {c[2] for c in a.cues}
        for lead in leads:
            labels |= {c[2] for c in lead.cues}
        if a.imperative:
            labels.add(a.imperative)
        if "rule" in labels:  # "We do not allow ..." is a prohibition on the users
            labels.add("prohibit")
        labels |= self._party_labels(a)
        if any(set(combo) <= labels for combo in rules.exclude):
            return None
        if unit.kind == "definition" and rules.modality == "required":
            return None  # '"Restricted Country" means ...' defines a word, it binds nobody
        cores = [c for c in rules.core if set(c) <= labels]
        # a downgrade combination in the passage ("cure period", "use only ... internal") weakens every core one
        weakened = any(set(d) <= labels for d in rules.downgrade) and not NO_CURE_RE.search(a.tokens.text)
        strong = [] if weakened else cores
        candidates = [(c, "present", False) for c in strong]
        candidates += [(c, "partial", True) for c in cores if c not in strong]
        candidates += [(c, "partial", False) for c in rules.partial if set(c) <= labels]
        if not candidates:
            return None
        elements = {eid for eid, combos in rules.elements.items() if any(set(c) <= labels for c in combos)}
        first_other = None
        for combo, level, downgraded in candidates:
            rule_ids = sorted({rid for part in combo if part not in RESERVED_LABELS
                               for _, _, rid in own.get(part, inherited.get(part, []))})
            if unit.kind == "heading" or (unit.kind == "recital" and rules.modality == "required"):
                return Hit(i, unit.kind, combo, rule_ids, "", "", "", elements)
            hit = self._judge_combo(rules, i, a, leads, own, combo, level, downgraded, rule_ids, elements)
            if hit is None:
                continue
            if hit.level in ("other", "negated"):
                first_other = first_other or hit
                continue
            return hit
        return first_other

    def _judge_combo(self, rules: Rules, i: int, a: Analysis, leads: list[Analysis], own,
                     combo: tuple[str, ...], level: str, downgraded: bool, rule_ids: list[str],
                     elements: set[str]) -> Hit | None:
        """Return the verdict of one combination, trying each place its leading feature occurs ("Supplier
        shall not suspend ..., but may terminate ..."), or None when no cue or party fits."""
        feature = next(part for part in combo if part not in RESERVED_LABELS)
        chain = [a] + leads
        at = 0 if feature in own else next(k for k, ctx in enumerate(chain)
                                          if feature in self._own_features(rules, ctx))
        fallback = None
        for start, _end, _rid in self._own_features(rules, chain[at])[feature][:4]:
            hit = self._judge_at(rules, i, a, chain, at, start, feature, combo, level, downgraded, rule_ids,
                                 elements)
            if hit is not None and hit.level not in ("other", "negated"):
                return hit
            fallback = fallback or hit
        return fallback

    def _judge_at(self, rules: Rules, i: int, a: Analysis, chain: list[Analysis], at: int, anchor: int,
                  feature: str, combo: tuple[str, ...], level: str, downgraded: bool, rule_ids: list[str],
                  elements: set[str]) -> Hit | None:
        """Return the verdict of one combination with its leading feature at token `anchor` of chain[at]."""
        context = chain[at]
        cue, subject = self._governing(context, anchor)
        for lead in chain[at + 1:]:  # no cue here: the sentence that introduces the list governs
            if cue is not None:
                break
            cue, subject = self._governing(lead, len(lead.tokens))
            if cue is not None:
                context, anchor = lead, len(lead.tokens)
        imperative = next((ctx.imperative for ctx in chain if ctx.imperative), "")
        if cue is None and imperative:
            cue = (0, 0, imperative, "imperative")
            subject = subject or "recipient"
        modality = cue[2] if cue else "none"
        cue_id = cue[3] if cue else ""
        if modality == "rule":  # the supplier's house rule binds the users
            modality, subject = "prohibit", "none"
        wanted = [part for part in combo if part in ("binding", "prohibit", "right")]
        if wanted and not any(modality == w or (w == "binding" and modality == "prohibit") for w in wanted):
            return None
        if modality == "empty" and self._subject_at(context, cue[0]) != "supplier":
            # "The Customer is not required to permit any audit": the safeguard is expressly negated
            return Hit(i, "negated", combo, rule_ids, modality, cue_id, subject or "none", set())
        # a weak cue near the feature, or an emptying one anywhere in the passage, weakens the duty
        low = min(anchor, cue[0]) - WEAK_WINDOW if cue else anchor - WEAK_WINDOW
        high = max(anchor, cue[1] + WEAK_WINDOW // 2) if cue else anchor
        near = [c for c in context.cues if c[2] == "weak" and low <= c[0] <= high]
        empties = [c for c in a.cues if c[2] == "empty" and self._subject_at(a, c[0]) != "supplier"]
        if empties:
            modality, cue_id = "empty", empties[0][3]
        elif near:
            modality, cue_id = "weak", near[0][3]
        if subject is None and rules.direction == "duty":  # "Mistral AI's notification of ...": the owner acts
            limit = min(anchor, cue[0]) if cue is not None and cue[1] > 0 else anchor
            owner = next((m for m in reversed(context.mentions) if m.end <= limit and m.possessive
                          and context.tokens[m.start].lower_ not in ("your", "our", "their", "its")), None)
            subject = owner.role if owner else None
        role = subject or "none"
        any_party = feature in rules.any_party
        if any_party:  # "a way to report misuse is provided", "anyone may report": whoever states it
            role = "none"
            modality = "binding" if modality in ("right", "none") else modality
        verdict = self._attribute(rules, role, modality, context, cue, anchor)
        if verdict == "other":
            return Hit(i, "other", combo, rule_ids, modality, cue_id, role, elements)
        if verdict == "none":
            return None
        if modality == "none" and rules.modality == "required":
            return None
        weak = modality in ("weak", "empty") or (verdict == "weak" and "right" not in combo)
        if weak:
            level = "partial"
        note = "downgraded" if downgraded else ("weak" if weak else "")
        return Hit(i, level, combo, rule_ids, modality, cue_id, role, elements, note=note)

    @staticmethod
    def _own_features(rules: Rules, a: Analysis) -> dict[str, list[tuple[int, int, str]]]:
        """Return a passage's features for one safeguard, without third-party features that name a party."""
        feats = a.feats.get(rules.sid, {})
        if not rules.third_party or not feats:
            return feats
        defined = [m for m in a.mentions if m.defined]
        out = {}
        for label, found in feats.items():
            if label in rules.third_party:
                found = [f for f in found if not any(m.start <= f[1] - 1 < m.end for m in defined)]
                if not found:
                    continue
            out[label] = found
        return out

    @staticmethod
    def _is_object(a: Analysis, mention: Mention) -> bool:
        """Return whether a mention is the object of a preposition ("to the Customer"), so not a subject."""
        k = mention.start - 1
        while k >= 0 and a.tokens[k].lower_ in DETERMINERS:
            k -= 1
        return k >= 0 and a.tokens[k].lower_ in OBJECT_MARKERS

    @staticmethod
    def _party_labels(a: Analysis) -> set[str]:
        """Return names_supplier / names_recipient when the passage names that party, and by_supplier for
        "... by the Licensor" (the supplier as the agent of a passive verb)."""
        out = set()
        for m in a.mentions:
            if not (m.defined or a.tokens[m.start].lower_ in ("we", "us", "our", "you", "your")):
                continue  # a generic role word ("a hosting provider") is not the contract's party
            if m.role == "supplier":
                out.add("names_supplier")
                if m.start > 0 and a.tokens[m.start - 1].lower_ == "by":
                    out.add("by_supplier")
            elif m.role == "recipient":
                out.add("names_recipient")
        return out

    @staticmethod
    def _subject_at(a: Analysis, position: int) -> str:
        """Return the role of the nearest party named before a token, or ''."""
        mention = next((m for m in reversed(a.mentions) if m.end <= position and not m.possessive), None)
        return mention.role if mention else ""

    @staticmethod
    def _governing(a: Analysis, anchor: int):
        """Return the modality cue that governs token `anchor` and the role of the party it binds."""
        before = [c for c in a.cues if c[0] <= anchor and c[2] not in SKIPPED_CUES]
        after = [c for c in a.cues if c[0] > anchor and c[2] not in SKIPPED_CUES]
        cue = before[-1] if before else (after[0] if after else None)
        if cue is None:
            return None, None
        subject = None
        # the party named before both the cue and the feature acts; failing that, the one before the cue
        for limit in dict.fromkeys((min(cue[0], anchor), cue[0])):
            for mention in reversed(a.mentions):
                if mention.end <= limit and not mention.possessive and not Detector._is_object(a, mention):
                    subject = mention.role
                    break
            if subject is not None:
                break
        if subject is None:  # passive voice: "... may not be assigned by the Licensee"
            for mention in a.mentions:
                if mention.start > anchor and mention.start - anchor <= 12 and mention.start > 0 \
                        and a.tokens[mention.start - 1].lower_ == "by":
                    subject = mention.role
                    break
        return cue, subject

    @staticmethod
    def _attribute(rules: Rules, role: str, modality: str, a: Analysis, cue, anchor: int) -> str:
        """Return ok, weak, other (binds the wrong party) or none for a passage's party and modality."""
        if rules.direction == "duty":
            if role == "supplier":
                # the supplier may require the recipient to do it
                if modality == "right" and cue is not None and \
                        any(c[2] == "require" and cue[0] <= c[0] <= anchor for c in a.cues):
                    return "ok"
                return "other"
            if modality == "right":
                return "weak"  # "may ..." is a permission, not a duty
            return "ok"
        # right: the supplier (or either party) holds it, or the recipient is bound to submit to it
        actor = role
        if cue is not None:  # "shall permit the Licensee to audit": the right belongs to the one permitted
            inside = [m for m in a.mentions if cue[1] <= m.start < anchor and not m.possessive]
            if inside and any(t.norm_ in ("permit", "allow", "enable", "authorize", "entitle", "grant", "let")
                              for t in a.tokens[cue[0]:inside[-1].start]):
                actor = inside[-1].role
        if actor == "supplier":
            return "ok" if modality in ("right", "none") else "none"
        if actor in ("mutual", "unknown", "none"):
            return "none" if (actor == "mutual" and modality == "prohibit") else "ok"
        # the recipient: bound to submit to it, or doing it itself (the wrong way round: "the Customer cancels")
        if actor == role and modality in ("binding", "prohibit", "weak", "empty"):
            subject = next((m for m in reversed(a.mentions) if m.end <= anchor and not m.possessive), None)
            if modality != "prohibit" and subject is not None and subject.role == "recipient" and \
                    anchor - subject.end <= 3 and \
                    not any(t.norm_ in SUBMIT_VERBS for t in a.tokens[subject.end:anchor + 1]):
                return "other"
            return "ok"
        return "other"

    # -- findings --------------------------------------------------------------------------------------------

    def finding(self, rules: Rules, hits: list[Hit], units: list[Unit], doc: Document, parties: Parties,
                heading: int | None) -> Finding:
        """Return the document-level Finding of one safeguard from its passage verdicts."""
        counted = [h for h in hits if h.level in ("present", "partial")]
        if not any(h.level == "present" for h in counted):
            for hit in counted:  # the similarity check may lift a plain partial passage (never a weakened one)
                if not hit.note:
                    hit.fuzzy = self.similarity(rules, doc.text[units[hit.unit].start:units[hit.unit].end])
                    if hit.fuzzy >= rules.fuzzy_upgrade:
                        hit.level, hit.note = "present", "paraphrase"
        present = [h for h in counted if h.level == "present"]
        partial = [h for h in counted if h.level == "partial"]
        best = present or partial
        covered = set().union(*(h.elements for h in counted)) if counted else set()
        status = "present" if present else "partial" if partial else "missing"
        for hit in best:
            if not hit.fuzzy:
                hit.fuzzy = self.similarity(rules, doc.text[units[hit.unit].start:units[hit.unit].end])
        # the passage that decided comes first: a core combination, binding a named party, closest to the
        # library's own wording, covering the most elements
        best.sort(key=lambda h: (h.combo not in rules.core, h.role == "none" and units[h.unit].lead is None,
                                 -round(h.fuzzy, -1), -len(h.elements), h.unit))
        evidence, indexes = [], []
        seen_sections: set[int] = set()
        for hit in best[:EVIDENCE_PER_FINDING]:
            unit = units[hit.unit]
            section = doc.sections[unit.section_pos]
            lead = units[unit.lead] if unit.lead is not None else None
            evidence.append(self.evidence(doc, unit, section, lead))
            if unit.section_pos not in seen_sections:
                seen_sections.add(unit.section_pos)
                indexes.append(section.index)
        missing_elements = [e for e in rules.element_ids if e not in covered] if status != "missing" else []
        if status == "partial":
            missing_elements = [rules.core_element] + missing_elements
        total = max(1, len(rules.element_ids))
        extra = len(covered & set(rules.element_ids)) / total
        top_fuzzy = max((h.fuzzy for h in best), default=0.0) / 100.0
        if status == "present":
            score = 0.7 + 0.2 * extra + 0.1 * top_fuzzy
        elif status == "partial":
            score = 0.35 + 0.15 * extra + 0.1 * top_fuzzy
        else:
            score = 0.0
        explanation = self.explain(rules, status, best[0] if best else None, hits, units, doc, parties, heading)
        deciding = best[0] if best else next((h for h in hits if h.level in ("other", "negated")), None)
        fired = [rule_name(rules, deciding)] + deciding.rule_ids if deciding is not None else []
        found = ([rules.core_element] if status == "present" else []) + [e for e in rules.element_ids if e in covered]
        return Finding(rules.sid, status, round(min(score, 1.0), 3), evidence, missing_elements, explanation,
                       section_indexes=indexes, rules=fired, elements_found=found if status != "missing" else [])

    @staticmethod
    def evidence(doc: Document, unit: Unit, section: Section, lead: Unit | None = None) -> Evidence:
        """Return the quote of a passage, whole, with the sentence that introduces it when it is a list item
        close below it ("You will not: ... (c) use the Software to ..."), and its location."""
        start, end = unit.start, unit.end
        if lead is not None and lead.start < start and end - lead.start <= QUOTE_CHARS:
            start = lead.start
        if end - start > QUOTE_CHARS:
            cut = doc.text.rfind(" ", start, start + QUOTE_CHARS)
            end = cut if cut > start else start + QUOTE_CHARS
        text = doc.text[start:end]
        return Evidence(text, start, end, section_label(section))

    def similarity(self, rules: Rules, passage: str) -> float:
        """Return the best rapidfuzz similarity (0-100) of a passage to the safeguard's reference wordings."""
        if not rules.references:
            return 0.0
        from rapidfuzz import fuzz, process

        # token_sort_ratio is ratio over sorted words: sorting the references once spares it per call
        query = sorted_words(normalise_for_fuzz(passage))
        best = process.extractOne(query, rules.sorted_references, scorer=fuzz.ratio)
        return float(best[1]) if best else 0.0

    def party_phrase(self, term: str, fallback: str) -> str:
        """Return how an explanation names a party: "the Licensee", "you", "Juniper"."""
        if not term:
            return f"the {fallback}"
        if term.lower() in self.pronouns:
            return term
        return f"the {term}" if term.lower() in self.role_words else term

    def explain(self, rules: Rules, status: str, hit: Hit | None, hits: list[Hit], units: list[Unit],
                doc: Document, parties: Parties, heading: int | None = None) -> str:
        """Return a few plain sentences a lawyer can check: the status, the words that decided it and where, and
        what is missing (rule ids go to Finding.rules, never here)."""
        def where(h: Hit) -> str:
            label = section_label(doc.sections[units[h.unit].section_pos])
            return f" ({label})" if label else ""

        def quote(h: Hit) -> str:
            unit = units[h.unit]
            return f"“{short_quote(doc.text[unit.start:unit.end])}”{where(h)}"

        who = {"recipient": self.party_phrase(parties.recipient_term, "recipient"), "mutual": "each party",
               "supplier": self.party_phrase(parties.supplier_term, "supplier"), "unknown": "a party",
               "none": "the reader"}
        recipient, supplier = who["recipient"], who["supplier"]
        wanted = rules.description.rstrip(".")
        core = wanted[:1].lower() + wanted[1:]
        head = f"{rules.title}: {status}."
        if hit is not None:
            bound = who.get(hit.role, "a party")
            if status == "present":
                if hit.role == "none":
                    verb = "states it as a rule for whoever it addresses"
                else:
                    verb = f"gives {bound} the right" if rules.direction == "right" else f"binds {bound}"
                how = " It is close to the library's own wording." if hit.note == "paraphrase" else ""
                return f"{head} {quote(hit)} {verb}.{how}"
            if hit.note == "downgraded":
                reason = "a condition in or next to it, such as a cure period or an internal-use limit, weakens it"
            elif hit.cue in ("weak", "empty"):
                reason = "soft wording (such as “reasonable efforts”, “should” or a carve-out) weakens the duty"
            elif hit.role == "recipient" and hit.cue == "right":
                reason = f"it only permits {recipient} (“may”), it does not bind"
            else:
                reason = f"it touches the topic, but it does not say that {core}"
            return f"{head} {quote(hit)}: {reason}."
        other = [h for h in hits if h.level == "other"]
        if other:
            party = supplier if rules.direction == "duty" else recipient
            side = "binds only" if rules.direction == "duty" else "gives the right only to"
            return f"{head} The only text on the topic, {quote(other[0])}, {side} {party}; nothing says that {core}."
        if heading is not None:
            title = doc.sections[heading].text.strip()[:60]
            return f"{head} The heading “{title}” names the topic, but no text under it binds {recipient}."
        negated = [h for h in hits if h.level == "negated"]
        if negated:
            return f"{head} {quote(negated[0])} expressly rules it out."
        recital = [h for h in hits if h.level == "recital"]
        if recital:
            return f"{head} Only a recital{where(recital[0])} mentions it; recitals bind nobody."
        return f"{head} Nothing in the document says that {core}."

def rule_name(rules: Rules, hit: Hit) -> str:
    """Return the id of the combination that decided a finding, as "end_use.partial[internal_use+use_verb]"."""
    level = "core" if hit.combo in rules.core else "partial"
    return f"{rules.sid}.{level}[{'+'.join(hit.combo)}]"


def short_quote(text: str, limit: int = 140) -> str:
    """Return a passage on one line, cut at a word near `limit` characters."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[:cut if cut > 0 else limit] + " …"


def is_sibling(lead: Section, section: Section) -> bool:
    """Return whether a numbered section is a clause beside (or above) a lead-in, not an item of its list: "16.3" or
    "17.1" after "16.2 ... the following:"."""
    if "." not in lead.number.strip(".") or not section.number[:1].isdigit():
        return False  # "1", "2" under a lead-in may well be its items
    return section.number.strip(".").count(".") <= lead.number.strip(".").count(".")


def section_label(section: Section) -> str:
    """Return how a passage's location is shown: the clause number, else the heading."""
    return section.path or section.number or section.heading or ""


def normalise_for_fuzz(text: str) -> str:
    """Return lowercase words only, for similarity scoring."""
    return " ".join(WORD_RE.findall(text.lower()))


def sorted_words(text: str) -> str:
    """Return the words of a text in sorted order, joined by spaces (as rapidfuzz's token_sort_ratio sees it)."""
    return " ".join(sorted(text.split()))


def reference_wordings(library, sid: str, detection: dict) -> list[str]:
    """Return the reference wordings of a safeguard: its `reference:` strings and the library's own clauses."""
    texts = [str(r) for r in detection.get("reference") or []]
    for clause in (library.clauses or {}).values():
        if clause.provides and clause.provides[0] == sid and clause.expected:
            texts.extend(p for p in re.split(r"\n\s*\n", clause.expected) if len(p.split()) >= 6)
    return [normalise_for_fuzz(t) for t in texts if t.strip()]


def phrase_slots(pattern: list, limit: int = 20000) -> list[tuple[list[str], bool]] | None:
    """Return the NORM words each token of a fixed pattern may be, with whether it is optional; None when the
    pattern has gaps or other operators, or stands for more than `limit` phrases."""
    slots: list[tuple[list[str], bool]] = []
    count = 1
    for spec in pattern:
        attrs = set(spec) - {"OP"}
        if len(attrs) != 1:
            return None
        attr = attrs.pop()
        if attr not in LITERAL_ATTRS:
            return None
        value = spec[attr]
        if isinstance(value, str):
            words = [value]
        elif isinstance(value, dict) and set(value) == {"IN"} and isinstance(value["IN"], list):
            words = [str(v) for v in value["IN"]]
        else:
            return None
        if attr in ("ORTH", "TEXT") and any(w != w.lower() for w in words):
            return None  # case-sensitive ("EAR", not "ear")
        op = spec.get("OP")
        if op not in (None, "?"):
            return None
        count *= len(words) + (op == "?")
        if count > limit:
            return None
        slots.append((sorted({w.lower() for w in words}), op == "?"))
    return slots or None


# ---------------------------------------------------------------------------------------------------------------
# entry points

_CACHE: dict[tuple[str, str, str], Detector] = {}
_DIGESTS: dict[int, tuple[Any, str]] = {}


def rules_digest(library) -> str:
    """Return a digest of a library's detection rules, lexicon and reference wordings (the detector cache key)."""
    cached = _DIGESTS.get(id(library))
    if cached is not None and cached[0] is library:
        return cached[1]
    payload = {sid: sg.detection for sid, sg in sorted(library.safeguards.items())}
    lexicon = lexicon_path(library.root)
    extra = lexicon.read_bytes() if lexicon.is_file() else b""
    expected = "".join(sorted(c.id + (c.expected or "") for c in (library.clauses or {}).values()))
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode() + extra
                            + expected.encode()).hexdigest()[:16]
    _DIGESTS[id(library)] = (library, digest)
    return digest


def get_detector(library) -> Detector:
    """Return the compiled detector of a library, built once per process and library version."""
    key = (str(library.root), str(library.version), rules_digest(library))
    detector = _CACHE.get(key)
    if detector is None:
        detector = Detector(library)
        _CACHE[key] = detector
    return detector


def detect(doc: Document, library, roles: dict[str, str] | None = None) -> tuple[dict[str, Finding], dict[str, Any]]:
    """Return a Finding per safeguard id and the parties found in the document (or given as roles)."""
    findings, parties = get_detector(library).detect(doc, roles)
    return findings, parties.to_dict()


def detect_text(text: str, library, roles: dict[str, str] | None = None) -> dict[str, Finding]:
    """Return the findings for a bare clause or sentence, one section, with optional party roles."""
    doc = Document(path="<text>", format="txt", text=text, sections=[Section(text, 0, len(text))])
    return get_detector(library).detect(doc, roles)[0]
