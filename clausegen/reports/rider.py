"""The reviewer's rider: the required safeguards a reviewed contract lacks, drafted from the library as a DOCX
rider that names the parties the way the reviewed contract does."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from clausegen import generate as gen
from clausegen.library import load_document_templates
from clausegen.model import Clause, Library, Review

PRONOUNS = {"we", "us", "our", "you", "your", "i", "me", "they", "them", "it"}
PLACEHOLDER_NAMES = {"supplier": "[name of the supplier]", "recipient": "[name of the recipient]"}
PLACEHOLDER_PURPOSE = "[the authorised purpose agreed for the Product]"
# Role nouns a contract defines its parties by are the lexicon's party role words (`roles:` of lexicon.yaml). The
# clauses say "the {{ supplier_term }}", so only such a noun can be the rider's term; a name the contract uses
# instead ("Juniper") names the party, and the rider keeps its role. These two are role nouns too, but of either
# side ("the Company" sells in one contract and buys in another), so the lexicon, which maps a word to its side,
# cannot list them.
SIDELESS_ROLE_WORDS = frozenset({"company", "agency"})


def gaps(review: Review) -> list[Any]:
    """Return the findings the rider must cure: required safeguards that are not present."""
    return [f for f in review.findings if f.required and f.status != "present"]


def standard_clause(library: Library, safeguard: str) -> Clause | None:
    """Return the library's standard clause for a safeguard that may appear in a rider."""
    candidates = [c for c in library.clauses.values()
                  if c.provides and c.provides[0] == safeguard and "rider" in c.kinds]
    candidates.sort(key=lambda c: (c.strictness != "standard", c.id != f"{safeguard}_standard", c.order, c.id))
    return candidates[0] if candidates else None


def rider_selection(review: Review, library: Library) -> list[tuple[Clause, list[str]]]:
    """Return the clauses for the gaps, in document order, each with why it is there."""
    source = Path(review.document).name
    chosen: dict[str, tuple[Clause, list[str]]] = {}
    for finding in gaps(review):
        clause = standard_clause(library, finding.safeguard)
        if clause is None:
            continue
        reason = f"{finding.safeguard} is {finding.status} in {source}"
        if finding.missing_elements:
            reason += f" (missing: {', '.join(finding.missing_elements)})"
        chosen.setdefault(clause.id, (clause, []))[1].append(reason)
    return sorted(chosen.values(), key=lambda item: (item[0].order, item[0].id))


@lru_cache(maxsize=8)
def role_words(root: str) -> frozenset[str]:
    """Return the supplier and recipient role words of the lexicon of the library at root (read once per library)."""
    from clausegen.detect.validate import load_lexicon  # the reviewer's package: imported when a rider is drafted

    roles = load_lexicon(root).get("roles") or {}
    return frozenset(str(word).lower() for side in ("supplier", "recipient") for word in roles.get(side) or [])


def is_role_noun(term: str, words: frozenset[str]) -> bool:
    """Return whether term is a role noun: a role word, or a term whose last word is one ("Data Provider"), as the
    reviewer reads the lexicon; a sideless word only whole ("Acme Company" is a name)."""
    lowered = term.lower()
    return lowered in words or lowered in SIDELESS_ROLE_WORDS or lowered.rsplit(" ", 1)[-1] in words


def bare_term(value: Any) -> str:
    """Return a defined term without its article ("the Customer" -> "Customer"); "" for a pronoun or a blank."""
    term = re.sub(r"^(the|a|an)\s+", "", str(value or "").strip(), flags=re.IGNORECASE)
    return "" if not term or term.lower() in PRONOUNS or not term[0].isupper() else term


def role_term(value: Any, default: str, words: frozenset[str]) -> str:
    """Return the contract's defined role term when it is a role noun ("Licensee"), else the rider's default."""
    term = bare_term(value)
    return term if term and is_role_noun(term, words) else default


def party_name(value: Any, term_value: Any, role: str, words: frozenset[str]) -> str:
    """Return what the contract calls the party: its name, or the name it is defined by ("Juniper"); the one
    bracketed placeholder of that role when the review found only a role noun or a pronoun."""
    for candidate in (str(value or "").strip(), bare_term(term_value)):
        if candidate and candidate.lower() not in PRONOUNS and not is_role_noun(bare_term(candidate), words):
            return candidate
    return PLACEHOLDER_NAMES[role]


def rider_context(parties: dict[str, Any], template, words: frozenset[str]) -> dict[str, Any]:
    """Return the rider's context from the reviewed contract's parties; placeholders where it says nothing."""
    supplier_term = role_term(parties.get("supplier_term"), template.roles["supplier"], words)
    recipient_term = role_term(parties.get("recipient_term"), template.roles["recipient"], words)
    if supplier_term == recipient_term:
        supplier_term, recipient_term = template.roles["supplier"], template.roles["recipient"]
    context = {
        "supplier": party_name(parties.get("supplier"), parties.get("supplier_term"), "supplier", words),
        "recipient": party_name(parties.get("recipient"), parties.get("recipient_term"), "recipient", words),
        "supplier_term": supplier_term,
        "recipient_term": recipient_term,
        "product": template.product,
        "product_name": parties.get("product_name") or "[product name]",
        "country": parties.get("country") or "[country of use]",
        "agreement": template.agreement,
        "governing_law": "[governing law]",
        "licence_term_months": gen.PLACEHOLDER_TEXT,
        "supplier_country": gen.PLACEHOLDER_TEXT,
        "recipient_country": gen.PLACEHOLDER_TEXT,
        "effective_date": "[date]",
    }
    context.update({name: var.default for name, var in template.variables.items()})
    if parties.get("agreement_title"):
        context["underlying_agreement"] = parties["agreement_title"]
    if parties.get("agreement_date"):
        context["underlying_agreement_date"] = parties["agreement_date"]
    return gen.clean_value(context)


def write_rider(review: Review, library: Library, out_path: str | Path,
                parties: dict[str, Any] | None = None, profile=None) -> gen.GeneratedDocument:
    """Write a rider that adds the missing and partial required safeguards of `review` (standard variants).

    `parties` ({"supplier", "recipient", "supplier_term", "recipient_term"}, optionally "agreement_title",
    "agreement_date", "product_name", "country") defaults to review.parties; what is unknown becomes a
    placeholder or the rider's default roles (Supplier / Customer). The Authorised Purpose and the profile's
    variables come from `profile` (a loaded Profile); without one the purpose is a bracketed placeholder, never
    a clause's sample default.
    """
    out_path = gen.check_output(out_path)
    template = load_document_templates(library, check_render=False)["rider"]
    context = rider_context(dict(parties if parties is not None else review.parties or {}), template,
                            role_words(str(library.root)))
    selection = rider_selection(review, library)
    overrides = gen.profile_overrides(profile) if profile is not None else {}
    overrides.setdefault("authorized_purpose", PLACEHOLDER_PURPOSE)
    draft = gen.build_contract(template, selection, context, overrides)
    properties = gen.document_properties(draft.contract, context, "rider", draft.clauses, library,
                                         Path(review.document).name)
    properties["author"] = "clausegen review"
    placement = gen.write_document(draft.contract, out_path, properties, None, None)
    warnings = list(draft.warnings)
    if not selection:
        warnings.insert(0, "no required safeguard is missing or partial: the rider has no operative clause")
    return gen.GeneratedDocument("rider", str(out_path), draft.contract.title, draft.clauses, draft.numbers,
                                 draft.definitions, placement, warnings)
