"""Clause numbers, headings, captions and outline paths, and grouping lines into sections (all formats)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from clausegen.model import Section

# ---------------------------------------------------------------- numbers, headings, captions (all formats)


_NUMBER_RE = re.compile(
    r"(?:(?P<word>(?:ARTICLE|Article|SECTION|Section|CLAUSE|Clause)[ \t\u00a0]+"
    r"(?:\d{1,3}(?:\.\d{1,3})*|[IVXLC]{1,7}|[A-Z])|§[ \t\u00a0]*\d{1,3}(?:\.\d{1,3})*)\.?"
    r"|\d{1,3}(?:\.\d{1,3})+\.?"
    r"|\d{1,3}[.)]"
    r"|\((?:\d{1,3}|[a-zA-Z]{1,2}|[ivxlcIVXLC]{1,6})\)"
    r"|(?:[a-zA-Z]|[ivxIVX]{2,5})[.)])"
    r"(?=[\s\u00a0]|$)"
)
_BULLETS = "•●▪■◦‣∙·-–*+\uf0b7"  # \uf0b7: the Symbol-font bullet Word uses
# "o": Word's second-level bullet, as it comes out in text
_BULLET_RE = re.compile(f"(?:[{re.escape(_BULLETS)}]|o(?=[ \t\u00a0]+[A-Za-z]))[ \t\u00a0]")
_MARKUP_RE = re.compile(r"(?:#{1,6}[ \t]+|>[ \t]*|[-*+][ \t]+)?(?:\*\*|__|\*|_)?")
_MARKUP_FIRST = frozenset("#>-*+_")
_DIGIT_RE = re.compile(r"\d")
_CAPTION_RE = re.compile(r"([A-Z][^.!?\n]{0,80}?)[.:](?:\s+|$)")
_SMALL_WORDS = frozenset(
    "a an and as at by for from in into of on or per the to under upon via with without its their our your".split()
)
_ABBREVIATIONS = frozenset("inc ltd co corp llc llp plc no nos art sec para cf vs st mr ms dr".split())
_WORD_RE = re.compile(r"[^\W\d_][\w'’-]*")
# Words that start with a lower-case letter (ASCII or Latin-1).
_LOWER_WORD_RE = re.compile(r"(?<![\w'’-])[a-z\u00df-\u00f6\u00f8-\u00ff][\w'’-]*")


_ROMANS = ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii"]


def follows(before: str, after: str) -> bool:
    """Return whether clause number `after` is the one right after `before` at the same level: "3" -> "4",
    "2.3" -> "2.4", "(b)" -> "(c)", "(ii)" -> "(iii)"."""
    a, b = before.strip("().").split("."), after.strip("().").split(".")
    if len(a) != len(b) or a[:-1] != b[:-1]:
        return False
    x, y = a[-1], b[-1]
    if x.isdigit() and y.isdigit():
        return int(y) == int(x) + 1
    if x.lower() in _ROMANS and y.lower() in _ROMANS and (len(x) > 1 or len(y) > 1):
        return _ROMANS.index(y.lower()) == _ROMANS.index(x.lower()) + 1
    return len(x) == len(y) == 1 and x.isalpha() and y.isalpha() and ord(y) == ord(x) + 1


# a number in words at the end of a text: the "(30)" after it restates it
NUMBER_WORD_END_RE = re.compile(r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|"
                                r"thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand)\s*$", re.IGNORECASE)


def _strip_markup(text: str) -> str:
    """Return `text` without a leading Markdown heading, quote, list or emphasis marker."""
    if text[:1] not in _MARKUP_FIRST:
        return text
    return text[_MARKUP_RE.match(text).end():]


def _split_number(text: str) -> tuple[str, str]:
    """Return (clause number as displayed without a final period, rest of the text) for a leading clause number."""
    body = _strip_markup(text)
    match = _NUMBER_RE.match(body)
    if not match:
        return "", body
    rest = body[match.end():]
    # "Section 4 shall survive" is a cross-reference that happens to start a line, not a number.
    if match.group("word"):
        after = rest.lstrip(" \t\u00a0.:-–—")
        if after[:1].islower():
            return "", body
    number = " ".join(match.group(0).split()).rstrip(".")
    return number, rest.lstrip().lstrip("*_").lstrip()


def _is_title_case(text: str) -> bool:
    """Return True when every word starts with a capital, small joining words apart."""
    first = _WORD_RE.search(text)
    if not first or not first.group(0)[0].isupper():
        return False
    return all(word in _SMALL_WORDS for word in _LOWER_WORD_RE.findall(text))


def _is_caps(text: str) -> bool:
    """Return True when the text has letters and all of them are capitals."""
    return text.upper() == text and text.lower() != text


def _heading_text(text: str, split: tuple[str, str] | None = None) -> str:
    """Return the heading a short heading-like line states, or "" when the line does not look like a heading.

    `split` is the line's (number, rest) when the caller has already split it.
    """
    if len(text) > 120 or "\n" in text:
        return ""
    number, rest = split or _split_number(text)
    body = rest.strip().lstrip("-–—:.|").strip().rstrip("*_#").strip()
    if not body:
        # A bare "ARTICLE V" line heads what follows; a bare "(a)" or "12." does not.
        return number if number[:1].isalpha() and len(number) > 3 else ""
    # Both title case and capitals start with a capital; most body lines fail here cheaply.
    if body[0].islower() or body[-1] in ",;" or len(body.split()) > 12:
        return ""
    core = body.rstrip(".:").strip()
    if len(core) < 2 or not _WORD_RE.search(core):
        return ""
    caps = _is_caps(core)
    if body.endswith(":") and not caps:
        return ""
    if body.endswith(".") and not caps and not number:
        return ""
    if caps or _is_title_case(core):
        return core
    return ""


def _caption(rest: str) -> str:
    """Return the leading caption of a paragraph's text after its number ("Governing Law. This Agreement ...")."""
    match = _CAPTION_RE.match(rest)
    if not match:
        return ""
    caption = match.group(1).strip()
    if len(caption.split()) > 8 or not (_is_caps(caption) or _is_title_case(caption)):
        return ""
    # "Copyright 2018 Acme, Inc. All rights reserved." is a sentence, not a caption.
    if _DIGIT_RE.search(caption) or caption.rsplit(None, 1)[-1].rstrip(",").lower() in _ABBREVIATIONS:
        return ""
    return caption


def _ends_sentence(text: str, list_entry: bool = True) -> bool:
    """Return True when a line ends a sentence or (with `list_entry`) a list entry ("...; and"), so the next line
    may start a new clause."""
    tail = text.rstrip()
    if not tail:
        return True
    if tail[-1] in ".;:!?":
        return True
    if tail[-1] in "\"”’)" and len(tail) > 1 and tail[-2] in ".;:!?":
        return True
    return list_entry and tail.endswith((" and", " or"))


def _depth(section: Section, caption_only: bool) -> int:
    """Return how deep a section sits in the outline; smaller is higher.

    Markdown headings sit above every number ("#" -6 .. "######" -1), then ARTICLE/Section numbers and lettered or
    roman headings ("ARTICLE V", "A. DEFINITIONS") 0, "4" 1, "4.2" 2, and list letters and romans ("(a)", "iv") 100.
    Unnumbered headings sit at -7 and close everything; an unnumbered caption sits just above list letters.
    """
    number = section.number
    if section.kind == "heading" and section.text.startswith("#"):
        return len(section.text) - len(section.text.lstrip("#")) - 7
    if not number:
        return 99 if caption_only else -7
    if number[0].isdigit():
        return number.count(".") + 1
    if number[0].isalpha() and " " in number:
        return number.count(".")
    if section.kind == "heading" and number.isupper():
        return 0
    return 100


def _annotate(sections: list[Section]) -> None:
    """Fill number (when not set) and heading of each section, in reading order.

    A heading or a leading caption ("4.2 Term. ...") heads the sections that follow it until a section at the same
    or a higher outline level (see _depth) takes its place.
    """
    open_headings: list[tuple[int, str]] = []  # (depth, heading), highest first
    for section in sections:
        if section.kind == "footnote":
            continue
        number, rest = _split_number(section.text)
        if not section.number:
            section.number = number
        own = ""
        if section.kind == "heading":
            own = _heading_text(section.text, (number, rest))
            if not own:
                own = " ".join(rest.split()).strip(" .:-–—#*_") or " ".join(section.text.split())
        elif section.kind == "paragraph":
            own = _caption(rest)
        if own or section.number:
            depth = _depth(section, caption_only=bool(own))
            while open_headings and open_headings[-1][0] >= depth:
                open_headings.pop()
            if own:
                open_headings.append((depth, own))
        section.heading = own or (open_headings[-1][1] if open_headings else "")
    _number_paths(sections)


_ROMAN_CHARS = frozenset("ivxlc")


def _number_paths(sections: list[Section]) -> None:
    """Fill each numbered section's path: its number joined to the numbers of the clauses it sits in.

    An outline number ("4.2", "Section 7", "ARTICLE V", "IV.") starts a path; a list label ("(a)", "ii)", "b.") continues
    the last one, as a new level when its kind (digits, letters, roman numerals, in either case) is new, else in
    place of the label of that kind and of everything below it. A lone "i", "v", "x", "l" or "c" is a letter
    when it follows the letter before it ("(h)" then "(i)"), else a roman numeral. An unnumbered heading ends
    the path, unless it is the title of the numbered heading just before it."""
    base = ""
    labels: list[tuple[str, str]] = []  # (kind, core) of the open list levels, the highest first
    titled = False  # the section before was a numbered heading ("ARTICLE IV"), whose title may follow
    for section in sections:
        if section.kind == "footnote":
            continue
        number = section.number
        after_number, titled = titled, section.kind == "heading" and bool(number)
        if not number:
            if section.kind == "heading" and not after_number:
                base, labels = "", []
            continue
        core = number.strip("().")
        kind = _label_kind(core, labels)
        if (_depth(section, caption_only=False) < 100 and not number.endswith(")")) or \
                (kind == "ROMAN" and core == number):  # "IV." numbers an article; "(IV)" is a list label
            base, labels = number, []
            section.path = number
            continue
        for k, (open_kind, _) in enumerate(labels):
            if open_kind == kind:
                del labels[k:]
                break
        labels.append((kind, core))
        section.path = base + "".join(f"({label})" for _, label in labels)


def _label_kind(core: str, labels: list[tuple[str, str]]) -> str:
    """Return the kind of a list label: digit, letter or roman, upper-cased for capitals ("LETTER")."""
    if core.isdigit():
        return "digit"
    low = core.lower()
    case = str.upper if core.isupper() else str.lower
    if set(low) <= _ROMAN_CHARS:
        letter = case("letter")
        open_letter = next((c for k, c in labels if k == letter), None)
        if len(low) > 1 or open_letter is None or ord(open_letter.lower()[-1]) + 1 != ord(low):
            return case("roman")
        return letter
    return case("letter")


# ---------------------------------------------------------------- grouping lines into sections (TXT, MD, HTML, PDF)


@dataclass(slots=True)
class _Line:
    """One line (or wide-gap piece) of text, with what markup or layout says about it."""

    text: str  # stripped
    start: int = -1  # offsets into the source text (TXT/MD/HTML); -1 for PDF
    end: int = -1
    para: bool = False  # markup or layout says a new paragraph starts here
    heading: bool = False  # markup says this line is a heading (Markdown '#', HTML h1-h6)
    table: bool = False  # markup says this line is a table row (HTML)
    item: bool = False  # markup says this line starts a list item
    page: int | None = None
    left: float | None = None  # PDF: where the line starts across the page, in points
    wraps: bool = False  # PDF: the line runs to the right margin, so its sentence may go on below


def _group_lines(lines: list[_Line]) -> list[tuple[int, int, str]]:
    """Return (first, past-last, kind) line ranges: one per section, in order; kind is heading, table or paragraph."""
    groups: list[list] = []
    previous_heading = False
    previous_ends = True
    previous_number, previous_bullet = "", False  # the list marker the line before opened with
    for i, line in enumerate(lines):
        para = line.para
        # A sentence that runs on past a page break or text box continues in lower case, or (PDF) on a line indented
        # under a numbered first line (a hanging indent, which puts the lines in separate layout boxes).
        if para and groups and not previous_heading and (
                (not previous_ends and line.text[:1].islower())
                or _hangs(line, lines[groups[-1][0]], lines[i - 1], groups[-1][2])):
            para = False
        numbered = ("", "") if line.table else _split_number(line.text)
        number = numbered[0]
        if number[:1] == "(" and i and NUMBER_WORD_END_RE.search(lines[i - 1].text):
            number = ""  # "... within thirty" / "(30) days": the figure of the words before it, not a clause number
        bullet = not line.table and bool(_BULLET_RE.match(line.text))
        # items of a list written one per line without end punctuation ("1. Violence or terrorism" / "2. Fraud"):
        # a marked line under a marked line starts the next item, not the rest of a sentence, unless the line above
        # ran to the right margin ("5.2 ... within ninety" / "(90) days after ...")
        next_item = bool(number or bullet) and bool(previous_number or previous_bullet) \
            and not (i and lines[i - 1].wraps)
        at_boundary = para or previous_ends or previous_heading or next_item
        heading, item = line.heading, line.item or line.table
        split = ("", "")
        if at_boundary and not heading and not line.table:
            split = numbered
            heading = len(line.text) <= 120 and bool(_heading_text(line.text, split))
            item = item or bool(number) or bullet
        # A title set over several lines ("MASTER SUPPLY" / "AGREEMENT") is one heading.
        continues_heading = previous_heading and heading and not para and not line.heading and not split[0]
        starts = (
            not groups
            or para
            or item
            or groups[-1][2] == "table"
            or ((previous_heading or heading) and not continues_heading)
        )
        kind = "table" if line.table else "heading" if heading else "paragraph"
        if starts:
            groups.append([i, i + 1, kind])
        else:
            groups[-1][1] = i + 1
        previous_heading = heading
        previous_ends = line.table or _ends_sentence(line.text)
        previous_number, previous_bullet = number, bullet
    return [(g[0], g[1], g[2]) for g in groups]


_INDENT = 4.0  # points a line must start right of its paragraph's first line to be indented under it


def _hangs(line: _Line, first: _Line, previous: _Line, kind: str) -> bool:
    """Return True when `line` continues a numbered paragraph set with a hanging indent: the paragraph starts with a
    clause number, the line above ran to the right margin without ending a sentence, and `line` starts further
    right than the number, without a bullet. A line that starts "(3)" then continues "... the first three": a new
    sub-clause "(a) ..." follows a line that ends its lead-in (":") or stops short of the margin. A line above
    that ends in "and" or "or" ran on too: a list entry that it ended would be followed by the next label."""
    if kind != "paragraph" or not previous.wraps or line.left is None or first.left is None:
        return False
    if _ends_sentence(previous.text, list_entry=False):
        return False
    if line.left <= first.left + _INDENT or _BULLET_RE.match(line.text):
        return False
    return bool(_split_number(first.text)[0])


_PAGE_NUMBER_RE = re.compile(
    r"(?:page[ \t]*)?[-–—]?[ \t]*\d{1,4}[ \t]*[-–—]?(?:[ \t]*(?:of|/)[ \t]*\d{1,4})?", re.IGNORECASE
)
