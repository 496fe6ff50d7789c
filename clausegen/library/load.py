"""Locate and read the whole library: every part loaded and cross-checked, every problem with its file and field."""

from __future__ import annotations

import os
from pathlib import Path

from clausegen.errors import LibraryError
from clausegen.library.bounded_yaml import read_yaml
from clausegen.library.clauses import check_samples, load_clause
from clausegen.library.countries import load_countries
from clausegen.library.problems import Problems, expect_mapping, suggest
from clausegen.library.safeguards import load_capabilities, load_red_flags, load_safeguards
from clausegen.library.templates import load_documents
from clausegen.model import SAFEGUARD_IDS, Clause, Library


def default_library_path() -> Path:
    """Return the library folder: $CLAUSEGEN_LIBRARY, else the clause_library/ beside the package."""
    env = os.environ.get("CLAUSEGEN_LIBRARY")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "clause_library"  # clausegen/library/load.py -> the repo root


def check_coverage(library: Library, problems: Problems) -> None:
    """Record safeguards no clause provides and (safeguard, strictness) needs no clause can meet."""
    provided = {sid for c in library.clauses.values() for sid in c.provides}
    for sid in SAFEGUARD_IDS:
        if sid not in provided:
            problems.add(Path(library.root) / "clauses", sid, "no clause provides this safeguard")
    for clause in library.clauses.values():
        for other in clause.superseded_by:
            if other not in library.clauses:
                problems.add(Path(clause.path) / "clause.yaml", "superseded_by",
                             f"unknown clause '{other}'{suggest(other, library.clauses)}")


def load_library(root: str | Path | None = None, countries: str | Path | None = None,
                 check_detection: bool = True, check_templates: bool = True) -> Library:
    """Return the validated library at root; raise LibraryError listing every problem.

    check_detection=False skips the reviewer's rule check, check_templates=False the checks of clause and document
    templates (for a process that only reviews, with the library validated elsewhere)."""
    library, problems = read_library(root, countries, check_detection, check_templates)
    if problems:
        raise LibraryError(problems)
    return library


def validate_library(root: str | Path | None = None) -> list[str]:
    """Return every problem of the library at root as "file -> field: message" lines."""
    return read_library(root)[1]


def read_library(root: str | Path | None = None, countries: str | Path | None = None,
                 check_detection: bool = True, check_templates: bool = True) -> tuple[Library, list[str]]:
    """Return the library and the list of its problems."""
    root = Path(root) if root else default_library_path()
    problems = Problems(root)
    if not root.is_dir():
        problems.add(root, "", "clause library folder not found")
        return Library(str(root), "", {}, {}, {"countries": {}, "screens": {}}, {}), problems.lines
    meta_path = root / "library.yaml"
    meta = expect_mapping(read_yaml(meta_path, problems), meta_path, "", problems)
    if not meta.get("version"):
        problems.add(meta_path, "version", "missing")
    safeguards = load_safeguards(root, problems)
    red_flags = load_red_flags(root, problems)
    capabilities = load_capabilities(root, red_flags, problems)
    country_data = load_countries(Path(countries) if countries else root / "countries.yaml", problems)
    for sid, screen in country_data["screens"].items():
        for group, ids in ((screen or {}).get("raises") or {}).items():
            for fid in ids or []:
                if fid not in red_flags:
                    problems.add(Path(country_data["path"]), f"screens.{sid}.raises.{group}", f"unknown red flag '{fid}'")
    clauses: dict[str, Clause] = {}
    clause_root = root / "clauses"
    if not clause_root.is_dir():
        problems.add(clause_root, "", "missing folder")
    else:
        for folder in sorted(p for p in clause_root.iterdir() if p.is_dir()):
            clause = load_clause(folder, red_flags, problems, check_templates)
            if clause is not None:
                clauses[clause.id] = clause
    library = Library(str(root), str(meta.get("version", "")), safeguards, red_flags, country_data, clauses, capabilities)
    check_coverage(library, problems)
    if check_templates:
        check_samples(clauses, problems)
        if (root / "documents").is_dir():  # a library without documents/ can review but not draft
            load_documents(root, clauses, problems)
    if check_detection and safeguards:
        check_detection_rules(library, problems)
        if (root / "lexicon.yaml").is_file():  # the reviewer's words: read now, so a broken file is named here
            read_yaml(root / "lexicon.yaml", problems)
    return library, problems.lines


def check_detection_rules(library: Library, problems: Problems) -> None:
    """Record invalid reviewer rules (the detector knows its own pattern format)."""
    try:
        from clausegen import detect
    except ImportError:  # the reviewer is optional for drafting
        return
    validate = getattr(detect, "validate_detection", None)
    if validate is None:
        return
    path = Path(library.root) / "safeguards.yaml"
    for sid, safeguard in library.safeguards.items():
        for field, message in validate(sid, safeguard.detection):
            problems.add(path, f"{sid}.detection.{field}" if field else f"{sid}.detection", message)
