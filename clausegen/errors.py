"""The exception hierarchy: every error a user can cause is a ClausegenError with a one-line message."""


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
