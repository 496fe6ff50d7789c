"""The detector: the steps put together, and the cached entry points."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from clausegen.model import Document, Finding, Section
from clausegen.detect.common import Analysis, BATCH, Hit, Parties, Unit
from clausegen.detect.validate import lexicon_path
from clausegen.detect.matching import Bag, Sketch, runs_text
from clausegen.detect.build import Builder
from clausegen.detect.parties import PartyFinder
from clausegen.detect.candidates import CandidateFinder
from clausegen.detect.scoring import Judge
from clausegen.detect.status import StatusMaker
from clausegen.detect import scorer


class Detector(Builder, PartyFinder, CandidateFinder, Judge, StatusMaker):
    """Compiled rules of one library version, and the review of a document with them."""

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
        def ancestors(j: int) -> list[int]:
            """Return the lead-ins above section j, nearest first (three at most: lists nest)."""
            out = []
            while j in leads and len(out) < 3:
                j = leads[j]
                out.append(j)
            return out

        candidates, section_allowed = [], {}
        for j in range(len(sections)):
            own = sketch_of(j)
            if not own.rough:
                continue
            allowed = self.confirm(own, [sketch_of(k) for k in ancestors(j)])
            if allowed:
                candidates.append(j)
                section_allowed[j] = allowed | self.cue_bits
        # 2. their passages, and the passages that introduce list items
        units: list[Unit] = []
        ranges: dict[int, tuple[int, int]] = {}
        for j in sorted(set(candidates) | {k for j in candidates for k in ancestors(j)}):
            found = self.section_units(doc, j, recitals)
            base = len(units)
            for unit in found:
                if unit.lead is not None:
                    unit.lead += base
            units.extend(found)
            ranges[j] = (base, len(units))
        for j in ranges:
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
        # 4. analyse every passage that can reach a combination, in small batches, and judge it for each safeguard
        # it can reach: a safeguard's verdict and evidence depend on its own rules only (an early stop once one
        # safeguard had enough evidence made another's quotes depend on which passages the first had asked for)
        hits: dict[str, list[Hit]] = {sid: [] for sid in self.rules}
        analyses: dict[int, Analysis] = {}
        pending = sorted(reach)
        for start in range(0, len(pending), BATCH):
            batch = pending[start:start + BATCH]
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
                    hit = self.judge(self.rules[sid], units[i], i, analysis, leads)
                    if hit is not None:
                        hits[sid].append(hit)
        for sid, rules in self.rules.items():
            for hit in hits[sid]:
                if hit.level == "present" and rules.downgrade_nearby:
                    weakened = self.weakened_nearby(rules, units[hit.unit], doc, spaced, lead_of)
                    if weakened is not None:
                        hit.level, hit.note, hit.downgrade = "partial", "downgraded", weakened
        model = scorer.active()
        if model is not None:  # the learned scorer vetoes a finding when it finds all its passages very unlikely
            for sid in hits:
                counted = [h for h in hits[sid] if h.level in ("present", "partial")]
                if counted and model.covers(sid) and all(model.vetoes(sid, scorer_text(text, units, h.unit))
                                                         for h in counted):
                    for hit in counted:  # kept, so the explanation can quote what was set aside
                        hit.level = "unlikely"
        titles: dict[str, Sketch] = {}

        def titled(i: int, sid: str) -> bool:
            """Return whether a passage sits under a heading that names the safeguard's topic ("Audit")."""
            title = sections[units[i].section_pos].heading
            if not title:
                return False
            if title not in titles:
                titles[title] = self.sketch(Bag(runs_text(title.lower()).split()))
            found = titles[title]
            return bool(found.rough & self.topic_mask[sid]) and any(self.holds(found, b) for b in self.topic_bits[sid])

        for sid in hits:
            for hit in hits[sid]:
                if hit.level in ("present", "partial"):
                    hit.titled = titled(hit.unit, sid)
        findings = {}
        headings = [j for j, sec in enumerate(sections) if sec.kind == "heading"]
        for sid, rules in self.rules.items():
            heading = None
            if not any(h.level in ("present", "partial", "other", "recital", "negated", "unlikely") for h in hits[sid]):
                topics = self.topic_bits[sid]
                heading = next((j for j in headings if sketch_of(j).rough & self.topic_mask[sid]
                                and any(self.holds(sketch_of(j), label) for label in topics)), None)
            findings[sid] = self.finding(rules, hits[sid], units, doc, parties, heading)
        return findings, parties


def scorer_text(text: str, units: list[Unit], i: int) -> str:
    """Return what the scorer reads of a passage: the passage, after the sentence that introduces it if any."""
    unit = units[i]
    lead = units[unit.lead] if unit.lead is not None else None
    return (text[lead.start:lead.end] + " " if lead is not None else "") + text[unit.start:unit.end]


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
