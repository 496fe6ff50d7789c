"""The exception hierarchy: every error a user can cause is a ClausegenError with a one-line message."""

import re

_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def escape_controls(text: str, keep: str = "") -> str:
    """Return text with control characters (newlines in a file name, terminal escapes) written as \\n, \\x1b...,
    so that a message naming a file stays on one line and cannot pass for another message; `keep` lists those
    left as they are."""
    def escape(match):
        char = match.group()
        return char if char in keep else char.encode("unicode_escape").decode("ascii")

    return _CONTROLS.sub(escape, text)


class ClausegenError(Exception):
    """Base class: an error the CLI reports as one line with exit code 2."""


class LibraryError(ClausegenError):
    """The clause library is invalid; `problems` holds every "file -> field: message" line."""

    def __init__(self, problems):
        self.problems = list(problems)
        count = len(self.problems)
        head = f"clause library has {count} problem{'s' if count != 1 else ''}"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in self.problems))


class ProfileError(ClausegenError):
    """A transaction profile cannot be loaded; the message names the file and the field."""


class IngestError(ClausegenError):
    """A contract file cannot be read; the message names the file and the reason."""


class RenderError(ClausegenError):
    """A clause or document template cannot be rendered; the message names the clause and the variable."""


class OutputError(ClausegenError):
    """An output path is refused (exists without --force, or escapes the output folder)."""


class UnsupportedFileError(IngestError):
    """The file type is unknown, or the content does not match the extension (a .docx that is a PDF, binary junk)."""


class EncryptedFileError(IngestError):
    """The file is password-protected (encrypted PDF, encrypted Office file or zip)."""


class UnsafeFileError(IngestError):
    """The file exceeds a safety limit (size, zip bomb, XML entities or depth, page count)."""


class CorruptFileError(IngestError):
    """The file is malformed or truncated, or its parser failed."""


class NoTextError(IngestError):
    """The file holds no extractable text (empty file, scanned PDF without a text layer)."""


class ExportStopError(ClausegenError):
    """The export screen stopped the transaction and no override was given; the CLI exits 1."""


class DraftCheckError(ClausegenError):
    """The draft checker found errors in a generated document; `problems` holds them; the CLI exits 1."""

    def __init__(self, path, problems):
        self.problems = list(problems)
        super().__init__(f"{path}: the draft checker found {len(self.problems)} error"
                         f"{'s' if len(self.problems) != 1 else ''}:\n"
                         + "\n".join(f"  {p.line()}" for p in self.problems))
