"""Collect library problems as "file -> field: message" lines; check the fields of one mapping."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any


def suggest(word: str, choices) -> str:
    """Return ' (did you mean 'x'?)' for the closest choice, or ''."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


class Problems:
    """Collect "file -> field: message" lines."""

    def __init__(self, root: Path):
        self.root = root
        self.lines: list[str] = []

    def add(self, path: Path, field: str, message: str) -> None:
        try:
            shown = path.relative_to(self.root) if path != self.root else path
        except ValueError:
            shown = path
        self.lines.append(f"{shown} -> {field}: {message}" if field else f"{shown}: {message}")


def expect_mapping(data: Any, path: Path, field: str, problems: Problems) -> dict:
    """Return data when it is a mapping, else {} after recording the problem."""
    if isinstance(data, dict):
        return data
    if data is not None:
        problems.add(path, field, f"expected a mapping, got {type(data).__name__}")
    else:
        problems.add(path, field, "missing")
    return {}


def check_keys(data: dict, known: set[str], required: set[str], path: Path, prefix: str, problems: Problems) -> None:
    """Record unknown and missing fields of one mapping."""
    for key in sorted(set(data) - known, key=str):
        problems.add(path, f"{prefix}{key}", f"unknown field{suggest(key, known)}")
    for key in sorted(required - set(data)):
        problems.add(path, f"{prefix}{key}", "missing")


def text_field(data: dict, key: str, path: Path, field: str, problems: Problems) -> str:
    """Return data[key] as text ("" when absent), recording a value that is not text."""
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        problems.add(path, field, f"expected text, got {type(value).__name__}")
        return ""
    return value
