"""RTF documents, whatever their extension: the text a word processor shows, converted by striprtf."""

from __future__ import annotations

from clausegen.errors import NoTextError
from clausegen.ingest.text import _sections_from_text
from clausegen.model import Section

RTF_MAGIC = b"{\\rtf"
_BREAKS = frozenset(("line", "row", "cell"))  # kept in hidden text: they separate what is shown
_ESCAPED_TEXT = frozenset("{}\\~-_")  # \{ \} \\ and the non-breaking space, optional hyphen and hyphen


def is_rtf(data: bytes) -> bool:
    """Return True when the bytes start (after a BOM or blank space) like an RTF document."""
    return data[:64].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(RTF_MAGIC)


def rtf_text(data: bytes) -> tuple[str, int]:
    """Return the visible text of an RTF document, "\\n" between paragraphs, and how many characters of hidden text
    (\\v, which word processors do not show) were left out."""
    from striprtf.striprtf import rtf_to_text

    # RTF is 7-bit: other characters are \\'xx escapes (in the document's code page) or \\uN escapes.
    source, hidden = _without_hidden(data.decode("cp1252", errors="replace"))
    text = rtf_to_text(source, errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", ""), hidden


def _without_hidden(source: str) -> tuple[str, int]:
    """Return RTF source without the characters of hidden runs, and how many were removed.

    striprtf keeps text formatted \\v. This walks striprtf's own tokens: \\v starts hidden text, \\v0 or \\plain ends
    it, and a group restores the state it opened with. Control words and groups stay, so paragraphs still parse.
    """
    from striprtf.striprtf import PATTERN, sectionchars, specialchars

    pieces: list[str] = []
    kept = 0  # source offset up to which pieces hold the source
    removed = 0
    hidden = False
    stack: list[bool] = []
    for match in PATTERN.finditer(source):
        word, arg, hexa, char, brace, tchar = match.groups()
        if brace:
            if brace == "{":
                stack.append(hidden)
            else:
                hidden = stack.pop() if stack else False
            continue
        if word == "v":
            hidden = arg != "0"
        elif word == "plain":
            hidden = False
        elif hidden and (tchar or hexa or char in _ESCAPED_TEXT or word == "u"
                         or (word in specialchars and word not in sectionchars and word not in _BREAKS)):
            pieces.append(source[kept:match.start()])
            kept = match.end()
            removed += 1
    if not removed:
        return source, 0
    pieces.append(source[kept:])
    return "".join(pieces), removed


def _ingest_rtf(data: bytes, name: str) -> tuple[str, list[Section], dict]:
    """Return (text, sections, warnings) of an RTF document."""
    text, hidden = rtf_text(data)
    if not text.strip():
        raise NoTextError(f"{name}: no text in RTF document")
    extras = {"warnings": [f"hidden text left out ({hidden} characters a word processor does not show)"]} if hidden \
        else {}
    return text, _sections_from_text(text, "txt"), extras
