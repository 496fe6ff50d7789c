"""RTF documents, whatever their extension: the text a word processor shows, converted by striprtf."""

from __future__ import annotations

from clausegen.errors import NoTextError
from clausegen.ingest.text import _sections_from_text
from clausegen.model import Section

RTF_MAGIC = b"{\\rtf"


def is_rtf(data: bytes) -> bool:
    """Return True when the bytes start (after a BOM or blank space) like an RTF document."""
    return data[:64].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(RTF_MAGIC)


def rtf_text(data: bytes) -> str:
    """Return the visible text of an RTF document, "\\n" between paragraphs."""
    from striprtf.striprtf import rtf_to_text

    # RTF is 7-bit: other characters are \\'xx escapes (in the document's code page) or \\uN escapes.
    text = rtf_to_text(data.decode("cp1252", errors="replace"), errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


def _ingest_rtf(data: bytes, name: str) -> tuple[str, list[Section]]:
    """Return (text, sections) of an RTF document."""
    text = rtf_text(data)
    if not text.strip():
        raise NoTextError(f"{name}: no text in RTF document")
    return text, _sections_from_text(text, "txt")
