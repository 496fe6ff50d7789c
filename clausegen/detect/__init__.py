"""Find the ten safeguards in a contract with rules kept as data: spaCy patterns plus a rapidfuzz second signal.

The rules live in clause_library/safeguards.yaml (`detection:` of each safeguard) and clause_library/lexicon.yaml
(word normalisation, party role words, modality and negation cues). A `detection:` block looks like

    detection:
      direction: duty          # duty: must bind the recipient | right: the supplier's right against the recipient
      modality: required       # required: the passage needs a binding cue | optional: statements of fact count
                               # | fact: they count even in recitals ("Licensor hosts the Platform")
      patterns:                # spaCy Matcher token patterns, or a string: a fixed phrase on NORM
        - {label: export_law, id: export_laws, pattern: [{NORM: export}, {NORM: {IN: [law, regulation]}}]}
      core: [comply+export_law]          # feature combinations (all in one passage) that give the core element,
                                         # strongest first: the order ranks the quotes
      partial: [generic_law]             # combinations that show the topic without the core (order ranks too)
      elements: {no_prohibited_transfer: [export_verb+destination]}
      exclude: [personal_data]           # combinations that take a passage off this safeguard
      downgrade: [cure_period]           # combinations that weaken a core passage to partial (order ranks)
      downgrade_nearby: [cure_period]    # those that also weaken it from the next sentence or the list items it
                                         # introduces (default: all of `downgrade`)
      grounds: [payment]                 # downgrade labels that weaken only as the sole ground: each `trigger`
                                         # feature within a few words of one ("breach of payment obligations")
      third_party: [downstream]          # features that must not be the contract's own parties ("its Customers")
      any_party: [channel]               # features that count whoever states them ("a way to report misuse")
      masks: {aftermath: [end_noun]}     # features that do not count inside a match of another ("termination"
                                         # in "upon termination" names no right to terminate)
      impersonal: [used_thing, use_verb] # a passage that names no bound party (passive voice) counts only when
                                         # its subject holds one: "The System shall not be used ...", not "The
                                         # defined terms shall only be used for ..."
      reference: ["The Customer shall comply with ..."]   # extra reference wordings for the similarity check

A passage is a sentence (or a list item with the sentence that introduces it). For every passage the detector
finds the features, the modality cue that governs them and the party that cue binds, then decides per safeguard:
present (core combination, binding, on the recipient or as the supplier's right), partial (weak modality, only a
partial combination, or a downgrade) or nothing. The document takes the best passage per safeguard.

One file per step: `validate` (the lexicon, rule validation), `matching` (word bags, the fixed-phrase table, token
patterns), `build` (compiling a library's rules), `candidates` (passages and the cheap prefilter), `parties` (parties
and their mentions), `scoring` (the verdict of one passage: features, modality cue, party bound), `status` (the
finding: status, ranked evidence, explanation), `detector` (the steps together, the cached entry points); `common`
holds what they share. `scorer` is a learned second opinion: it vetoes a finding whose passages it finds very
unlikely (scorer.bin, trained by `make model`).
"""

from clausegen.detect.common import Hit, Parties, Rules, Unit, section_label
from clausegen.detect.detector import Detector, detect, detect_text, get_detector, rules_digest
from clausegen.detect.matching import Columns, PhraseTable, TokenPattern, contract_english, phrase_slots
from clausegen.detect.validate import load_lexicon, validate_detection

__all__ = ["Columns", "Detector", "Hit", "Parties", "PhraseTable", "Rules", "TokenPattern", "Unit", "contract_english",
           "detect", "detect_text", "get_detector", "load_lexicon", "phrase_slots", "rules_digest", "section_label",
           "validate_detection"]
