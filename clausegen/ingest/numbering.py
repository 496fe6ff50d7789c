"""DOCX styles and list numbering: the labels Word displays, computed as Word counts them."""

from __future__ import annotations

import re
from dataclasses import dataclass


# ---------------------------------------------------------------- DOCX: styles and numbering


class _W:
    """Qualified WordprocessingML tag and attribute names for one namespace (transitional or strict)."""

    def __init__(self, ns: str):
        for local in (
            "p pPr pStyle numPr numId ilvl outlineLvl rPr b caps rStyle r t tab ptab br cr noBreakHyphen "
            "tbl tr tc trPr ins moveFrom moveTo hyperlink smartTag fldSimple customXml sdt sdtContent dir bdo "
            "body style name basedOn abstractNum abstractNumId num lvl start numFmt lvlText lvlRestart isLgl "
            "lvlOverride startOverride numStyleLink footnote endnote footnoteReference endnoteReference "
            "val type styleId id vanish txbxContent altChunk"
        ).split():
            setattr(self, local, f"{{{ns}}}{local}")
        self.del_ = f"{{{ns}}}del"  # "del" is a Python keyword


_W_MAIN = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_OFF = frozenset(("0", "false", "off", "none"))


def _on(element, w: _W) -> bool | None:
    """Return a toggle property's value (w:b, w:caps), or None when it is absent."""
    if element is None:
        return None
    return element.get(w.val, "true").lower() not in _OFF


@dataclass
class _Style:
    """What ingestion uses of one style in styles.xml."""

    name: str
    based_on: str
    num_id: str | None
    ilvl: int | None
    outline: int | None
    bold: bool | None
    caps: bool | None
    hidden: bool | None = None  # w:vanish: the text is not shown


def _read_styles(root, w: _W) -> dict[str, _Style]:
    """Return the styles part as a map of style id to the properties ingestion uses."""
    styles: dict[str, _Style] = {}
    if root is None:
        return styles
    for element in root.iter(w.style):
        style_id = element.get(w.styleId)
        if not style_id:
            continue
        name_el = element.find(w.name)
        based = element.find(w.basedOn)
        ppr = element.find(w.pPr)
        rpr = element.find(w.rPr)
        num_id, ilvl, outline = None, None, None
        if ppr is not None:
            num_pr = ppr.find(w.numPr)
            if num_pr is not None:
                num_id = _val(num_pr.find(w.numId), w)
                ilvl = _int(_val(num_pr.find(w.ilvl), w))
            outline = _int(_val(ppr.find(w.outlineLvl), w))
        styles[style_id] = _Style(
            name=(_val(name_el, w) or style_id).lower(),
            based_on=_val(based, w) or "",
            num_id=num_id,
            ilvl=ilvl,
            outline=outline,
            bold=_on(rpr.find(w.b), w) if rpr is not None else None,
            caps=_on(rpr.find(w.caps), w) if rpr is not None else None,
            hidden=_on(rpr.find(w.vanish), w) if rpr is not None else None,
        )
    return styles


def _style_chain(styles: dict[str, _Style], style_id: str) -> list[_Style]:
    """Return a style and the styles it is based on, nearest first (cycles cut)."""
    chain = []
    seen = set()
    while style_id and style_id in styles and style_id not in seen and len(chain) < 20:
        seen.add(style_id)
        chain.append(styles[style_id])
        style_id = styles[style_id].based_on
    return chain


def _inherited(chain: list[_Style], attribute: str):
    """Return the first value of `attribute` that is set along a style chain."""
    for style in chain:
        value = getattr(style, attribute)
        if value is not None:
            return value
    return None


@dataclass
class _Level:
    """One level (w:lvl) of a list definition."""

    start: int = 1
    fmt: str = "decimal"
    text: str | None = None
    restart: int | None = None
    legal: bool = False
    style: str = ""


def _read_level(element, w: _W) -> _Level:
    """Return one w:lvl definition."""
    restart = _int(_val(element.find(w.lvlRestart), w))
    text_el = element.find(w.lvlText)
    return _Level(
        start=_int(_val(element.find(w.start), w)) if element.find(w.start) is not None else 1,
        fmt=_val(element.find(w.numFmt), w) or "decimal",
        text=_val(text_el, w) if text_el is not None else None,
        restart=restart,
        legal=_on(element.find(w.isLgl), w) or False,
        style=_val(element.find(w.pStyle), w) or "",
    )


class _Numbering:
    """Compute displayed list labels paragraph by paragraph, as Word counts them."""

    def __init__(self, root, w: _W, styles: dict[str, _Style]):
        self.abstract: dict[str, dict[int, _Level]] = {}
        self.nums: dict[str, tuple[str, dict[int, int], dict[int, _Level]]] = {}
        self.counts: dict[str, list[int | None]] = {}
        self.starts: dict[str, dict[int, int]] = {}  # per abstract list: start overrides of the num last applied
        self.used: set[str] = set()
        if root is None:
            return
        links: dict[str, str] = {}
        for element in root.iter(w.abstractNum):
            abstract_id = element.get(w.abstractNumId)
            levels = {}
            for lvl in element.iter(w.lvl):
                ilvl = _int(lvl.get(w.ilvl))
                if ilvl is not None and 0 <= ilvl < 9:
                    levels[ilvl] = _read_level(lvl, w)
            self.abstract[abstract_id] = levels
            link = _val(element.find(w.numStyleLink), w)
            if link:
                links[abstract_id] = link
        for element in root.iter(w.num):
            num_id = element.get(w.numId)
            abstract_id = _val(element.find(w.abstractNumId), w)
            start_overrides: dict[int, int] = {}
            level_overrides: dict[int, _Level] = {}
            for override in element.iter(w.lvlOverride):
                ilvl = _int(override.get(w.ilvl))
                if ilvl is None or not 0 <= ilvl < 9:
                    continue
                start = _int(_val(override.find(w.startOverride), w))
                if start is not None:
                    start_overrides[ilvl] = start
                lvl = override.find(w.lvl)
                if lvl is not None:
                    level_overrides[ilvl] = _read_level(lvl, w)
            self.nums[num_id] = (abstract_id, start_overrides, level_overrides)
        # An abstract list that only links to a numbering style takes the levels of the list that style names.
        for abstract_id, style_id in links.items():
            target_num = _inherited(_style_chain(styles, style_id), "num_id")
            target = self.nums.get(target_num)
            if target and self.abstract.get(target[0]) and not self.abstract.get(abstract_id):
                self.abstract[abstract_id] = self.abstract[target[0]]

    def level_for_style(self, num_id: str, style_id: str) -> int | None:
        """Return the level of list `num_id` that is tied to paragraph style `style_id`, if any."""
        entry = self.nums.get(num_id)
        if not entry:
            return None
        for ilvl, level in self.abstract.get(entry[0], {}).items():
            if level.style == style_id:
                return ilvl
        return None

    def label(self, num_id: str, ilvl: int) -> tuple[str, bool]:
        """Return (displayed label, is a bullet) for the next paragraph of list `num_id` at level `ilvl`."""
        entry = self.nums.get(num_id)
        if not entry or entry[0] not in self.abstract:
            return "", False
        abstract_id, start_overrides, level_overrides = entry
        levels = dict(self.abstract[abstract_id])
        levels.update(level_overrides)
        if ilvl not in levels:
            return "", False
        counts = self.counts.setdefault(abstract_id, [None] * 9)
        # Lists that share an abstract definition continue each other unless a num restarts a level.
        if num_id not in self.used:
            self.used.add(num_id)
            if start_overrides:
                self.starts[abstract_id] = dict(start_overrides)
                for overridden in start_overrides:
                    counts[overridden] = None
        starts = self.starts.get(abstract_id, {})

        def start_of(k: int) -> int:
            return starts.get(k, levels[k].start if k in levels else 1)

        counts[ilvl] = start_of(ilvl) if counts[ilvl] is None else counts[ilvl] + 1
        for deeper in range(ilvl + 1, 9):
            restart = levels[deeper].restart if deeper in levels else None
            if restart is None or (restart != 0 and ilvl < restart):
                counts[deeper] = None
        level = levels[ilvl]
        if level.fmt == "bullet":
            return (level.text or "").strip(), True
        if level.fmt == "none" or level.text is None:
            return "", False

        def substitute(match: re.Match) -> str:
            k = int(match.group(1)) - 1
            value = counts[k] if counts[k] is not None else start_of(k)
            fmt = levels[k].fmt if k in levels else "decimal"
            if level.legal and k < ilvl:
                fmt = "decimal"
            return _format_number(value, fmt)

        return re.sub(r"%([1-9])", substitute, level.text).strip(), False


def _format_number(value: int, fmt: str) -> str:
    """Return a list counter in a Word number format."""
    if fmt == "none":
        return ""
    if value <= 0 or value > 32767:  # Word counts to 32767; a hostile start of 10**18 would spell a billion letters
        return str(value)
    if fmt in ("lowerLetter", "upperLetter"):
        # Word goes a..z, then aa..zz, aaa..: the letter repeats.
        letter = chr(ord("a") + (value - 1) % 26) * ((value - 1) // 26 + 1)
        return letter if fmt == "lowerLetter" else letter.upper()
    if fmt in ("lowerRoman", "upperRoman"):
        roman = _roman(value)
        return roman.lower() if fmt == "lowerRoman" else roman
    if fmt == "decimalZero":
        return f"{value:02d}"
    if fmt == "ordinal":
        suffix = "th" if 10 <= value % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(value % 10, "th")
        return f"{value}{suffix}"
    return str(value)


def _roman(value: int) -> str:
    """Return `value` in upper-case Roman numerals."""
    out = []
    for number, letters in (
        (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
        (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
    ):
        while value >= number:
            out.append(letters)
            value -= number
    return "".join(out)


def _val(element, w: _W) -> str | None:
    """Return the w:val attribute of an element, or None."""
    return None if element is None else element.get(w.val)


def _int(value) -> int | None:
    """Return `value` as an int, or None when it is absent or not a number."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
