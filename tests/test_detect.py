"""The detector: sentence tables, party attribution, modality, negation and carve-outs, headings, recitals,
the rule validator and the prefilter's speed-relevant pieces."""

from __future__ import annotations

import copy

import pytest
import yaml

from clausegen.detect import (Columns, PhraseTable, TokenPattern, detect_text, get_detector, phrase_slots,
                              validate_detection)
from clausegen.library import Yaml12Loader
from clausegen.model import SAFEGUARD_IDS, Document, Section
from clausegen.ingest import ingest
from clausegen.review import review_file

from conftest import FIXTURES, REPO

LICENSING = {"supplier": "Licensor", "recipient": "Licensee"}
SUPPLY = {"supplier": "Supplier", "recipient": "Customer"}
YOU_WE = {"supplier": "we", "recipient": "you"}

# (safeguard, expected status, roles, text) - written for these tests, one behaviour per row.
OWN_TABLE = [
    # party attribution: a duty on the supplier does not count; mutual counts; the supplier's right counts
    ("export_control", "present", LICENSING, "The Licensee shall comply with all applicable export control laws."),
    ("export_control", "missing", LICENSING, "The Licensor shall comply with all applicable export control laws."),
    ("export_control", "present", SUPPLY, "Each party shall comply with the export and sanctions laws that apply to it."),
    ("audit_rights", "present", SUPPLY, "The Supplier may audit the Customer's books and records to verify compliance."),
    ("audit_rights", "missing", SUPPLY, "The Customer may audit the Supplier's books and records once a year."),
    ("suspension_termination", "present", SUPPLY,
     "The Supplier may suspend the Services immediately if the Customer breaches Section 4."),
    ("suspension_termination", "missing", SUPPLY,
     "The Customer may terminate this Agreement immediately if the Supplier breaches its warranties."),
    ("transfer_restriction", "present", SUPPLY,
     "Neither party may assign this Agreement without the prior written consent of the other party."),
    ("data_handling", "missing", SUPPLY,
     "The Supplier shall process personal data only on the documented instructions of the Customer."),
    # modality: may / should / reasonable efforts weaken a duty to partial
    ("export_control", "partial", LICENSING,
     "The Licensee shall use reasonable efforts to comply with applicable export control laws."),
    ("end_use", "partial", YOU_WE, "You should use the App only for personal purposes."),
    ("reseller_due_diligence", "partial", {"supplier": "Company", "recipient": "Reseller"},
     "The Reseller may ask its customers about their intended use of the Products."),
    # negation and carve-outs
    ("audit_rights", "missing", SUPPLY, "The Customer is not required to permit any audit or inspection by the Supplier."),
    ("end_use", "partial", SUPPLY,
     "The Customer shall not use the System to monitor journalists, except where such use is authorised by the "
     "authorities of the Territory."),
    ("data_handling", "partial", SUPPLY,
     "The Customer shall keep Intercept Data confidential, provided that nothing herein restricts the Customer from "
     "disclosing it to any authority."),
    # core vs generic wording
    ("end_use", "present", LICENSING,
     "The Licensee shall not use the Software to track or profile individuals because of their political opinions."),
    ("end_use", "partial", LICENSING, "The Licensee shall use the Software for its internal business purposes only."),
    ("suspension_termination", "partial", SUPPLY,
     "Either party may terminate this Agreement if the other party materially breaches it and fails to cure the "
     "breach within thirty (30) days after written notice."),
    ("human_rights", "present", SUPPLY,
     "The Customer shall respect human rights, including those in the Universal Declaration of Human Rights."),
    ("human_rights", "missing", SUPPLY, "The Customer shall comply with all applicable laws."),
    ("misuse_reporting", "present", SUPPLY,
     "The Customer shall promptly notify the Supplier of any suspected misuse of the Products."),
    ("misuse_reporting", "partial", SUPPLY,
     "The Customer shall notify the Supplier of any security vulnerabilities it discovers in the Products."),
    ("access_control", "present", LICENSING,
     "Each licence key expires twelve (12) months after issue and must be renewed by the Licensor."),
    ("access_control", "partial", LICENSING, "The Software is delivered with a licence key."),
    ("reseller_due_diligence", "present", {"supplier": "Vendor", "recipient": "Reseller"},
     "The Reseller shall require each of its customers to agree to the end-user terms in Exhibit B."),
    # recitals and instructions to the reader
    ("end_use", "missing", SUPPLY, "WHEREAS the Customer intends to use the System solely for traffic management."),
    ("end_use", "present", YOU_WE, "Do not use the App to watch or follow anyone because of their religion."),
]


@pytest.mark.parametrize("safeguard, expected, roles, text", OWN_TABLE)
def test_own_sentence_table(library, safeguard, expected, roles, text):
    finding = detect_text(text, library, roles)[safeguard]
    assert finding.status == expected, finding.explanation


def fixture_rows():
    path = FIXTURES / "sentences.yaml"
    if not path.is_file():
        return []
    return yaml.load(path.read_text(encoding="utf-8"), Loader=Yaml12Loader) or []


FIXTURE_FLOOR = 0.85  # measured 0.92 on 202 rows (2026-11-25); the rows were labelled independently of the rules


@pytest.mark.skipif(not fixture_rows(), reason="tests/fixtures/sentences.yaml is absent")
def test_fixture_sentence_table_accuracy(library):
    rows = fixture_rows()
    wrong = []
    for row in rows:
        finding = detect_text(row["text"], library, row.get("roles"))[row["safeguard"]]
        if finding.status != row["expected"]:
            wrong.append(f"{row['safeguard']}: expected {row['expected']}, got {finding.status}: {row['text'][:90]}")
    print("\n".join(wrong))
    accuracy = 1 - len(wrong) / len(rows)
    assert accuracy >= FIXTURE_FLOOR, f"{accuracy:.3f}"
    # every safeguard is right on at least two thirds of its rows
    for sid in SAFEGUARD_IDS:
        mine = [r for r in rows if r["safeguard"] == sid]
        bad = [w for w in wrong if w.startswith(sid + ":")]
        assert not mine or len(bad) <= len(mine) / 3, (sid, bad)


def test_every_finding_has_evidence_and_an_explanation(library):
    text = ("The Licensee shall comply with all applicable export control laws. "
            "The Licensee shall use the Software for its internal business purposes only.")
    findings = detect_text(text, library, LICENSING)
    assert set(findings) == set(SAFEGUARD_IDS)
    for finding in findings.values():
        assert finding.explanation
        if finding.status != "missing":
            assert finding.evidence
            for ev in finding.evidence:
                assert text[ev.start:ev.end] == ev.text
    explanation = findings["export_control"].explanation
    assert explanation.startswith("Export-control and sanctions compliance: present.")
    assert "export control laws" in explanation and "binds the Licensee" in explanation
    assert findings["end_use"].missing_elements[0] == "authorized_or_prohibited_use"


@pytest.mark.parametrize("text, sid, status, rule", [
    ("The Licensee shall comply with all applicable export control laws.", "export_control", "present",
     "export_control.core[comply+export_law]"),
    # "... purposes only" is a purpose limit, weakened to partial by "internal business"
    ("The Licensee shall use the Software for its internal business purposes only.", "end_use", "partial",
     "end_use.core[purpose_only+use_verb]"),
])
def test_rule_ids_live_in_their_own_field_not_in_the_prose(library, text, sid, status, rule):
    finding = detect_text(text, library, LICENSING)[sid]
    assert finding.status == status and finding.rules[0] == rule
    assert rule not in finding.explanation and sid not in finding.explanation and "[" not in finding.explanation
    assert not any(part in finding.explanation for part in finding.rules[1:])


def test_partial_lists_the_missing_core_element(library):
    finding = detect_text("The Licensee shall use reasonable efforts to comply with applicable export control laws.",
                          library, LICENSING)["export_control"]
    assert finding.status == "partial"
    assert finding.missing_elements and finding.missing_elements[0] == "comply_with_export_laws"
    assert "weakens the duty" in finding.explanation


def document(paragraphs: list[tuple[str, str]]) -> Document:
    """Return a Document of (kind, text) paragraphs separated by blank lines, headings numbered and named."""
    text, sections = "", []
    heading = ""
    for i, (kind, body) in enumerate(paragraphs):
        if text:
            text += "\n\n"
        start = len(text)
        text += body
        if kind == "heading":
            heading = body
        sections.append(Section(body, start, len(text), number="" if kind == "heading" else str(i), heading=heading,
                                kind=kind, index=i))
    return Document(path="test.txt", format="txt", text=text, sections=sections)


def passages(library, text: str) -> tuple[Document, list, list[str]]:
    """Return a one-paragraph document of `text`, its passages and their words."""
    doc = document([("paragraph", text)])
    units = get_detector(library).section_units(doc, 0, (0, 0))
    return doc, units, [doc.text[u.start:u.end] for u in units]


def test_parties_from_the_preamble(library):
    detector = get_detector(library)
    preamble = ('This Distribution Agreement is made between NORTHWIND VISION SYSTEMS, INC., a Delaware corporation '
                '("Northwind"), and Example Trading Ltd, a company registered in England (the "Distributor").')
    parties = detector.find_parties(preamble + " Northwind hereby grants the Distributor a licence. " * 3)
    assert parties.recipient_term.lower() == "distributor"
    assert parties.supplier_term.lower() == "northwind"
    doc = document([("paragraph", preamble),
                    ("paragraph", "Northwind shall comply with all export control laws."),
                    ("paragraph", "The Distributor shall comply with all export control laws.")])
    findings, found = detector.detect(doc)
    assert findings["export_control"].status == "present"
    assert findings["export_control"].evidence[0].text.startswith("The Distributor")
    assert found.to_dict()["recipient"].lower() == "distributor"


def test_a_heading_alone_is_not_a_clause(library):
    doc = document([("paragraph", 'This Agreement is between Acme Inc. (the "Supplier") and Buyer Ltd (the "Customer").'),
                    ("heading", "7. EXPORT CONTROL"),
                    ("paragraph", "The parties will discuss export matters in good faith when they arise.")])
    findings, _ = get_detector(library).detect(doc)
    assert findings["export_control"].status == "missing"
    assert "heading" in findings["export_control"].explanation


def test_recitals_are_not_obligations(library):
    doc = document([("paragraph", 'This Agreement is between Acme Inc. (the "Supplier") and Buyer Ltd (the "Customer").'),
                    ("paragraph", "WHEREAS the Customer shall use the System solely for the management of traffic;"),
                    ("paragraph", "NOW, THEREFORE, the parties agree as follows:"),
                    ("paragraph", "1. The Customer shall pay the fees.")])
    findings, _ = get_detector(library).detect(doc)
    assert findings["end_use"].status == "missing"
    assert "recital" in findings["end_use"].explanation


@pytest.mark.parametrize("paragraphs", [
    # one paragraph from the recitals into the agreement (a filing with its line breaks lost)
    [("paragraph", 'This Agreement is between Acme Inc. (the "Supplier") and Buyer Ltd (the "Customer").'),
     ("paragraph", "WHEREAS the Customer wishes to buy the System. NOW, THEREFORE, the parties agree as follows: 1. The "
                   "Customer shall not assign this Agreement without the prior written consent of the Supplier.")],
    # under a "WITNESSETH" heading, after "NOW, THEREFORE"
    [("paragraph", 'This Agreement is between Acme Inc. (the "Supplier") and Buyer Ltd (the "Customer").'),
     ("heading", "WITNESSETH"),
     ("paragraph", "WHEREAS the Customer wishes to buy the System."),
     ("paragraph", "NOW, THEREFORE, the parties agree as follows:"),
     ("paragraph", "1. The Customer shall not assign this Agreement without the prior written consent of the Supplier.")],
])
def test_the_agreement_after_its_recitals_binds(library, paragraphs):
    findings, _ = get_detector(library).detect(document(paragraphs))
    assert findings["transfer_restriction"].status == "present"
    assert "Customer shall not assign" in findings["transfer_restriction"].evidence[0].text


def test_list_items_take_the_duty_of_their_lead_in(library):
    doc = document([("paragraph", "You may not use the Service to:"),
                    ("paragraph", "- stalk or harass any person;"),
                    ("paragraph", "- send spam.")])
    findings, _ = get_detector(library).detect(doc)
    assert findings["end_use"].status == "present"
    assert "stalk" in findings["end_use"].evidence[0].text


LINE_LIST = ("Restrictions.  You shall not, directly or indirectly:\nDecompile or modify the Product.\n"
             "Copy the Product except for backup purposes;\nUse the Product only for the purposes of a pilot; or\n"
             "Sublicense the Product to anyone.\nOwnership.  Vendor keeps all rights in the Product.")


def test_a_list_written_one_item_per_line_inherits_its_lead_in(library):
    """Lines under "You shall not:" without markers are items of that lead-in, one passage each, up to the line
    after "; or" or the next clause."""
    doc, units, texts = passages(library, LINE_LIST)
    lead = texts.index("You shall not, directly or indirectly:")
    items = [t for u, t in zip(units, texts) if u.lead == lead]
    assert items == ["Decompile or modify the Product.", "Copy the Product except for backup purposes;",
                     "Use the Product only for the purposes of a pilot; or", "Sublicense the Product to anyone."]
    # "shall not ... sublicense" binds the reader through its lead-in
    findings = detect_text(LINE_LIST, library, YOU_WE)
    assert findings["transfer_restriction"].status == "present"
    assert "Sublicense the Product" in findings["transfer_restriction"].evidence[0].text


@pytest.mark.parametrize("kind, lead", [("heading", "Do not"), ("heading", "YOU AGREE THAT YOU WILL NOT:"),
                                        ("paragraph", "You agree that you will not")])
def test_a_prohibition_heading_or_open_lead_in_governs_its_bullets(library, kind, lead):
    doc = document([("paragraph", "These terms apply to your use of the App."), (kind, lead),
                    ("paragraph", "- use the App to track or follow people;"), ("paragraph", "- resell the App."),
                    ("heading", "Contact"), ("paragraph", "- write to us with questions.")])
    detector = get_detector(library)
    assert detector.section_leads(doc) == {2: 1, 3: 1}  # the bullets under "Contact" have no lead-in
    findings, _ = detector.detect(doc)
    assert findings["end_use"].status == "present"
    assert findings["transfer_restriction"].status == "present"
    assert "track or follow people" in findings["end_use"].evidence[0].text


# Evidence: the first quote is the operative sentence, whole (issue 12 item 5). Own sentences, one cause per row:
# (safeguard, text, words the first quote must hold, words it must not hold)
FILLER = ("the Customer fails to pay any invoice, fee, charge or other amount that falls due under this Agreement, an "
          "order or any statement of work on or before the date on which that amount is due, and that failure "
          "continues for a period of more than sixty (60) days after the Customer receives a reminder from the "
          "Supplier that names the invoice, the amount, the order and the account concerned")
FIRST_QUOTE_TABLE = [
    # an item too far below its lead-in to be quoted with it, binding nobody by itself, comes after a whole clause
    ("suspension_termination",
     "12.1 The Supplier may terminate this Agreement at any time on written notice to the Customer in the event "
     f"that (a) {FILLER}; (b) {FILLER}; (c) {FILLER}; or (d) the Customer's continued use of the Products would put "
     "the Supplier in breach of any applicable law.\n\n"
     "12.2 The Supplier may suspend the Services at once if the Customer uses them in breach of Section 4.",
     "12.2 The Supplier may suspend the Services", "(d) the Customer's continued use"),
    # a passage cut off mid-phrase by a page break (the page number after it) comes after a whole one
    ("audit_rights",
     "7.1 The Supplier may audit the Customer's books and records to verify compliance with the\n\n12\n\nterms of "
     "this Agreement.\n\n7.2 The Supplier may audit the Customer's books and records to verify compliance with this "
     "Agreement.", "7.2 The Supplier may audit", "7.1"),
    # the clause whose cue governs the feature ("grants ... the right to examine") comes before one that mentions
    # the feature in a condition ("In the event such audit discloses ..., pay")
    ("audit_rights",
     "7.1 In the event such audit discloses any non-compliance with this Agreement, the Customer shall promptly pay "
     "the Supplier the fees owed together with interest.\n\n7.2 The Customer grants to the Supplier the right to "
     "examine the Customer's books and records.",
     "7.2 The Customer grants to the Supplier the right to examine", "7.1"),
    # an item cut before the list nested in it is quoted with that list, and with its lead-in
    ("end_use",
     "The Customer shall not: (a) use the Products to track or profile individuals in breach of (i) any privacy law "
     "that applies to the Customer or the individuals concerned or (ii) any human-rights commitment made by the "
     "Customer in its published policies; or (b) resell the Products to any person outside the Territory.",
     "The Customer shall not: (a) use the Products to track or profile individuals in breach of (i) any privacy law",
     "resell"),
]


@pytest.mark.parametrize("safeguard, text, holds, lacks", FIRST_QUOTE_TABLE)
def test_the_first_quote_is_the_operative_sentence_whole(library, safeguard, text, holds, lacks):
    finding = detect_text(text, library, SUPPLY)[safeguard]
    assert finding.status == "present"
    first = finding.evidence[0]
    assert holds in first.text and lacks not in first.text, first.text
    assert text[first.start:first.end] == first.text
    spans = [(e.start, e.end) for e in finding.evidence]
    # no quote repeats the words of another (two items of one list quoted with their lead-in)
    assert not any(a != b and a[0] <= b[0] and b[1] <= a[1] for a in spans for b in spans), spans
    assert len(set(spans)) == len(spans)


def test_an_item_cut_before_its_nested_list_is_quoted_to_the_end_of_that_list(library):
    nested = FIRST_QUOTE_TABLE[-1][1]
    detector = get_detector(library)
    doc, units, texts = passages(library, nested)
    cut = next(i for i, t in enumerate(texts) if t.endswith("in breach of"))  # the sentence is cut at "(i)"
    end = detector.item_end(doc.text, units, cut)
    assert doc.text[units[cut].start:end].endswith("in its published policies; or")
    whole = next(i for i, t in enumerate(texts) if t.startswith("(b) resell"))
    assert detector.item_end(doc.text, units, whole) == units[whole].end  # a whole item stays as it is


def test_paraphrase_of_a_library_wording_counts(library):
    clause = next(c for c in library.clauses.values() if c.provides[0] == "end_use" and c.expected)
    findings = detect_text(clause.expected, library, SUPPLY)
    assert findings["end_use"].status == "present"


def test_every_library_wording_is_recognised(library):
    misses = []
    for clause in library.clauses.values():
        if not clause.expected:
            continue
        findings = detect_text(clause.expected, library, SUPPLY)
        misses += [f"{clause.id}: {sid} {findings[sid].status}" for sid in clause.provides
                   if findings[sid].status != "present"]
    assert not misses, misses


@pytest.mark.parametrize("detection, problem", [
    ({"patterns": [{"label": "a", "id": "x", "pattern": [{"NORM": "x"}]}], "core": ["a"], "colour": 1}, "colour"),
    ({"patterns": [{"label": "a", "id": "x", "pattern": [{"NORM": {"IN": ["x", 3]}}]}], "core": ["a"]}, "spaCy rejects"),
    ({"patterns": [{"label": "a", "id": "x", "pattern": [{"OP": "*"}]}], "core": ["a"]}, "literal"),
    ({"patterns": [{"label": "a", "id": "x", "pattern": "export"}], "core": ["b"]}, "unknown feature 'b'"),
    ({"patterns": [{"label": "a", "id": "x", "pattern": "export", "weight": 2}], "core": ["a"]}, "weight"),
    ({"patterns": [{"label": "a", "id": "x", "pattern": "export"}], "core": ["binding"]}, "only cues"),
    ({"patterns": [{"label": "shall", "id": "x", "pattern": "export"}], "core": ["shall"], "direction": "up"},
     "direction"),
    ({"patterns": [{"label": "a", "id": "x", "pattern": "export"}], "core": ["a"], "masks": {"a": ["b"]}}, "masks"),
    ({}, "no detection rules"),
])
def test_validate_detection_names_the_problem(detection, problem):
    problems = validate_detection("export_control", detection)
    assert any(problem in f"{field}: {message}" for field, message in problems), problems


def test_bundled_rules_validate(library):
    for sid, safeguard in library.safeguards.items():
        assert validate_detection(sid, safeguard.detection) == []


def test_detector_is_cached_per_library_version(library):
    assert get_detector(library) is get_detector(library)
    changed = copy.deepcopy(library)
    changed.safeguards["export_control"].detection["reference"] = ["The Customer shall comply with export laws."]
    assert get_detector(changed) is not get_detector(library)


def test_fixed_patterns_become_phrase_slots():
    assert phrase_slots([{"NORM": "export"}, {"NORM": {"IN": ["laws", "law"]}, "OP": "?"}]) == [
        (["export"], False), (["law", "laws"], True)]
    assert phrase_slots([{"NORM": "a"}, {"OP": "*"}, {"NORM": "b"}]) is None  # a gap: spaCy's Matcher
    assert phrase_slots([{"ORTH": "EAR"}]) is None  # case-sensitive
    assert phrase_slots([{"NORM": {"IN": [str(i) for i in range(200)]}}] * 2) is None  # 40,000 phrases: too many


PHRASE_PATTERNS = [
    [{"NORM": "export"}, {"NORM": {"IN": ["law", "laws"]}, "OP": "?"}],
    [{"NORM": "export"}, {"NORM": "control"}, {"NORM": {"IN": ["law", "regulation"]}}],
    [{"NORM": "the", "OP": "?"}, {"NORM": "end"}, {"NORM": "user"}],
    [{"NORM": "law", "OP": "?"}, {"NORM": "law", "OP": "?"}],  # all optional, and a repeated word
]


@pytest.mark.parametrize("text", [
    "The end user shall comply with export control laws and export control regulation.",
    "export export law law law end user the end user export",
    "",
])
def test_phrase_table_finds_what_spacy_phrase_matcher_finds(text):
    import spacy
    from spacy.matcher import PhraseMatcher
    from spacy.tokens import Doc

    nlp = spacy.blank("en")
    table, reference = PhraseTable(nlp.vocab.strings), PhraseMatcher(nlp.vocab, attr="NORM")
    for number, pattern in enumerate(PHRASE_PATTERNS):
        slots = phrase_slots(pattern)
        table.add(number, slots)
        phrases = [[]]
        for words, optional in slots:
            phrases = [p + [w] for p in phrases for w in words] + (phrases if optional else [])
        reference.add(str(number), [Doc(nlp.vocab, words=p) for p in phrases if p])
    doc = nlp.make_doc(text.lower())
    expected = sorted({(int(nlp.vocab.strings[key]), s, e) for key, s, e in reference(doc)})
    norms = [t.norm for t in doc]
    assert sorted(table(norms)) == expected
    assert len(set(table(norms))) == len(table(norms))  # each match once
    if text:
        assert expected


# Token patterns with gaps, optional and repeated tokens: TokenPattern must find what spaCy's Matcher finds.
GAP_PATTERNS = [
    [{"NORM": "a"}, {"OP": "{0,3}"}, {"NORM": "b"}],
    [{"NORM": {"IN": ["x", "y"]}, "OP": "?"}, {"NORM": "b"}, {"NORM": "c", "OP": "*"}],
    [{"LOWER": {"REGEX": "^ex"}}, {"ORTH": "B", "OP": "+"}],
    [{"NORM": "a"}, {"LOWER": {"NOT_IN": ["b", ","]}, "OP": "{1,2}"}, {"NORM": "a"}],
    [{"IS_TITLE": True}, {"OP": "{2}"}, {"NORM": "c"}],
    [{}, {"NORM": "b"}],
    [{"NORM": "a", "OP": "{,2}"}, {"NORM": "b", "OP": "{1,}"}],
    [{"ORTH": {"IN": ["A", "B"]}}, {"NORM": "x", "OP": "?"}, {"OP": "?"}],  # ends in optional tokens
    [{"NORM": "c", "OP": "*"}, {"NORM": "c"}],  # the same word repeated and required
]
GAP_WORDS = ["a", "b", "c", "A", "B", "x", "y", "ex", "Exam", ",", ".", "Title", "\n"]


@pytest.mark.parametrize("number", range(len(GAP_PATTERNS)))
def test_token_pattern_finds_what_spacy_matcher_finds(number):
    import random

    import spacy
    from spacy import attrs
    from spacy.matcher import Matcher

    nlp = spacy.blank("en")
    pattern = GAP_PATTERNS[number]
    compiled = TokenPattern.compile(pattern, nlp.vocab.strings, attrs.IDS)
    reference = Matcher(nlp.vocab)
    reference.add("p", [pattern])
    rng, found = random.Random(number), 0
    for _ in range(400):
        doc = nlp.make_doc(" ".join(rng.choice(GAP_WORDS) for _ in range(rng.randint(0, 14))))
        expected = sorted((s, e) for _, s, e in reference(doc))
        got = compiled(Columns(doc))
        assert sorted(got) == expected, doc.text
        assert len(set(got)) == len(got)  # each match once
        found += bool(expected)
    assert found > 20  # the random texts do exercise the pattern


def random_token_spec(rng) -> dict:
    """Return a random token spec over GAP_WORDS: an attribute test (or none) and maybe an operator."""
    attribute = rng.choice(["NORM", "ORTH", "LOWER"])
    spec = rng.choice([
        {},
        {attribute: rng.choice(GAP_WORDS)},
        {attribute: {"IN": rng.sample(GAP_WORDS, rng.randint(1, 4))}},
        {attribute: {"NOT_IN": rng.sample(GAP_WORDS, rng.randint(1, 3))}},
        {"LOWER": {"REGEX": rng.choice(["^e", "x", "^[ab]$", "."])}},
        {rng.choice(["IS_TITLE", "IS_PUNCT"]): rng.choice([True, False])},
        {"NORM": rng.choice(GAP_WORDS), "IS_TITLE": rng.choice([True, False])},
    ])
    operator = rng.choice([None, None, None, "?", "*", "+", "{2}", "{0,2}", "{1,3}", "{,2}", "{2,}"])
    return {**spec, "OP": operator} if operator else spec


@pytest.mark.parametrize("seed", range(3))
def test_token_pattern_finds_what_spacy_matcher_finds_for_random_patterns(seed):
    import random

    import spacy
    from spacy import attrs
    from spacy.matcher import Matcher

    nlp, rng, found = spacy.blank("en"), random.Random(seed), 0
    for _ in range(100):
        pattern = [random_token_spec(rng) for _ in range(rng.randint(1, 5))]
        compiled = TokenPattern.compile(pattern, nlp.vocab.strings, attrs.IDS)
        assert compiled is not None, pattern
        reference = Matcher(nlp.vocab)
        reference.add("p", [pattern])
        for _ in range(20):
            doc = nlp.make_doc(" ".join(rng.choice(GAP_WORDS) for _ in range(rng.randint(0, 10))))
            expected = sorted((s, e) for _, s, e in reference(doc))
            assert sorted(compiled(Columns(doc))) == expected, (pattern, doc.text)
            found += bool(expected)
    assert found > 300


@pytest.mark.parametrize("pattern", [
    [{"NORM": "a"}, {"NORM": "b", "OP": "!"}],  # negation
    [{"LEMMA": "be"}],  # an attribute the blank pipeline does not set
    [{"LENGTH": {">=": 3}}],  # a comparison predicate
    [{"NORM": {"FUZZY": "law"}}],
    [{"NORM": "a", "OP": "{3,1}"}],
])
def test_token_pattern_leaves_what_it_does_not_read_to_spacy(pattern):
    import spacy
    from spacy import attrs

    assert TokenPattern.compile(pattern, spacy.blank("en").vocab.strings, attrs.IDS) is None


def test_library_gap_patterns_match_as_spacy_matcher_does_on_the_samples(library):
    from spacy.matcher import Matcher

    detector = get_detector(library)
    patterns = detector.gap_matchers
    assert patterns and all(isinstance(p, TokenPattern) for p in patterns.values())  # the fast path is used
    references = {}
    for number, compiled in patterns.items():
        references[number] = Matcher(detector.vocab)
        references[number].add("p", [compiled.source])
    compared = 0
    for path in sorted((REPO / "contract_samples" / "contracts").glob("*.txt")):
        for paragraph in path.read_text(encoding="utf-8").split("\n\n"):
            doc = detector.nlp.make_doc(paragraph)
            columns = Columns(doc)
            for number, compiled in patterns.items():
                expected = sorted((s, e) for _, s, e in references[number](doc))
                assert sorted(compiled(columns)) == expected, (path.name, number, paragraph[:80])
                compared += bool(expected)
    assert compared > 50


def test_lexicon_forms_normalise_to_lemmas(library):
    detector = get_detector(library)
    tokens = detector.nlp.make_doc("Licensee complied with the Licences and re-exported nothing")
    assert [t.norm_ for t in tokens][:4] == ["licensee", "comply", "with", "the"]
    assert tokens[4].norm_ == "license"


def test_the_detector_is_a_package_of_small_files_that_does_not_import_the_library():
    """One file per step, each under ~500 lines; library imports detect (to validate rules), never the reverse."""
    import ast
    from pathlib import Path

    import clausegen.detect

    folder = Path(clausegen.detect.__file__).parent
    files = sorted(folder.glob("*.py"))
    assert len(files) >= 8
    for path in files:
        source = path.read_text(encoding="utf-8")
        assert source.count("\n") < 500, path.name
        imported = {node.module for node in ast.walk(ast.parse(source)) if isinstance(node, ast.ImportFrom)}
        assert "clausegen.library" not in imported, path.name


# A numbered lead-in "3. ... terminate if:" with lettered items ends at "4."; an item that opens with the supplier
# ("b. Vendor decides ...") is a ground on the supplier's side; a cure period in item (a) weakens the right.
TERMINATION_LIST = (
    'This Agreement is between Vendor Inc. (the "Vendor") and Buyer Ltd (the "Customer").\n\n1. Term\n\n'
    "2. This Agreement runs for one year.\n\n3. Vendor may, at any time, terminate this Agreement if:\n\n"
    "a. the Customer fails to comply with any term of this Agreement and the failure is not fixed within thirty "
    "(30) days after notice from Vendor;\n\nb. Vendor decides to stop offering the Product in a country or, in "
    "Vendor's sole discretion, the Product is no longer commercially viable.\n\n4. Upon any termination of this "
    "Agreement, the Customer shall promptly stop using the Product. The Customer's earlier orders are not affected "
    "by the termination of this Agreement.\n")
# Terms of service that name their parties in the opening line, with a later "between" and a defined term after it.
OPENING_PARTIES = (
    'These Terms govern the website and hosted services offered by Acme LLC. (the "Company" or "we"). By using '
    "them you accept these Terms.\n\n" + "The services change from time to time. " * 130 +
    "\n\nIf there is any conflict between these Terms and an order, these Terms prevail. Each subscription renews "
    'on its anniversary (each a "Renewal Date").\n\n'
    "The Company has the right to suspend your access immediately and without notice if you breach these Terms.\n")


@pytest.mark.parametrize("text, status, quoted, supplier", [
    (TERMINATION_LIST, "partial", "a. the Customer fails to comply", "Vendor"),
    (OPENING_PARTIES, "present", "The Company has the right to suspend", "Company"),
])
def test_termination_grounds_and_parties_read_from_the_whole_document(library, tmp_path, text, status, quoted,
                                                                      supplier):
    path = tmp_path / "contract.txt"
    path.write_text(text, encoding="utf-8")
    review = review_file(path, library)
    finding = {f.safeguard: f for f in review.findings}["suspension_termination"]
    assert (finding.status, review.parties["supplier_term"]) == (status, supplier), finding.explanation
    assert finding.evidence[0].text.startswith(quoted) or quoted in finding.evidence[0].text


def test_a_passage_under_a_heading_that_names_the_topic_is_quoted_first(library, tmp_path):
    """Two present passages: the one under "Assignment" decides, not a like one under "Registration"."""
    path = tmp_path / "contract.txt"
    path.write_text(
        'This Agreement is between Maker Inc. (the "Maker") and Dealer Ltd (the "Dealer").\n\n'
        "4. Registration\n\n4.1 The Maker will be registered as the owner of the Products; where a law requires the "
        "Dealer to hold such rights, the Dealer shall assign them to the Maker without the consent of any other "
        "person.\n\n9. Assignment\n\n9.1 The Dealer shall not assign this Agreement without the Maker's consent.\n",
        encoding="utf-8")
    finding = {f.safeguard: f for f in review_file(path, library).findings}["transfer_restriction"]
    assert finding.status == "present"
    assert finding.evidence[0].text.startswith("9.1 The Dealer shall not assign"), finding.evidence[0].text


# A policy whose prohibited uses nest one numbered list in another, one item per line and without end punctuation;
# the inner numbering restarts at 1, and its "2." after "3." is the outer list's next item.
NESTED_POLICY = (
    "Rules for the Viewer app\n\nYou agree that you will not use, or let anyone use, the Viewer app to:\n\n"
    "1. Break the law, including to:\n"
    "    1. Plan or carry out fraud\n"
    "    2. Follow, locate or record a person without that person's consent\n"
    "    3. Collect, disclose or infer sensitive personal information about individuals without the consents the law "
    "requires\n"
    "2. Harm people, including by:\n"
    "    1. Building weapons\n\n"
    "Write to abuse@viewer.example to report a breach of these rules.\n")


def test_nested_numbered_items_without_end_punctuation_take_the_prohibition_of_their_lead_in(library, tmp_path):
    path = tmp_path / "policy.txt"
    path.write_text(NESTED_POLICY, encoding="utf-8")
    document = ingest(path)
    items = [" ".join(document.text[s.start:s.end].split()) for s in document.sections if s.number]
    assert items == ["1. Break the law, including to:", "1. Plan or carry out fraud",
                     "2. Follow, locate or record a person without that person's consent",
                     "3. Collect, disclose or infer sensitive personal information about individuals without the consents the "
                     "law requires", "2. Harm people, including by:", "1. Building weapons"]
    assert get_detector(library).section_leads(document) == {2: 1, 3: 2, 4: 2, 5: 2, 6: 1, 7: 6}
    findings = {f.safeguard: f for f in review_file(path, library).findings}
    assert findings["end_use"].status == "present"
    assert "Follow, locate or record a person" in findings["end_use"].evidence[0].text
    assert findings["data_handling"].status == "present"
    assert "sensitive personal information" in findings["data_handling"].evidence[0].text


def test_a_right_to_terminate_is_quoted_before_a_clause_that_only_names_termination(library):
    """Both are partial (no misuse ground); the order of `partial:` in safeguards.yaml ranks the right first."""
    text = ("8.1 Upon termination of this Agreement the Customer shall have no further right to the Marks, and the "
            "licence to use the Marks shall terminate.\n\n"
            "8.2 Either party may terminate this Agreement upon thirty (30) days' written notice if the other party "
            "fails to pay any sum due.")
    finding = detect_text(text, library, SUPPLY)["suspension_termination"]
    assert finding.status == "partial"
    assert finding.evidence[0].text.startswith("8.2 Either party may terminate"), finding.evidence[0].text


@pytest.mark.parametrize("lead, status", [("A. The Supplier warrants and represents that", "missing"),
                                          ("A. The Customer agrees that", "present")])
def test_an_item_without_a_party_speaks_for_the_party_of_its_lead_in(library, lead, status):
    """ "(i) no use of the Software shall ..." under "The Supplier warrants that" is the supplier's promise."""
    doc = document([("paragraph", 'This Agreement is between Maker Inc. (the "Supplier") and Shop Ltd (the "Customer").'),
                    ("paragraph", lead),
                    ("paragraph", "(i) no use of the Software shall be made to surveil journalists or activists; and"),
                    ("paragraph", "(ii) the Software is free of known defects.")])
    findings, _ = get_detector(library).detect(doc)
    assert findings["end_use"].status == status, findings["end_use"].explanation


def test_a_sentence_runs_on_across_a_page_break_and_its_footer(library, tmp_path):
    path = tmp_path / "filing.txt"
    path.write_text('This Agreement is between Maker Inc. (the "Supplier") and Shop Ltd (the "Customer").\n\n'
                    "7. Assignment.\n\n(a) The Customer may not assign any of its rights or obligations\n\n"
                    "Source: ACME HOLDINGS INC, 8-K, 6/4/2008\n\n\n\nhereunder, unless the Supplier consents in "
                    "writing.\n", encoding="utf-8")
    finding = {f.safeguard: f for f in review_file(path, library).findings}["transfer_restriction"]
    assert finding.status == "present"
    assert finding.evidence[0].text.endswith("unless the Supplier consents in writing."), finding.evidence[0].text


def test_second_level_o_bullets_belong_to_their_bullet_and_the_next_bullet_to_the_first_lead_in(library, tmp_path):
    path = tmp_path / "terms.txt"
    path.write_text('Camera Service Agreement\n\nThis Agreement is between Lenscape Ltd ("Lenscape") and the customer '
                    'named in the order ("Customer").\n\n'
                    "4.1 Customer will not, and will not let any user:\n\n"
                    "• use the Service to:\n\n"
                    "  o follow or identify people because of their religion or ethnicity;\n\n"
                    "  o record lawful protests;\n\n"
                    "• resell the Service.\n\n"
                    "5. Fees\n\nCustomer pays the fees in advance.\n", encoding="utf-8")
    document = ingest(path)
    assert get_detector(library).section_leads(document) == {3: 2, 4: 3, 5: 3, 6: 2}
    findings = {f.safeguard: f for f in review_file(path, library).findings}
    assert findings["end_use"].status == "present"
    assert "religion or ethnicity" in findings["end_use"].evidence[0].text
    assert findings["transfer_restriction"].status == "present"


def test_a_forbidding_heading_governs_the_list_its_next_paragraph_opens(library):
    """ "Do Not Compromise Privacy" / "This includes using our services to:" / "- ...": the items are prohibited."""
    doc = document([("paragraph", "These rules apply to everyone who uses the Lens app."),
                    ("heading", "Do Not Compromise Privacy"),
                    ("paragraph", "This includes using our services to:"),
                    ("paragraph", "- track the location of a person without that person's consent;"),
                    ("paragraph", "- sell personal data that you collect through the app.")])
    detector = get_detector(library)
    assert detector.section_leads(doc) == {2: 1, 3: 2, 4: 2}
    findings, _ = detector.detect(doc)
    assert findings["end_use"].status == "present"
    assert "track the location of a person" in findings["end_use"].evidence[0].text


def test_the_supplier_changing_its_own_service_is_quoted_after_a_right_against_misuse(library):
    text = ("We may modify or discontinue the Service, or any part of it, at any time and without notice.\n\n"
            "We may suspend your account at once if you breach these Terms.")
    finding = detect_text(text, library, YOU_WE)["suspension_termination"]
    assert finding.status == "present"
    assert finding.evidence[0].text.startswith("We may suspend your account"), finding.evidence[0].text


# How one paragraph is cut into passages (text, the passages' words, the lead-in of each)
PASSAGE_TABLE = [
    # numbered items run into one PDF-to-text line after ":" are passages tied to the lead-in
    ("The Supplier may charge the Customer for the following costs:   1. Forms printed for the Customer's offices;   "
     "2. Telephone calls made for the Customer's business;   3. Travel by the Supplier's staff, subject to the "
     "Customer's prior written approval.",
     ["The Supplier may charge the Customer for the following costs:", "1. Forms printed for the Customer's offices;",
      "2. Telephone calls made for the Customer's business;",
      "3. Travel by the Supplier's staff, subject to the Customer's prior written approval."], [None, 0, 0, 0]),
    # a heading in capitals run into its first sub-clause is a passage apart (its "TERMINATION" is not the notice's)
    ("6.2 The Customer shall keep the Products insured. 7. BREACH / TERMINATION 7.1 Notice of Breach Each party shall "
     "promptly notify the other party of any breach of this Agreement.",
     ["6.2 The Customer shall keep the Products insured.", "7. BREACH / TERMINATION",
      "7.1 Notice of Breach Each party shall promptly notify the other party of any breach of this Agreement."],
     [None, None, None]),
    # the "(30)" of "thirty (30) days" is no item; one marker before a capital starts a clause
    ("The Supplier is owed all fees accrued before the end of the term, whichever party ends it, (b) Either Party may "
     "terminate this Agreement if the other Party commits a material breach of it and, within thirty (30) days after "
     "written notice, has not cured the breach.",
     ["The Supplier is owed all fees accrued before the end of the term, whichever party ends it,",
      "(b) Either Party may terminate this Agreement if the other Party commits a material breach of it and, within "
      "thirty (30) days after written notice, has not cured the breach."], [None, 0]),
]


@pytest.mark.parametrize("text, texts, leads", PASSAGE_TABLE)
def test_a_paragraph_is_cut_into_passages(library, text, texts, leads):
    _, units, found = passages(library, text)
    assert found == texts
    assert [u.lead for u in units] == leads


def test_a_notice_under_a_capitals_heading_is_read_without_the_heading(library):
    assert detect_text(PASSAGE_TABLE[1][0], library, SUPPLY)["misuse_reporting"].status == "present"
