"""The unit of work: a pure function of (a file's bytes, the library) -> a review JSON object, or an error row."""

from __future__ import annotations

from typing import Any, Callable

from clausegen.errors import ClausegenError, escape_controls
from clausegen.model import SAFEGUARD_IDS, Finding, Review

# File types the reviewer reads: lower-case extension -> format name.
SUPPORTED = {".docx": "docx", ".pdf": "pdf", ".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md",
             ".html": "html", ".htm": "html", ".rtf": "rtf"}
DEFAULT_ENGINE = "clausegen.review:review_bytes"
DEFAULT_TIMEOUT = 60.0  # seconds per file
CACHE_NAME = "cache.sqlite"
LOCK_NAME = ".clausegen-audit.lock"
OUTPUTS = ("results.jsonl", "summary.csv", "evidence.csv", "summary.xlsx", "dashboard.html", "skipped.csv")
SCHEMA_VERSION = "1"
WARMUP_TEXT = b"This Agreement is made between the Supplier and the Customer. The Customer shall comply with law."
_WARM_ENV = "CLAUSEGEN_AUDIT_FORKSERVER_WARM"


# ---------------------------------------------------------------------------------------------------------------
# The unit of work: a pure function of (bytes, library)
# ---------------------------------------------------------------------------------------------------------------

def one_line(message: Any, limit: int = 400) -> str:
    """Return message on one line (control characters in names escaped, whitespace collapsed), cut to limit
    characters."""
    text = " ".join(escape_controls(str(message), keep="\n\t").split()) or "unknown error"
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def error_review(name: str, message: str, required: set[str] | None = None) -> dict[str, Any]:
    """Return the review JSON object for a document that could not be reviewed.

    All ten safeguards have status `error` (never `missing`: nothing was read, so nothing can be said missing),
    score 0, no evidence, and the one-line reason in `errors` and in each explanation ("not reviewed: <reason>").
    This is the one extension of DESIGN.md's status set (docs/architecture.md).
    """
    required = required or set()
    findings = [Finding(sid, "error", 0.0, explanation=f"not reviewed: {message}", required=sid in required)
                for sid in SAFEGUARD_IDS]
    return Review(name, "unknown", findings, errors=[message]).to_dict()


def as_error_row(review: dict[str, Any]) -> dict[str, Any]:
    """Return review with every safeguard's status `error` when it has errors (a cached row of an older version,
    or a reviewer that reported an error), unchanged otherwise."""
    errors = review.get("errors") or []
    if not errors:
        return review
    for s in review.get("safeguards") or []:
        if s.get("status") != "error":
            s.update(status="error", score=0.0, evidence=[], missing_elements=[],
                     explanation=f"not reviewed: {errors[0]}")
    return review


def resolve_engine(spec: str | None = None) -> Callable[..., Any]:
    """Return the per-document review function named by 'module:function' (default clausegen.review:review_bytes)."""
    import importlib

    module, _, attr = (spec or DEFAULT_ENGINE).partition(":")
    return getattr(importlib.import_module(module), attr or "review_bytes")


def audit_document(data: bytes, name: str, library, required: set[str] | None = None,
                    engine: str | Callable[..., Any] | None = None) -> dict[str, Any]:
    """Review one document's bytes: the audit's unit of work, a pure function of (bytes, name's format, library).

    Returns the review JSON object of DESIGN.md. A file the reviewer refuses (corrupt, encrypted, empty, too large:
    any ClausegenError) gives `error_review` with the reviewer's one-line message; a bug in the reviewer gives an
    error object naming the exception. Never raises for bad input.
    """
    func = engine if callable(engine) else resolve_engine(engine)
    try:
        review = func(data, name, library, required=required)
    except ClausegenError as exc:  # the message names the file: a newline in the name is escaped, not collapsed
        return error_review(name, one_line(str(exc).replace(name, escape_controls(name))), required)
    except MemoryError:
        raise
    except Exception as exc:  # a reviewer bug on this file: recorded on its row, never stops the batch
        return error_review(name, one_line(f"internal error in the reviewer: {type(exc).__name__}: {exc}"), required)
    result = review.to_dict() if hasattr(review, "to_dict") else dict(review)
    if result.get("errors"):
        result["errors"] = [one_line(e) for e in result["errors"]]
    return as_error_row(result)

def _limit_names() -> list[str]:
    """Return the names of the CLAUSEGEN_<LIMIT> variables (the ingest limits, the OCR mode among them)."""
    from dataclasses import fields

    from clausegen.ingest import Limits

    return [f"CLAUSEGEN_{item.name.upper()}" for item in fields(Limits)]
