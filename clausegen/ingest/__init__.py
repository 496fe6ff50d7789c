"""Turn a contract file (DOCX, PDF, TXT, Markdown, HTML, RTF) into a Document of Sections with character offsets.

Files are treated as hostile: sizes, zip parts, XML entities and nesting and PDF pages are bounded by `Limits`, and
every failure is an IngestError (or a subclass) whose one-line message starts with the file name.

Offsets: `document.text[s.start:s.end] == s.text` for every section. For TXT and Markdown, Document.text is the
decoded file with line endings normalised to "\\n", so offsets point into the file's own text; for RTF, into the
text striprtf converts it to. For DOCX, PDF and HTML, Document.text is the extracted text: one section per block,
blocks separated by a blank line ("\\n\\n"). Document.ocr and Document.warnings say which PDF pages OCR read.

Section.number holds the clause number as displayed, without a final period ("4", "4.2", "(a)", "Section 4",
"ARTICLE V"); Section.heading the nearest heading above (or the section's own heading or leading caption);
Section.index is, for DOCX, the ordinal of the block's first w:p among all w:p elements of the part in document order
(`body.iter(w:p)`), and elsewhere the section's position in Document.sections.
"""

from __future__ import annotations

import hashlib
import os
import stat

from clausegen.errors import (
    CorruptFileError,
    EncryptedFileError,
    IngestError,
    NoTextError,
    UnsafeFileError,
    UnsupportedFileError,
)
from clausegen.model import Document
from clausegen.ingest.limits import DEFAULT_LIMITS, MB, Limits, _one_line, _size
from clausegen.ingest.text import _decode_sample, _ingest_text, _looks_binary
from clausegen.ingest.html import _ingest_html
from clausegen.ingest.pdf import _ingest_pdf
from clausegen.ingest.docx import _ingest_docx
from clausegen.ingest.ooxml import _open_zip
from clausegen.ingest.rtf import _ingest_rtf, is_rtf

# Names other modules import from clausegen.ingest (generate.py opens DOCX templates through _open_zip).
__all__ = ["DEFAULT_LIMITS", "MB", "Limits", "ingest", "ingest_bytes", "_open_zip"]

_FORMAT_BY_EXTENSION = {
    ".docx": "docx",
    ".pdf": "pdf",
    ".txt": "txt",
    ".text": "txt",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".rtf": "rtf",
}
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")  # stream name inside an encrypted OOXML container


# ---------------------------------------------------------------- entry points


def ingest(path, limits: Limits | None = None) -> Document:
    """Return the Document read from the file at `path`; the size is checked before anything is read.

    limits: the safety bounds (default: `Limits.from_env()`, the defaults with CLAUSEGEN_<FIELD> variables applied).
    """
    if limits is None:
        limits = Limits.from_env()
    name = os.fspath(path)
    if isinstance(name, bytes):
        name = os.fsdecode(name)
    try:
        info = os.stat(name)
    except FileNotFoundError:
        raise IngestError(f"{name}: file not found") from None
    except OSError as exc:
        raise IngestError(f"{name}: cannot read file ({exc.strerror or type(exc).__name__})") from None
    if stat.S_ISDIR(info.st_mode):
        raise IngestError(f"{name}: is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise IngestError(f"{name}: not a regular file")  # a FIFO or device could block or never end
    if info.st_size > limits.max_file_bytes:
        raise UnsafeFileError(f"{name}: file too large ({_size(info.st_size)} > {_size(limits.max_file_bytes)} limit)")
    try:
        with open(name, "rb") as handle:
            # Read one byte past the limit: a file that grew (or a device) is still caught.
            data = handle.read(limits.max_file_bytes + 1)
    except OSError as exc:
        raise IngestError(f"{name}: cannot read file ({exc.strerror or type(exc).__name__})") from None
    return ingest_bytes(data, name, limits)


def ingest_bytes(data: bytes, name: str, limits: Limits | None = None) -> Document:
    """Return the Document for `data`, a file called `name`; a pure function of its arguments (and, when `limits`
    is None, of the CLAUSEGEN_<FIELD> limit variables: see `Limits.from_env`)."""
    if limits is None:
        limits = Limits.from_env()
    extras: dict = {}  # what OCR read, and warnings about what was read
    try:
        fmt = _choose_format(data, name, limits)
        if fmt == "docx":
            text, sections, extras = _ingest_docx(data, name, limits)
        elif fmt == "pdf":
            text, sections, extras = _ingest_pdf(data, name, limits)
        elif fmt == "html":
            text, sections = _ingest_html(data, name)
        elif fmt == "rtf":
            text, sections, extras = _ingest_rtf(data, name)
        else:
            text, sections = _ingest_text(data, name, fmt)
    except IngestError:
        raise
    except Exception as exc:  # a parser bug or a hostile file must not escape as another type
        raise CorruptFileError(f"{name}: cannot parse file ({type(exc).__name__}: {_one_line(exc)})") from exc
    return Document(path=name, format=fmt, text=text, sections=sections, sha256=hashlib.sha256(data).hexdigest(),
                    ocr=extras.get("ocr"), warnings=extras.get("warnings", []))


# ---------------------------------------------------------------- format choice


def _choose_format(data: bytes, name: str, limits: Limits) -> str:
    """Return the format to parse `data` as, refusing unknown extensions and content that contradicts the extension."""
    ext = os.path.splitext(name)[1].lower()
    if ext and ext not in _FORMAT_BY_EXTENSION:
        raise UnsupportedFileError(f"{name}: unsupported file type '{ext}'")
    if len(data) > limits.max_file_bytes:
        raise UnsafeFileError(f"{name}: file too large ({_size(len(data))} > {_size(limits.max_file_bytes)} limit)")
    if not data:
        raise NoTextError(f"{name}: empty file")
    kind = _sniff(data)
    fmt = _FORMAT_BY_EXTENSION.get(ext) or {"zip": "docx", "pdf": "pdf", "rtf": "rtf"}.get(kind, "txt")
    if kind == "ole2":
        if fmt == "docx":
            if _ENCRYPTION_INFO in data:
                raise EncryptedFileError(f"{name}: password-protected Office file")
            raise EncryptedFileError(
                f"{name}: password-protected Office file or legacy Word .doc (OLE2 container, not a DOCX zip)"
            )
        raise UnsupportedFileError(f"{name}: not a {_label(fmt)} file (looks like an Office OLE2 file)")
    looks = {"zip": "a DOCX or zip archive", "pdf": "a PDF", "rtf": "RTF"}
    if fmt == "docx":
        if kind == "zip":
            return fmt
        what = looks.get(kind) or ("text" if not _looks_binary(_decode_sample(data)) else "unrecognised binary data")
        raise UnsupportedFileError(f"{name}: not a DOCX file (looks like {what})")
    if fmt == "pdf":
        if kind == "pdf":
            return fmt
        what = looks.get(kind) or ("text" if not _looks_binary(_decode_sample(data)) else "unrecognised binary data")
        raise UnsupportedFileError(f"{name}: not a PDF file (looks like {what})")
    if kind == "rtf":  # RTF saved as .txt, .md or .html is still RTF
        return "rtf"
    if fmt == "rtf":
        what = looks.get(kind) or ("text" if not _looks_binary(_decode_sample(data)) else "unrecognised binary data")
        raise UnsupportedFileError(f"{name}: not an RTF file (looks like {what})")
    if kind in looks:
        raise UnsupportedFileError(f"{name}: not a text file (looks like {looks[kind]})")
    return fmt


def _sniff(data: bytes) -> str:
    """Return what the content looks like: zip, ole2, pdf, rtf or text."""
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        return "zip"
    if data[:8] == _OLE2_MAGIC:
        return "ole2"
    # Readers accept junk before the header within the first KB.
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if is_rtf(data):
        return "rtf"
    return "text"


def _label(fmt: str) -> str:
    """Return the display name of a format."""
    return {"docx": "DOCX", "pdf": "PDF"}.get(fmt, "text")
