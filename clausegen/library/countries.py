"""Load countries.yaml: the countries, the export screens and their reviewed entries."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from clausegen.library.bounded_yaml import read_yaml
from clausegen.library.problems import Problems, expect_mapping


def load_countries(path: Path, problems: Problems) -> dict[str, Any]:
    """Return countries.yaml as {as_of, note, sources, countries: {code: name}, screens: {id: {...}}}."""
    data = expect_mapping(read_yaml(path, problems), path, "", problems)
    as_of = data.get("as_of")
    if not isinstance(as_of, dt.date):
        problems.add(path, "as_of", "an as_of date (YYYY-MM-DD) is required")
    if not data.get("note"):
        problems.add(path, "note", "a note telling users to check the current lists is required")
    countries = expect_mapping(data.get("countries"), path, "countries", problems)
    for code in countries:
        if not re.match(r"^[A-Z]{2}$", str(code)):
            problems.add(path, f"countries.{code}", "codes are ISO 3166-1 alpha-2 (two capital letters)")
    screens = expect_mapping(data.get("screens"), path, "screens", problems)
    for sid, screen in screens.items():
        screen = expect_mapping(screen, path, f"screens.{sid}", problems)
        for key in ("title", "source", "as_of", "codes", "verdict"):
            if key not in screen:
                problems.add(path, f"screens.{sid}.{key}", "missing")
        if screen.get("verdict") not in (None, "stop", "licence-required", "licence-check"):
            problems.add(path, f"screens.{sid}.verdict", "verdict must be 'stop', 'licence-required' or 'licence-check'")
        if screen.get("applies_to") not in (None, "government", "military"):
            problems.add(path, f"screens.{sid}.applies_to", "applies_to must be 'government' or 'military'")
        for code in screen.get("codes") or []:
            if code not in countries:
                problems.add(path, f"screens.{sid}.codes", f"unknown country code '{code}'")
    entries = expect_mapping(data.get("entries") or {}, path, "entries", problems)
    for code, entry in entries.items():
        entry = expect_mapping(entry, path, f"entries.{code}", problems)
        if code not in countries:
            problems.add(path, f"entries.{code}", f"unknown country code '{code}'")
        if not isinstance(entry.get("reviewed"), dt.date):
            problems.add(path, f"entries.{code}.reviewed", "the date the entry was reviewed (YYYY-MM-DD) is required")
        if not entry.get("basis"):
            problems.add(path, f"entries.{code}.basis", "the source the entry rests on is required")
    return {
        "path": str(path),
        "as_of": str(as_of),
        "entries": {str(k): dict(v, reviewed=str(v.get("reviewed"))) for k, v in entries.items() if isinstance(v, dict)},
        "note": data.get("note", ""),
        "sources": data.get("sources") or [],
        "countries": {str(k): str(v) for k, v in countries.items()},
        "screens": screens,
    }
