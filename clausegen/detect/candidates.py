"""Candidates: the passages (sentences, list items) that can hold a safeguard, found cheaply first."""

from __future__ import annotations

import re

from clausegen.model import Document
from clausegen.detect import common
from clausegen.detect.common import (AND_OR_END_RE, Analysis, BACK_REFERENCE_RE, BOUNDARY_RE, CONTINUATION_RE,
                                     CUE_PRIORITY, DEFINITION_RE, FIRST_WORD_RE, INLINE_HEADING_RE, INLINE_ITEM_RE,
                                     INLINE_NUMBER_RE, ITEM_LIMIT, ITEM_RE, LEAD_END_RE, LIST_LEAD_RE, LIST_LINE_RE,
                                     MAX_UNIT_CHARS, Mention, NEW_CLAUSE_RE, NUMBERED_RE, OPEN_LEAD_RE,
                                     PROHIBITION_HEADING_RE, RECITAL_END_RE, RECITAL_START_RE, SHORT_NUMBER_RE,
                                     SPACES_RE, Unit, WORD_BEFORE_RE, is_sibling)
from clausegen.detect.matching import Bag, Columns, Sketch, chain_holds, covers
from clausegen.ingest.structure import NUMBER_WORD_END_RE


class CandidateFinder:
    """Cut a document into passages and keep those whose words can complete a rule."""

    def section_leads(self, doc: Document) -> dict[int, int]:
        """Return, for each section that is a list item, the section that introduces the list (a paragraph or heading
        that ends with ":" or reads as a lead-in: "You agree that you will not", "Do not"). Lists nest: an item that
        ends with ":" opens a list of its own, which ends at the next sibling of that item."""
        text, sections = doc.text, doc.sections
        leads: dict[int, int] = {}
        stack: list[int] = []  # the open lead-ins, outermost first
        last_item: dict[int, int] = {}  # lead-in -> its latest item
        for j, section in enumerate(sections):
            head = text[section.start:section.start + 8]
            if head.startswith("<!--"):
                continue  # markup between a lead-in and its list
            tail = text[max(section.start, section.end - 4):section.end].rstrip()
            opens = tail.endswith((":", "—", ":-")) or OPEN_LEAD_RE.search(text, max(section.start, section.end - 12),
                                                                            section.end)
            if section.kind == "heading":
                # a heading ends every list; one that reads as a lead-in ("Do not", "YOU AGREE THAT YOU WILL NOT:")
                # or forbids ("Do Not Compromise Privacy") opens one
                prohibits = PROHIBITION_HEADING_RE.match(text, section.start, section.end)
                stack = [j] if opens or prohibits else []
                continue
            if not (ITEM_RE.match(head) or section.number.startswith("(") or NUMBERED_RE.match(head)
                    or (stack and section.number)):
                if stack and sections[stack[-1]].kind == "heading" and j == stack[-1] + 1 and opens \
                        and CONTINUATION_RE.match(text, section.start, section.end):
                    leads[j] = stack[-1]  # "Do Not Compromise Privacy" / "This includes using our services to:"
                    stack.append(j)
                    continue
                stack = [j] if opens else []
                continue
            # a new clause ("16.3" after the list of "16.2:") ends the lists it is a sibling of
            while stack:
                top = stack[-1]
                first_item = sections[top + 1] if j > top + 1 else None
                previous = sections[last_item[top]] if top in last_item else None
                deeper = self._indent(text, section.start) > self._indent(text, sections[top].start)
                if not is_sibling(sections[top], section, first_item, previous, deeper):
                    break
                stack.pop()
            if stack and j - stack[-1] <= 40:
                leads[j] = stack[-1]
                last_item[stack[-1]] = j
            if tail.endswith((":", "—", ":-")):  # an item that opens a nested list
                stack.append(j)
        return leads

    @staticmethod
    def _indent(text: str, start: int) -> int:
        """Return how far the line that holds `start` is indented before its first character."""
        line = text.rfind("\n", 0, start) + 1
        return len(text[line:start]) - len(text[line:start].lstrip(" \t\xa0"))

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
        # under a "WITNESSETH" heading, but after "NOW, THEREFORE": the body of the agreement, not its recitals
        if kind == "body" and section.heading.strip().lower() in self.recital_starters \
                and not 0 < recitals[1] <= section.start:
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
                # by where the passage starts: one paragraph may run from the recitals into the agreement
                if kind == "recital" or recitals[0] <= unit.start < recitals[1] or \
                        (first and first.group(1).lower() in self.recital_starters):
                    unit.kind = "recital"
                elif DEFINITION_RE.match(text, unit.start, unit.end):
                    unit.kind = "definition"
            units.extend(items)
        # "These include the following:" continues the sentence before it
        for k in range(1, len(units)):
            piece = text[units[k].start:units[k].end]
            if piece.rstrip().endswith(":") and CONTINUATION_RE.match(piece) and units[k].lead is None:
                units[k].lead = k - 1
        # "You must follow those rules" reads with the sentence before it, which says which rules
        for k in range(1, len(units)):
            if units[k].lead is None and not units[k].inline and units[k - 1].lead is None and \
                    BACK_REFERENCE_RE.search(text, units[k].start, units[k].end):
                units[k].lead = k - 1
        # a sentence that ends with ':' introduces the items that follow it in the same section
        for k in range(1, len(units)):
            if units[k].lead is None and not units[k].inline and \
                    text[units[k - 1].start:units[k - 1].end].rstrip().endswith((":", "—")):
                units[k].lead = k - 1
        if text.find("\n", section.start, section.end) >= 0:
            self._line_items(text, units)
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
        if LIST_LEAD_RE.search(text, start, end):  # a list without markers: "shall not:\nCopy ...;\nSell ..."
            spans = self._list_lines(text, spans)
        out: list[tuple[int, int]] = []
        for s, e in spans:
            while s < e and text[s].isspace():
                s += 1
            while e > s and text[e - 1].isspace():
                e -= 1
            if e <= s:
                continue
            heading = INLINE_HEADING_RE.match(text, s, e)
            if heading:  # the heading apart: its words ("TERMINATION") are not the sub-clause's
                out.append((s, heading.start() + len(heading.group().rstrip())))
                s = heading.end()
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

    @staticmethod
    def _list_lines(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Return the spans cut at each line break that ends an item of a list written one item per line: from a
        line that ends with ":" up to a blank line."""
        out, in_list, previous = [], False, None
        for start, end in spans:
            if previous is not None and text.count("\n", previous, start) > 1:
                in_list = False  # a blank line ends the list
            last = start
            for match in LIST_LINE_RE.finditer(text, start, end):
                if text[match.start()] in ":—":
                    in_list = True
                elif not in_list:
                    continue
                out.append((last, match.end() - 1))
                last = match.end()
            out.append((last, end))
            previous = end
        return out

    @staticmethod
    def _line_items(text: str, units: list[Unit]) -> None:
        """Tie the lines after a lead-in that ends its line with ":" to it, as its items ("You shall not:\nCopy ...;
        \nSell ..."): up to a blank line, a new clause ("12.", "Ownership.  ..."), or the line after one that ends
        with "or" / "and" (the last item)."""
        for k, unit in enumerate(units):
            if not text[unit.start:unit.end].rstrip().endswith((":", "—")) or \
                    not text[unit.end:unit.end + 4].lstrip(" \t\xa0").startswith("\n"):
                continue  # not a lead-in that ends its line
            last, count, final = unit.end, 0, False
            for item in units[k + 1:]:
                gap = text[last:item.start]
                last = item.end
                if "\n" not in gap:
                    continue  # a further sentence of the same line: part of that item
                line_end = text.find("\n", item.start)
                if gap.count("\n") > 1 or count >= ITEM_LIMIT or item.lead not in (None, k) or item.inline \
                        or NEW_CLAUSE_RE.match(text, item.start, len(text) if line_end < 0 else line_end + 1):
                    break
                item.lead, count = k, count + 1
                if final:
                    break
                final = bool(AND_OR_END_RE.search(text, max(item.start, item.end - 6), item.end))

    def _items(self, text: str, start: int, end: int, pos: int) -> tuple[list[Unit], int | None]:
        """Return the units of one sentence and the position of its lead-in: an inline list "(a) ...; (b) ..."
        becomes its lead-in plus one unit per item."""
        item = bool(ITEM_RE.match(text, start, min(end, start + 12)))
        if end - start < 200:
            return [Unit(start, end, pos, item=item)], None
        # not the "(30)" of "thirty (30) days"
        found = [m for m in INLINE_ITEM_RE.finditer(text, start, end) if m.start() > start
                 and not NUMBER_WORD_END_RE.search(text, max(start, m.start() - 16), m.start())]
        markers = [m.start() for m in found]
        numbered = [m.start(1) for m in INLINE_NUMBER_RE.finditer(text, start, end)]
        if len(numbered) >= 2:
            markers = sorted(markers + numbered)
        # one marker starts an item only as a new clause: "..., (b) Either Party may terminate ..."
        if len(markers) < 2 and not (len(found) == 1 and text[found[0].end():found[0].end() + 1].isupper()):
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

    def confirm(self, own: Sketch, leads: list[Sketch]) -> int:
        """Return the labels of the safeguards some combination of which a section (with the sections that
        introduce it: its lead-in, and theirs in a nested list) can complete, checking only the labels of
        combinations its words allow."""
        rough, sure = own.rough, own.sure
        for lead in leads:
            rough, sure = rough | lead.rough, sure | lead.sure
        allowed = 0
        for sid, combos in self.feature_combo_masks.items():
            if not rough & self.sid_mask[sid]:
                continue
            for combo in combos:
                if rough & combo != combo:
                    continue
                rest = combo & ~sure
                while rest:
                    label = rest & -rest
                    if not (self.holds(own, label) or any(self.holds(lead, label) for lead in leads)):
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
            hits = self.phrases(columns[common.NORM])
            gaps = {n for n, regex in self.regex_gates.items() if regex.search(text, unit.start, unit.end)
                    and all(not r.isdisjoint(bag.words) for r in self.requirements[n])}
            for word in bag.words & self.gap_words:
                gaps.update(n for n in self.gap_index[word] if self.could_match(n, bag))
            for number in gaps:
                hits.extend((number, s, e) for s, e in self.gap_matchers[number](columns))
            analyses[i] = self._analysis(tokens, columns[common.LOWER], hits, index, defined)
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
