"""Parties and modality: who the contract's parties are, and who each passage binds (party mentions)."""

from __future__ import annotations

from collections import Counter
import re

from clausegen.detect.common import (AND_NAME_RE, BETWEEN_RE, COMPANY_RE, MEANS_RE, NAME_RE, PAREN_RE, PREAMBLE_CHARS,
                                     Parties, QUOTED_RE, RECITAL_START_RE, REFERRED_RE, TITLE_NAME_RE)


class PartyFinder:
    """Find the parties of a contract and their mentions in a passage."""

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
                    # the name the definition gives ('"Distributor" means Siemens, its Affiliates'), not one it
                    # mentions ('"End User" means an agency ... approved by Corvane')
                    if role and name not in roles and re.match(r"\W*(?:the\s+)?" + re.escape(name) + r"\b", definiens):
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
            if found.start() > PREAMBLE_CHARS and self._names_party(text, 0, PREAMBLE_CHARS):
                break  # terms of service that open with '(the "Company" or "we")': their opening names the parties
            window = (found.end(), min(len(text), found.end() + 1500))
            if any(QUOTED_RE.search(m.group(1)) for m in PAREN_RE.finditer(text, *window)) or \
                    REFERRED_RE.search(text, *window):
                match = found  # '(the "Licensee")' after it, not "(as defined below)"
                break
        start = max(0, match.start() - 1500) if match else 0
        end = min(len(text), start + PREAMBLE_CHARS)
        recitals = RECITAL_START_RE.search(text, match.end() if match else start, end)
        return text[start:recitals.start()] if recitals else text[start:end]

    def _names_party(self, text: str, start: int, end: int) -> bool:
        """Return whether a parenthesis in text[start:end] defines a party by a pronoun or role word ('("we")')."""
        for paren in PAREN_RE.finditer(text, start, end):
            for term in QUOTED_RE.findall(paren.group(1)):
                term = term.strip().lower()
                if term in self.pronouns or term in self.role_words:
                    return True
        return False

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
        if len(lowered) != len(text):  # lower() moved offsets: no spelling to copy
            return best
        # as the text spells it most often ("GoodData", not the "GOODDATA" of a title line)
        spellings = Counter(text[m.start():m.end()] for m in re.finditer(re.escape(best), lowered))
        return max(spellings, key=spellings.get) if spellings else best

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
