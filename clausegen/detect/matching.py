"""Pattern matching without a spaCy Doc per pattern: word bags, the fixed-phrase table, token patterns."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Any

from clausegen.detect import common
from clausegen.detect.common import LITERAL_ATTRS, RUN_TABLE, WORD_RE, normalise_for_fuzz


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
        super().__init__(zip((common.NORM, common.LOWER), tokens.to_array([common.NORM, common.LOWER]).T.tolist()))
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
