"""Scoring: the verdict of one passage for one safeguard, from its features, cue and bound party."""

from __future__ import annotations

from clausegen.model import Document
from clausegen.detect.common import (AGENT_WORDS, Analysis, BE_WORDS, DETERMINERS, Hit, Mention, MODAL_WORDS,
                                     NEGATORS, NO_CURE_RE, OBJECT_MARKERS, PASSIVE_USE, REQUIRE_WORDS, RESERVED_LABELS,
                                     Rules, SKIPPED_CUES, SUBMIT_VERBS, UNBOUND_CUES, Unit, WEAK_WINDOW)
from clausegen.detect.matching import Bag

PARTY_PRONOUNS = ("we", "us", "our", "you", "your")
GOVERNED_WINDOW = 8  # tokens from a cue's end to the feature it governs directly
GROUND_WINDOW = 4  # tokens before a ground in which a trigger is part of it ("breach of its payment obligations")
BACK_REFERENCES = {"such", "its", "said", "that", "the", "this"}  # "notice of its default": the same one
RECEIVE_WORDS = {"provided", "given", "sent", "furnished", "supplied", "shown", "offered", "delivered", "notified"}
OPENING_WORDS = {"the", "a", "b", "c", "d", "e", "f", "g", "h", "i", "ii", "iii", "iv", "v", "vi", "vii", "if", "or"}


class Judge:
    """Judge passages: features, the governing cue, the party bound, the level."""

    def weakened_nearby(self, rules: Rules, unit: Unit, doc: Document, spaced: str,
                        leads: dict[int, int]) -> int | None:
        """Return the position in `downgrade` of a downgrade combination held by the sentence after a passage, or
        by the list items it introduces ("... may terminate if: (a) you breach ... and do not cure it within 30
        days"), or None."""
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
            for combo in rules.downgrade_nearby:
                bits = [self.bit.get((rules.sid, label)) for label in combo]
                if all(b is not None and self.holds(sketch, b) for b in bits):
                    return rules.downgrade.index(combo) if combo in rules.downgrade else len(rules.downgrade)
        return None

    def judge(self, rules: Rules, unit: Unit, i: int, a: Analysis, leads: list[Analysis] | None = None) -> Hit | None:
        """Return this passage's verdict for one safeguard, or None when it says nothing on it.

        Candidate combinations are tried strongest first (core, then downgraded core, then partial); each is
        judged at its own anchor (its first feature) with the cue that governs it there. A combination that names
        a cue ("modify+prohibit") needs that cue to be the governing one, not merely somewhere in the sentence."""
        leads = leads or []
        chain_feats = [self._own_features(rules, ctx) for ctx in [a] + leads]  # once: masks make it cost
        own = chain_feats[0]
        inherited: dict[str, list[tuple[int, int, str]]] = {}
        for feats in chain_feats[1:]:
            for label, found in feats.items():
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
        if rules.direction == "right" and leads and self._opens_with_supplier(a):
            return None  # "(c) NVIDIA decides to no longer provide ...": a ground on the supplier's side, not misuse
        if unit.kind == "definition" and rules.modality == "required":
            return None  # '"Restricted Country" means ...' defines a word, it binds nobody
        cores = [c for c in rules.core if set(c) <= labels]
        # a downgrade combination in the passage ("cure period", "use only ... internal") weakens every core one; a
        # ground such as non-payment only when it is the passage's only ground ("fails to pay", not "fails to pay or
        # breaches Section 3")
        weakened = None  # the position in `downgrade` of the combination that weakens it
        if not NO_CURE_RE.search(a.tokens.text):
            weakened = next((k for k, d in enumerate(rules.downgrade)
                             if set(d) <= labels and not self._other_ground(rules, d, own, a)), None)
        strong = [] if weakened is not None else cores
        candidates = [(c, "present", False) for c in strong]
        candidates += [(c, "partial", True) for c in cores if c not in strong]
        candidates += [(c, "partial", False) for c in rules.partial if set(c) <= labels]
        if not candidates:
            return None
        elements = {eid for eid, combos in rules.elements.items() if any(set(c) <= labels for c in combos)}
        first_other = first_partial = None
        for combo, level, downgraded in candidates:
            rule_ids = sorted({rid for part in combo if part not in RESERVED_LABELS
                               for _, _, rid in own.get(part, inherited.get(part, []))})
            # a recital binds nobody and grants nothing; it may state a fact ("Licensor hosts the Platform")
            if unit.kind == "heading" or (unit.kind == "recital" and rules.modality != "fact"):
                return Hit(i, unit.kind, combo, rule_ids, "", "", "", elements)
            hit = self._judge_combo(rules, i, a, leads, chain_feats, combo, level, downgraded, rule_ids, elements)
            if hit is None:
                continue
            if hit.level in ("other", "negated"):
                first_other = first_other or hit
                continue
            if downgraded:
                hit.downgrade = weakened
            if hit.level == "partial" and level == "present":
                # a core combination weakened where it stands ("Please report ..."): another one may hold fully
                # ("report any violation" is also a reporting channel, which binds no one)
                first_partial = first_partial or hit
                continue
            return first_partial if first_partial and hit.level != "present" else hit
        return first_partial or first_other

    def _judge_combo(self, rules: Rules, i: int, a: Analysis, leads: list[Analysis],
                     chain_feats: list[dict[str, list[tuple[int, int, str]]]], combo: tuple[str, ...], level: str,
                     downgraded: bool, rule_ids: list[str], elements: set[str]) -> Hit | None:
        """Return the verdict of one combination, trying each place its leading feature occurs ("Supplier
        shall not suspend ..., but may terminate ..."), or None when no cue or party fits. `chain_feats` holds the
        own features of the passage and of its lead-ins."""
        feature = next(part for part in combo if part not in RESERVED_LABELS)
        chain = [a] + leads
        at = next(k for k, feats in enumerate(chain_feats) if feature in feats)
        fallback = None
        for start, end, _rid in chain_feats[at][feature][:4]:
            hit = self._judge_at(rules, i, a, chain, at, (start, end), feature, combo, level, downgraded, rule_ids,
                                 elements)
            if hit is not None and hit.level not in ("other", "negated"):
                return hit
            fallback = fallback or hit
        return fallback

    def _judge_at(self, rules: Rules, i: int, a: Analysis, chain: list[Analysis], at: int, span: tuple[int, int],
                  feature: str, combo: tuple[str, ...], level: str, downgraded: bool, rule_ids: list[str],
                  elements: set[str]) -> Hit | None:
        """Return the verdict of one combination with its leading feature at tokens `span` of chain[at]."""
        context = chain[at]
        anchor, own_end = span
        cue, subject = self._governing(context, anchor)
        for lead in chain[at + 1:]:  # no cue here: the sentence that introduces the list governs
            if cue is not None:
                break
            cue, subject = self._governing(lead, len(lead.tokens))
            if cue is not None:
                context, anchor, own_end = lead, len(lead.tokens), len(lead.tokens)
        if cue is not None and subject is None:
            # an item with a verb of its own but no party ("(iii) neither the Content nor any use of it shall ...")
            # says what the party of its lead-in promises: "CONTENT PROVIDER warrants and represents that:"
            for lead in chain[at + 1:]:
                lead_cue, lead_subject = self._governing(lead, len(lead.tokens))
                if lead_cue is not None:
                    subject = lead_subject
                    break
        imperative = next((ctx.imperative for ctx in chain if ctx.imperative), "")
        if cue is None and imperative:
            cue = (0, 0, imperative, "imperative")
            subject = subject or "recipient"
        modality = cue[2] if cue else "none"
        cue_id = cue[3] if cue else ""
        if rules.direction == "right" and self._denied(context, anchor):
            # "the Software contains no kill switch", "without suspension": the right is denied, not granted
            return Hit(i, "negated", combo, rule_ids, modality, cue_id, subject or "none", set())
        if modality == "rule":  # the supplier's house rule binds the users
            modality, subject = "prohibit", "none"
        wanted = [part for part in combo if part in ("binding", "prohibit", "right")]
        # a soft cue ("should", "reasonable endeavours") governs as a weakened duty: partial below
        if wanted and not any(modality == w or (w == "binding" and modality in ("prohibit", "weak")) for w in wanted):
            return None
        if modality == "empty" and self._subject_at(context, cue[0]) != "supplier":
            # "The Customer is not required to permit any audit": the safeguard is expressly negated
            return Hit(i, "negated", combo, rule_ids, modality, cue_id, subject or "none", set())
        # a weak cue near the feature, or an emptying one anywhere in the passage, weakens the duty
        low = min(anchor, cue[0]) - WEAK_WINDOW if cue else anchor - WEAK_WINDOW
        high = max(anchor, cue[1] + WEAK_WINDOW // 2) if cue else anchor
        # not a cue inside the feature's own words ("a certificate certifying that it has complied")
        near = [c for c in context.cues if c[2] == "weak" and low <= c[0] <= high and not anchor < c[0] < own_end]
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
        if subject is None and rules.direction == "right":  # "Charterer's representatives may inspect ..."
            holder = next((m for m in reversed(context.mentions) if m.end <= anchor and m.possessive
                           and any(t.lower_ in self.holder_words for t in context.tokens[m.end:m.end + 4])), None)
            subject = holder.role if holder else None
        role = subject or "none"
        if role == "none" and cue is not None and any(t.lower_ in self.organ_words for t in context.tokens[:cue[0]]):
            return None  # "The Board's Compliance Committee shall oversee ...": a company organ, no contract party
        recipient = [m for m in context.mentions if m.role == "recipient"]
        if role == "none" and rules.direction == "duty" and cue_id not in UNBOUND_CUES and recipient \
                and cue is not None and not any(m.role == "mutual" for m in context.mentions) \
                and not any(t.lower_ in ("and", ";") for t in context.tokens[anchor:cue[0]]) \
                and self._passive(context, cue) and not any(self._follows_cue(context, m) for m in recipient):
            # "Customer Personal Data will be encrypted ...", "... on documented instructions from the Customer": the
            # recipient is named, but not as the one who acts (and no mutual term is); the duty is the other side's
            return Hit(i, "other", combo, rule_ids, modality, cue_id, "supplier", elements)
        if role == "none" and rules.impersonal and cue is not None and cue_id not in UNBOUND_CUES \
                and self._passive_about_other(rules, context):
            return None  # passive voice about something else ("the defined terms shall only be used for ...")
        any_party = feature in rules.any_party
        if any_party:  # "a way to report misuse is provided", "anyone may report": whoever states it
            role = "none"
            modality = "binding" if modality in ("right", "none") else modality
        verdict, holder = self._attribute(rules, role, modality, context, cue, anchor)
        if holder == "supplier" and verdict in ("ok", "weak"):
            role = holder  # "Customer grants to Cisco the right to examine ...": Cisco holds the right
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
        governed = cue is not None and (context is not a or 0 <= anchor - cue[1] <= GOVERNED_WINDOW)
        return Hit(i, level, combo, rule_ids, modality, cue_id, role, elements, note=note, governed=governed)

    @staticmethod
    def _own_features(rules: Rules, a: Analysis) -> dict[str, list[tuple[int, int, str]]]:
        """Return a passage's features for one safeguard, without third-party features that name a party and
        without features inside a match of a label that masks them ("termination" in "upon termination")."""
        feats = a.feats.get(rules.sid, {})
        if not (rules.third_party or rules.masks) or not feats:
            return feats
        defined = [m for m in a.mentions if m.defined]
        hidden: dict[str, list[tuple[int, int, str]]] = {}
        for mask, labels in rules.masks.items():
            for label in labels:
                hidden.setdefault(label, []).extend(feats.get(mask, []))
        out = {}
        for label, found in feats.items():
            if label in rules.third_party:
                found = [f for f in found if not any(m.start <= f[1] - 1 < m.end for m in defined)]
            if label in hidden:
                found = [f for f in found if not any(s <= f[0] and f[1] <= e for s, e, _ in hidden[label])]
            if found:
                out[label] = found
        return out

    @staticmethod
    def _before(a: Analysis, start: int) -> int:
        """Return the position of the word before token `start`, determiners skipped ("by the Licensor" -> "by")."""
        k = start - 1
        while k > 0 and a.tokens[k].lower_ in DETERMINERS:
            k -= 1
        return k

    @staticmethod
    def _is_modifier(a: Analysis, mention: Mention) -> bool:
        """Return whether a mention qualifies the noun after it ("Customer Personal Data", "Licensee Content"), so
        names no one who acts."""
        return mention.end < len(a.tokens) and a.tokens[mention.end].is_title and \
            a.tokens[mention.end].lower_ not in MODAL_WORDS

    @staticmethod
    def _done_by_supplier(rules: Rules, a: Analysis) -> bool:
        """Return whether one of the safeguard's features is a verb whose agent is the supplier ("must be renewed by
        the Licensor")."""
        ends = {end for found in a.feats.get(rules.sid, {}).values() for _, end, _ in found}
        for m in a.mentions:
            k = Judge._before(a, m.start)
            if m.role == "supplier" and k > 0 and a.tokens[k].lower_ == "by" and k in ends:
                return True
        return False

    @staticmethod
    def _follows_cue(a: Analysis, mention: Mention) -> bool:
        """Return whether a mention opens the clause a cue introduces ("on the condition that the Customer uses")."""
        k = Judge._before(a, mention.start)
        return any(k <= c[1] - 1 < mention.start for c in a.cues)

    @staticmethod
    def _passive(a: Analysis, cue: tuple) -> bool:
        """Return whether the cue governs a verb in the passive voice ("shall be processed", "will only be deleted");
        not a passive elsewhere ("..., which is incorporated into this Agreement")."""
        tokens = a.tokens
        for k in range(cue[1], min(len(tokens) - 1, cue[1] + 3)):
            if tokens[k].lower_ in BE_WORDS:
                for t in tokens[k + 1:k + 3]:
                    if t.is_alpha and len(t) > 3 and t.lower_.endswith(("ed", "en")):
                        return True
        return False

    @staticmethod
    def _passive_about_other(rules: Rules, a: Analysis) -> bool:
        """Return whether a passage is in the passive voice ("... shall only be used for ...") with a subject that holds
        none of the safeguard's `impersonal` features: "The defined terms shall only be used for the construction of
        this Agreement" binds no one to an end use; "The System shall not be used ..." does."""
        tokens = a.tokens
        passive = next((k for k in range(2, len(tokens)) if tokens[k].lower_ in PASSIVE_USE
                        and (tokens[k - 1].lower_ in BE_WORDS or tokens[k - 2].lower_ in BE_WORDS)), None)
        if passive is None or not a.cues:
            return False
        first = min(passive, a.cues[0][0])
        if not any(t.is_alpha for t in tokens[:first]):
            return False  # "Used only for ...": no subject to judge
        feats = a.feats.get(rules.sid, {})
        return not any(start < first for label in rules.impersonal for start, _, _ in feats.get(label, ()))

    @staticmethod
    def _denied(a: Analysis, anchor: int) -> bool:
        """Return whether a negator stands right before a feature ("no kill switch", "without any audit"), not at the
        head of the sentence ("No audit shall take place more than once a year" limits a right that exists)."""
        k = Judge._before(a, anchor)
        if k < 0 or a.tokens[k].lower_ not in NEGATORS:
            return False
        return any(t.is_alpha and len(t) > 1 for t in a.tokens[:k])

    @staticmethod
    def _agent(a: Analysis, anchor: int) -> str:
        """Return the role of the party named right before "to" and the feature ("an ability of Customer to
        terminate", "permit Licensor to audit", "Customer's right to terminate"), or ""."""
        mention = next((m for m in reversed(a.mentions) if m.end <= anchor), None)
        if mention is None or not 0 < anchor - mention.end <= 6 or a.tokens[anchor - 1].lower_ != "to":
            return ""
        if any(t.lower_ not in AGENT_WORDS for t in a.tokens[mention.end:anchor]):
            return ""
        k = Judge._before(a, mention.start)
        if k >= 0 and a.tokens[k].norm_ in REQUIRE_WORDS:
            return ""  # "may require the Customer to certify": the one who requires holds the right
        return mention.role

    @staticmethod
    def _is_object(a: Analysis, mention: Mention) -> bool:
        """Return whether a mention is the object of a preposition ("to the Customer"), so not a subject."""
        k = mention.start - 1
        while k >= 0 and a.tokens[k].lower_ in DETERMINERS:
            k -= 1
        return k >= 0 and a.tokens[k].lower_ in OBJECT_MARKERS

    @staticmethod
    def _named(a: Analysis) -> list[Mention]:
        """Return the mentions that name a contract party: its defined terms and we/you, not a generic role word
        ("a hosting provider")."""
        return [m for m in a.mentions if m.defined or a.tokens[m.start].lower_ in PARTY_PRONOUNS]

    @staticmethod
    def _party_labels(a: Analysis) -> set[str]:
        """Return names_supplier / names_recipient when the passage names that party, and by_supplier for
        "... by the Licensor" (the supplier as the agent of a passive verb)."""
        out = set()
        for m in Judge._named(a):
            if m.role == "supplier":
                out.add("names_supplier")
                k = Judge._before(a, m.start)
                if k >= 0 and a.tokens[k].lower_ == "by":
                    out.add("by_supplier")
            elif m.role == "recipient":
                out.add("names_recipient")
        return out

    @staticmethod
    def _other_ground(rules: Rules, combo: tuple[str, ...], own, a: Analysis) -> bool:
        """Return whether a downgrade that is a ground (`grounds:` in safeguards.yaml) stands beside another one: a
        `trigger` feature of the passage outside every place of that ground and the few words before it, and not
        pointing back to it ("breach of its payment obligations" and "fails to pay ... notice of its default" are
        one ground; "fails to pay when due or breaches Section 3" two)."""
        if len(combo) != 1 or combo[0] not in rules.grounds:
            return False
        places = [(start, end) for start, end, _ in own.get(combo[0], [])]
        return any(all(not start - GROUND_WINDOW <= t < end for start, end in places)
                   and not (t > 0 and a.tokens[t - 1].lower_ in BACK_REFERENCES)
                   for t, _, _ in own.get("trigger", []))

    @staticmethod
    def _receives(a: Analysis, mention: Mention) -> bool:
        """Return whether a party is the one given something in the passive voice ("Client will be provided with")."""
        after = [t.lower_ for t in a.tokens[mention.end:mention.end + 4]]
        return any(word in BE_WORDS and nxt in RECEIVE_WORDS for word, nxt in zip(after, after[1:]))

    @staticmethod
    def _opens_with_supplier(a: Analysis) -> bool:
        """Return whether a passage opens with the supplier as its subject ("(c) NVIDIA decides ...", "WLI's
        continued performance ...") and never names the recipient."""
        named = Judge._named(a)
        if not named or named[0].role != "supplier" or any(m.role == "recipient" for m in named):
            return False
        return all(not t.is_alpha or len(t) <= 3 and t.lower_ in OPENING_WORDS for t in a.tokens[:named[0].start])

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
                if mention.end <= limit and not mention.possessive and not Judge._is_object(a, mention) \
                        and not Judge._is_modifier(a, mention):
                    subject = Judge._joined_role(a, mention)
                    break
            if subject is not None:
                break
        if subject is None:  # passive voice: "... may not be assigned by the Licensee"
            for mention in a.mentions:
                k = Judge._before(a, mention.start)
                # the agent follows the feature or the verb: "shall be processed by the Processor only for ..."
                near = 0 < mention.start - anchor <= 12 or 0 < mention.start - cue[0] <= 8
                if near and k >= 0 and a.tokens[k].lower_ == "by":
                    subject = mention.role
                    break
        return cue, subject

    @staticmethod
    def _joined_role(a: Analysis, mention: Mention) -> str:
        """Return mutual when a subject is joined to the other side's name ("Neither Newegg nor Allied shall ...",
        "Licensor and Licensee shall ..."), else the mention's role."""
        k = mention.start - 1
        if k < 1 or a.tokens[k].lower_ not in ("nor", "and", "or"):
            return mention.role
        other = next((m for m in a.mentions if m.end in (k, k - 1) and not m.possessive), None)
        if other is None or Judge._is_object(a, other):  # "the rights of PrimeCall and DeltaThree shall ..."
            return mention.role
        return "mutual" if {mention.role, other.role} == {"supplier", "recipient"} else mention.role

    @staticmethod
    def _attribute(rules: Rules, role: str, modality: str, a: Analysis, cue, anchor: int) -> tuple[str, str]:
        """Return ok, weak, other (binds the wrong party) or none for a passage's party and modality, with the role
        of the party that holds a right (the supplier in "Customer shall permit Supplier to audit")."""
        if rules.direction == "duty":
            if role == "supplier":
                # the supplier may require the recipient to do it
                if modality == "right" and cue is not None and \
                        any(c[2] == "require" and cue[0] <= c[0] <= anchor for c in a.cues):
                    return "ok", role
                return "other", role
            if modality == "right":
                return "weak", role  # "may ..." is a permission, not a duty
            return "ok", role
        # right: the supplier (or either party) holds it, or the recipient is bound to submit to it
        actor = role
        if cue is not None:  # "shall permit the Licensee to audit": the right belongs to the one permitted
            inside = [m for m in a.mentions if cue[0] < m.start < anchor and not m.possessive]
            if inside and any(t.norm_ in ("permit", "allow", "enable", "authorize", "entitle", "grant", "let")
                              for t in a.tokens[cue[0]:inside[-1].start]):
                actor = inside[-1].role
        actor = Judge._agent(a, anchor) or actor
        if actor == "supplier":  # its own right, one the recipient must grant it ("shall permit Supplier to audit"), or
            # an act in its hands ("must be renewed by the Licensor")
            granted = actor != role or Judge._done_by_supplier(rules, a)
            return ("ok" if modality in ("right", "none") or (granted and modality != "prohibit") else "none"), actor
        if actor in ("mutual", "unknown", "none"):
            return ("none" if (actor == "mutual" and modality == "prohibit") else "ok"), actor
        # the recipient: bound to submit to it, or doing it itself (the wrong way round: "the Customer cancels")
        if actor == role and modality in ("binding", "prohibit", "weak", "empty"):
            subject = next((m for m in reversed(a.mentions) if m.end <= anchor and not m.possessive), None)
            if modality != "prohibit" and subject is not None and subject.role == "recipient" and \
                    anchor - subject.end <= 3 and \
                    not any(t.norm_ in SUBMIT_VERBS for t in a.tokens[subject.end:anchor + 1]):
                return "other", actor
            if subject is not None and subject.role == "recipient" and Judge._receives(a, subject):
                return "other", actor  # "Client will be provided upon request with documentation": it receives
            return "ok", actor
        return "other", actor

    # -- findings --------------------------------------------------------------------------------------------
