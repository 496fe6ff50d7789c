"""Compile a library's rules into matchers, prefilter masks and word tables (once per library version)."""

from __future__ import annotations

import re
from typing import Any

from clausegen.model import SAFEGUARD_IDS
from clausegen.detect import common
from clausegen.detect.common import DEFAULT_FUZZY_UPGRADE, PARTY_LABELS, RESERVED_LABELS, Rules, WORD_RE
from clausegen.detect.validate import load_lexicon, split_combo
from clausegen.detect.matching import (MatcherPattern, PhraseTable, TokenPattern, contract_english, minimal_masks,
                                       pattern_anchors, pattern_shape, phrase_slots, reference_wordings)


class Builder:
    """Compiled rules of one library version: the spaCy pipeline, matchers and prefilter."""

    def __init__(self, library):
        from spacy import attrs
        from spacy.matcher import Matcher

        common.LOWER, common.NORM = attrs.LOWER, attrs.NORM
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
                downgrade_nearby=[split_combo(c) for c in detection.get("downgrade_nearby",
                                                                       detection.get("downgrade")) or []],
                grounds=set(detection.get("grounds") or []),
                core_element=core_element,
                element_ids=[e.id for e in safeguard.elements if not e.core],
                references=reference_wordings(library, sid, detection),
                fuzzy_upgrade=float(detection.get("fuzzy_upgrade", DEFAULT_FUZZY_UPGRADE)),
                third_party=set(detection.get("third_party") or []),
                any_party=set(detection.get("any_party") or []),
                impersonal=set(detection.get("impersonal") or []),
                masks={k: set(v) for k, v in (detection.get("masks") or {}).items()},
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
        self.organ_words = {str(w).lower() for w in self.lexicon.get("organ_words") or []}
        self.holder_words = {str(w).lower() for w in self.lexicon.get("holder_words") or []}
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
