"""Status and evidence: the document-level finding of each safeguard, its quotes and its explanation."""

from __future__ import annotations

import re

from clausegen.model import Document, Evidence, Finding, Section
from clausegen.detect.common import (EVIDENCE_PER_FINDING, Hit, Parties, QUOTE_CHARS, Rules, Unit, normalise_for_fuzz,
                                     rule_name, section_label, short_quote, sorted_words)

# words that make a list item bind by itself, without its lead-in
MODAL_RE = re.compile(r"\b(?:shall|will|must|may|agrees?|undertakes?|cannot|not|never|is\s+entitled|"
                      r"has\s+the\s+right)\b", re.IGNORECASE)

# an inline list item that ends like this is complete ("... objectionable;", "... at support; and"); one that ends
# on a word ("in violation of") goes on in the list nested in it
ITEM_DONE_RE = re.compile(r"(?:[^\w\s]|[;,]\s*(?:and|or))\s*$")

# a passage cut off mid-phrase (a page break in filed or PDF text: "Owner reserves the right to inspect the")
CUT_RE = re.compile(r"\b(?:the|a|an|of|to|in|for|and|or|by|with|on|at|its|their|any|such|that|from)"
                    r"\s*(?:\n\s*\d{1,4}\s*)?$", re.IGNORECASE)  # perhaps with the page number after it


def cut_short(text: str, start: int, end: int) -> bool:
    """Return whether a quote from start to end would stop mid-phrase ("... the right to inspect the")."""
    start = max(start, end - 20)
    return bool(CUT_RE.search(text, start, end)) and not ITEM_DONE_RE.search(text, start, end)


class StatusMaker:
    """Turn passage verdicts into a Finding with ranked evidence and plain words."""

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
        # the passage that decided comes first: a core combination (among weakened ones, the weakening listed
        # first in `downgrade`: a breach ground with a cure period before non-payment), binding a named party (or
        # "neither party"; a passage under its topic's heading may be passive: "may not be assigned by any party"),
        # quoted whole (not an item cut off from the lead-in that binds, not cut mid-phrase), the strongest
        # combination (the order of `core`), under a heading that names the topic ("Assignment"), its feature
        # governed by its cue ("may audit", not "if such audit shows ..., pay"), closest to the library's own
        # wording (unrounded: rounded to tens, most passages tied), covering the most elements
        ends = {h.unit: self.item_end(doc.text, units, h.unit) for h in best}  # where each quote ends
        best.sort(key=lambda h: (h.combo not in rules.core, h.downgrade,
                                 rules.partial.index(h.combo) if h.combo in rules.partial else -1,
                                 h.role == "none" and h.cue_id != "no_party_may" and units[h.unit].lead is None
                                 and not h.titled,
                                 self.loses_lead(doc.text, units, h.unit), cut_short(doc.text, units[h.unit].start,
                                                                                     ends[h.unit]),
                                 rules.core.index(h.combo) if h.combo in rules.core else -1,
                                 not h.titled, not h.governed, -h.fuzzy, -len(h.elements), h.unit))
        evidence, indexes = [], []
        seen_sections: set[int] = set()
        for hit in best:
            if len(evidence) == EVIDENCE_PER_FINDING:
                break
            unit = units[hit.unit]
            section = doc.sections[unit.section_pos]
            lead = units[unit.lead] if unit.lead is not None else None
            quote = self.evidence(doc, unit, section, lead, ends[hit.unit])
            if any(e.start <= quote.start and quote.end <= e.end or quote.start <= e.start and e.end <= quote.end
                   for e in evidence):
                continue  # the same words again (two items of one list quoted with their lead-in): one quote
            evidence.append(quote)
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
        deciding = best[0] if best else next((h for h in hits if h.level in ("other", "negated", "unlikely")), None)
        fired = [rule_name(rules, deciding)] + deciding.rule_ids if deciding is not None else []
        if deciding is not None and deciding.level == "unlikely":
            fired.append("scorer.veto")
        found = ([rules.core_element] if status == "present" else []) + [e for e in rules.element_ids if e in covered]
        return Finding(rules.sid, status, round(min(score, 1.0), 3), evidence, missing_elements, explanation,
                       section_indexes=indexes, rules=fired, elements_found=found if status != "missing" else [])

    @staticmethod
    def loses_lead(text: str, units: list[Unit], i: int) -> bool:
        """Return whether a list item that binds nobody by itself is too far below its lead-in to be quoted with
        it: its quote would lack the words that bind ("Licensee shall not: ... (g) reverse engineer it")."""
        unit = units[i]
        if unit.lead is None or (units[unit.lead].start < unit.start
                                 and unit.end - units[unit.lead].start <= QUOTE_CHARS):
            return False
        return not MODAL_RE.search(text, unit.start, unit.end)

    @staticmethod
    def item_end(text: str, units: list[Unit], i: int) -> int:
        """Return where an inline list item ends with the list nested in it: "(d) ... in violation of" is cut
        before "(i) any order ..., or (ii) any law ...", which the quote must keep."""
        j = i
        while units[j].inline and j + 1 < len(units) and units[j + 1].inline and \
                units[j + 1].section_pos == units[j].section_pos and units[j + 1].lead == units[i].lead and \
                not ITEM_DONE_RE.search(text, max(units[j].start, units[j].end - 8), units[j].end) and \
                units[j + 1].end - units[i].start <= QUOTE_CHARS:
            j += 1
        return units[j].end

    @staticmethod
    def evidence(doc: Document, unit: Unit, section: Section, lead: Unit | None = None,
                 end: int | None = None) -> Evidence:
        """Return the quote of a passage (up to `end` when its sentence goes on past it), whole, with the sentence
        that introduces it when it is a list item close below it ("You will not: ... (c) use the Software to
        ..."), and its location."""
        start, end = unit.start, end or unit.end
        if lead is not None and lead.start < start and end - lead.start <= QUOTE_CHARS:
            start = lead.start
        if end - start > QUOTE_CHARS:
            cut = doc.text.rfind(" ", start, start + QUOTE_CHARS)
            end = cut if cut > start else start + QUOTE_CHARS
        text = doc.text[start:end]
        return Evidence(text, start, end, section_label(section), page=section.page)

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
                    # a right the recipient must submit to ("Customer shall permit audits") binds the recipient
                    verb = f"gives {bound} the right" if rules.direction == "right" and hit.role != "recipient" \
                        else f"binds {bound}"
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
        unlikely = [h for h in hits if h.level == "unlikely"]
        if unlikely:
            return (f"{head} {quote(unlikely[0])} uses words of the topic, but reads as another kind of clause "
                    f"(the learned scorer); nothing says that {core}.")
        recital = [h for h in hits if h.level == "recital"]
        if recital:
            return f"{head} Only a recital{where(recital[0])} mentions it; recitals bind nobody."
        return f"{head} Nothing in the document says that {core}."
