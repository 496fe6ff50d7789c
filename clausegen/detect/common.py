"""What every step of the detector shares: its constants, the passage and verdict records, small helpers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from clausegen.model import Section
from clausegen.ingest.structure import follows


LOWER = NORM = 0  # replaced by spacy.attrs.LOWER and NORM when the detector is built (spaCy is imported lazily)

LEXICON_FILE = "lexicon.yaml"
DETECTION_KEYS = {"direction", "modality", "patterns", "core", "partial", "elements", "exclude", "downgrade",
                  "downgrade_nearby", "grounds", "reference", "fuzzy_upgrade", "third_party", "any_party", "impersonal",
                  "masks"}
PATTERN_KEYS = {"label", "pattern", "id"}
DIRECTIONS = ("duty", "right")
MODALITIES = ("required", "optional", "fact")
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
# "an ability of Customer to terminate", "Customer's right to audit": the party named right before "to VERB" acts
AGENT_WORDS = {"'s", "’s", "'", "right", "rights", "option", "ability", "election", "entitlement", "power", "authority",
               "to", "the", "sole", "exclusive", "absolute", "discretion", "a", "an", "its"}
REQUIRE_WORDS = {"require", "request", "ask", "direct", "instruct", "cause", "oblige", "obligate", "compel", "demand"}
NEGATORS = {"no", "without", "never", "nor", "non"}  # "contains no kill switch": the feature right after is denied
UNBOUND_CUES = ("imperative", "we_do_not_allow")  # cue ids that bind the reader although no party is named
MODAL_WORDS = {"shall", "will", "may", "must", "can", "should", "agrees", "agree", "is", "are", "has", "hereby"}
BE_WORDS = {"be", "is", "are", "been", "being"}
PASSIVE_USE = {"used", "utilized", "utilised", "employed", "deployed", "operated", "exploited", "accessed"}
DETERMINERS = {"the", "a", "an", "any", "each", "such", "its", "their", "every", "all", "that", "this"}
OBJECT_MARKERS = {"to", "with", "for", "from", "against", "of", "by", "than", "upon", "on", "between", "among"}
DEFAULT_FUZZY_UPGRADE = 88.0
MAX_UNIT_CHARS = 1500
# a clause heading in capitals run into the text of its first sub-clause: "7. BREACH / TERMINATION 7.1 Notice ..."
INLINE_HEADING_RE = re.compile(r"(?:ARTICLE\s+)?\d{1,2}\.?\s+[A-Z][A-Z0-9 /&,'’-]{2,80}?\s+(?=\d{1,2}\.\d{1,2}\.?\s)")
QUOTE_CHARS = 1200  # a quote longer than this (a run-on paragraph) is cut at a word
EVIDENCE_PER_FINDING = 3
BATCH = 12  # passages tokenized together
WEAK_WINDOW = 12  # tokens around a feature in which a soft cue ("reasonable efforts", "should") weakens it

WORD_RE = re.compile(r"[a-z0-9]+")
# a cure period expressly denied ("No cure period applies", "without notice or any opportunity to cure"), not a
# breach that is "not cured within 30 days" and not "without prejudice to any other right or remedy"
NO_CURE_RE = re.compile(r"\b(?:no|without)\s+(?:(?:any|further|prior|notice|or|and|an?|the|opportunity|right|chance|"
                        r"need|obligation|period|to|for)\s+){0,6}(?:cure|grace)\b|\bno\s+remedy\s+period|"
                        r"\bnot\s+(?:be\s+)?(?:entitled|subject)\s+to\s+(?:a\s+|any\s+)?(?:cure|grace|remedy)\s+period",
                        re.IGNORECASE)
SPACES_RE = re.compile(r"\s{2,}|[\t\n\r\f\v]")
# bytes that are not [a-z0-9] become spaces: see runs_text
RUN_TABLE = bytes(b if chr(b) in "abcdefghijklmnopqrstuvwxyz0123456789" else 32 for b in range(256))
ITEM_RE = re.compile(r"^\s*(?:[-*•●▪◦–]\s+|o\s+(?=[A-Za-z])|\(\s*(?:[a-zA-Z]|[ivxIVX]{1,5}|\d{1,2})\s*\)\s*"
                     r"|(?:[a-zA-Z]|[ivx]{1,5})\)\s+)")  # "o ": Word's second-level bullet
NUMBERED_RE = re.compile(r"^\s*(?:\d{1,2}\.\s+)")
# "(" after a space or ; : , -- written with the "(" first, which the regex engine scans for quickly (_items never
# uses a marker at the very start of the text, the one place a "(" may follow nothing)
INLINE_ITEM_RE = re.compile(r"\((?<=[\s;:,]\()\s*(?:[a-z]|[ivx]{1,5}|\d{1,2})\s*\)\s+(?=\S)")
# a numbered item run into its lead-in's line: "Vendor agrees: 4.1. To provide ...; 4.2. To display ..."
INLINE_NUMBER_RE = re.compile(r"[;:]\s+(\d{1,2}(?:\.\d{1,2}){0,3}\.)\s+(?=[A-Z])")
# the first character is matched outside the alternatives, as a set the regex engine scans for quickly; each
# alternative then checks which one it was; group "end" holds the closing quotes and brackets after [.!?]
BOUNDARY_RE = re.compile(
    r"[.!?\n](?:(?<=[.!?])(?P<end>[\"'”’)\]]*)(?:(?P<gap>[ \t]{3,}|[ \t]*\n[ \t]*\n)\s*|\s+)"
    r"(?=[\"'“‘(\[]?(?:[A-Z0-9(]|[a-z][A-Z]))"  # sentence end
    r"|(?<=\n)[ \t]*\n\s*+(?![a-z]|Source: [^\n]{1,120}, \d{1,2}/\d{1,2}/\d{4}\s*\n\s*[a-z])"  # a blank line, unless a
    # sentence goes on after it, or after the page footer of a filing: a page break
    # a line break before a list item or heading
    r"|(?<=\n)(?=[ \t]*(?:[-*•●▪◦–][ \t]|o[ \t]+[A-Za-z]|\(?[a-zA-Z0-9ivx]{1,4}[.)][ \t]|#)))"
)
# a paragraph or heading without a colon that still opens a list: "You agree that you will not", "Do not", "Don't"
OPEN_LEAD_RE = re.compile(r"\b(?:not|never|don[’']t|shall|must|will|agrees?\s+to|undertakes?\s+to|that)\s*$",
                          re.IGNORECASE)
LEAD_END_RE = re.compile(r"(?:[:;,—-]|\b(?:to|not|shall|will|must|may|that|following|agrees?|undertakes?|"
                         r"warrants?|and|or))\s*$", re.IGNORECASE)
DEFINITION_RE = re.compile(r"[\W\d]*(?:\(?[a-z]{1,3}\)\s*)?"
                           r"(?i:(?:for\s+(?:the\s+)?purposes?\s+of\s+this\s+\w+|as\s+used\s+(?:herein|in\s+this\s+\w+))"
                           r"\s*,?\s*)?"  # "For purposes of this Agreement, "Confidential Information" shall mean"
                           r"[\"“”*]+[^\"“”]{1,60}[\"“”*]+\s*(?:\([^)]{0,40}\)\s*)?"
                           r"(?:shall\s+mean|means|has\s+the\s+meaning|refers\s+to|shall\s+have\s+the\s+meaning)\b")
# a line that ends with ":" opens a list written one item per line; in such a list, a line that ends with ";" (or
# "; or", "; and") ends its item when the next line starts a new one with a capitalised word (not a marker such as
# "(b)": those items are inline ones; not a lower-case word: that line goes on with the same item)
LIST_LEAD_RE = re.compile(r"[:—][ \t\xa0]*\n")
LIST_LINE_RE = re.compile(r"[:—][ \t\xa0]*\n(?![ \t\xa0]*\(?[a-zA-Z0-9]{1,4}[.)][ \t\xa0])"
                          r"|(?:;|[;,][ \t\xa0]*(?:or|and))[ \t\xa0]*\n(?=[ \t\xa0]*[A-Z][a-z])")
# a line that opens a new clause, not another item of the list above it: a number ("12.", "4.2"), a run-in heading
# ("Ownership.  Juniper retains ...": capitalised words, a period, two spaces) or a title line ("Definitions.")
NEW_CLAUSE_RE = re.compile(r"[ \t\xa0]*(?:\d{1,2}(?:\.\d{1,2})*\.?[ \t\xa0]"
                           r"|[A-Z][\w'’&/-]*(?:[ \t]+(?:[A-Z][\w'’&/-]*|and|or|of|on|for|to|in|with|by))*"
                           r"(?:[.:][ \t\xa0]{2,}|[.:]?[ \t\xa0]*(?:\n|$)))")
AND_OR_END_RE = re.compile(r"\b(?:or|and)\W*$")
ITEM_LIMIT = 20  # unmarked lines after a lead-in that can be its items
# "You must follow those rules": the sentence points back to the one before it, which names the rules
BACK_REFERENCE_RE = re.compile(r"\b(?:those|such|these|said|the\s+same)\s+(?:rules|laws|regulations|restrictions|"
                               r"requirements|controls|sanctions|policies|obligations)\b", re.IGNORECASE)
# a heading that forbids: "Do Not Compromise Privacy"
PROHIBITION_HEADING_RE = re.compile(r"[\W\d]*(?:do\s+not|don[’']t|never)\s+[A-Za-z]", re.IGNORECASE)
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
    downgrade_nearby: list[tuple[str, ...]]  # those that also weaken from the next sentence or the items below
    grounds: set[str]  # downgrade labels that weaken only as the passage's sole ground for its `trigger` features
    core_element: str
    element_ids: list[str]
    references: list[str]
    fuzzy_upgrade: float
    third_party: set[str] = field(default_factory=set)
    any_party: set[str] = field(default_factory=set)
    impersonal: set[str] = field(default_factory=set)  # a passage that binds no named party needs one of these
    masks: dict[str, set[str]] = field(default_factory=dict)  # label -> the labels it hides inside its own matches
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
    governed: bool = False  # the feature follows its cue closely ("may audit", not "if such audit shows ..., pay")
    titled: bool = False  # the passage sits under a heading that names the safeguard's topic
    downgrade: int = -1  # the position in `downgrade` of the combination that weakened it, which ranks its quote


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


def is_sibling(lead: Section, section: Section, first_item: Section | None = None,
               previous: Section | None = None, deeper: bool = False) -> bool:
    """Return whether a numbered section is a clause beside (or above) a lead-in, not an item of its list: "16.3" or
    "17.1" after "16.2 ... the following:"; "4" after "3 ... terminate if:" when its first item was "(a)", not "4";
    not "2" after the list's item "1" (numbering that restarts under "1. ... such as:")."""
    if previous is not None and previous.number and section.number and follows(previous.number, section.number):
        return False
    lead_marker, marker = ITEM_RE.match(lead.text), ITEM_RE.match(section.text)
    if lead_marker and marker and not lead.number and not deeper \
            and lead_marker.group().strip() == marker.group().strip():
        return True  # "• use the Services to:", "  o track people", "• resell the Services": the next "•"
    if first_item is not None and lead.number and section.number and follows(lead.number, section.number) and \
            not follows(lead.number, first_item.number):
        return True
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
