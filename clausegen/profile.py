"""Load and validate a transaction profile (YAML or JSON); every problem names the file and the field."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import yaml

from clausegen.errors import ProfileError
from clausegen.library import Yaml12Loader, expansion_problem, suggest
from clausegen.model import Answer, Library, Profile

COUNTERPARTY_TYPES = ("government_agency", "state_owned", "private", "reseller", "integrator")
INTERMEDIARY_TYPES = ("distributor", "reseller", "integrator", "agent")
DEPLOYMENT_MODELS = ("cloud", "on_premises", "hybrid")
AVAILABILITY = ("custom", "widely_available")
ANSWERS = ("yes", "no", "unknown")
SCREENING_RESULTS = ("clear", "match", "not_screened")
LICENCE_DETERMINATIONS = ("required", "not_required", "exception", "unknown")
MAX_PROFILE_BYTES = 1_000_000

# The schema as data: field -> (type, required, allowed values or nested schema). Types: str, int, bool, list, map.
SCHEMA: dict[str, Any] = {
    "title": ("str", False, None),
    "seller": ("map", True, {"name": ("str", True, None), "country": ("country", False, None),
                             "role_term": ("str", False, None)}),
    "counterparty": ("map", True, {
        "name": ("str", True, None),
        "type": ("str", True, COUNTERPARTY_TYPES),
        "country": ("country", False, None),
        "role_term": ("str", False, None),
        "notes": ("str", False, None),
    }),
    "destination": ("country", True, None),
    "product": ("map", True, {
        "name": ("str", True, None),
        "description": ("str", False, None),
        "capabilities": ("list", True, "capability"),
        "availability": ("str", False, AVAILABILITY),
        "critical_component": ("bool", False, None),
    }),
    "deployment": ("map", False, {
        "model": ("str", True, DEPLOYMENT_MODELS),
        "licence_term_months": ("int", False, None),
    }),
    "end_use": ("map", True, {
        "stated": ("str", True, None),
        "end_users_known": ("answer", True, None),
        "end_users": ("list", False, "str"),
    }),
    "intermediaries": ("list", False, {
        "name": ("str", True, None),
        "type": ("str", True, INTERMEDIARY_TYPES),
        "country": ("country", False, None),
    }),
    "red_flags": ("map", False, "answers"),
    # Export control beyond the country (docs/profile-format.md): what is not answered stays an open question.
    "export": ("map", False, {
        "classification": ("map", False, {
            "eccn": ("str", False, None),  # "EAR99", "5A002.a", "3A981" or "unknown"
            "encryption": ("answer", False, None),
            "crime_control": ("answer", False, None),
            "reasons": ("list", False, "str"),  # reasons for control: NS1, AT1, CC1, EI ...
            "source": ("str", False, None),  # who classified it, and when
        }),
        "end_user": ("map", False, {
            "military": ("answer", False, None),
            "security_or_police": ("answer", False, None),
            "screening": ("map", False, {
                "result": ("str", True, SCREENING_RESULTS),
                "lists": ("list", False, "str"),
                "date": ("date", False, None),
                "source": ("str", False, None),
            }),
        }),
        "licence": ("map", False, {
            "determination": ("str", True, LICENCE_DETERMINATIONS),
            "basis": ("str", False, None),
            "reference": ("str", False, None),  # licence number or licence exception
        }),
    }),
    "tailoring": ("list", False, "str"),  # Guidance step 5: how the product was tailored to limit misuse
    "sources": ("list", False, "str"),  # sources consulted for the due diligence (reports, embassy, NGOs)
    "governing_law": ("str", False, None),
    "variables": ("map", False, "any"),
}


def read_profile_data(path: Path) -> dict[str, Any]:
    """Return the parsed YAML/JSON mapping of a profile file."""
    if not path.is_file():
        raise ProfileError(f"{path}: file not found")
    if path.suffix.lower() not in (".yaml", ".yml", ".json"):
        raise ProfileError(f"{path}: a profile is a .yaml, .yml or .json file, not '{path.suffix or 'no extension'}'")
    if path.stat().st_size > MAX_PROFILE_BYTES:
        raise ProfileError(f"{path}: file is larger than {MAX_PROFILE_BYTES // 1000} kB; not a profile")
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.load(text, Loader=Yaml12Loader)
    except UnicodeDecodeError:
        raise ProfileError(f"{path}: not UTF-8 text") from None
    except RecursionError:
        raise ProfileError(f"{path}: nested too deeply; not a profile") from None
    except json.JSONDecodeError as exc:
        raise ProfileError(f"{path}: malformed JSON at line {exc.lineno}: {exc.msg}") from None
    except ValueError as exc:  # a 5,000-digit number (int conversion limit)
        raise ProfileError(f"{path}: malformed {'JSON' if path.suffix.lower() == '.json' else 'YAML'}: "
                           f"{str(exc).splitlines()[0][:200]}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ProfileError(f"{path}: malformed YAML{where}: {getattr(exc, 'problem', None) or exc}") from None
    if data is None:
        raise ProfileError(f"{path}: the file is empty; a profile is a mapping of fields")
    if not isinstance(data, dict):
        raise ProfileError(f"{path}: a profile is a mapping of fields, got {type(data).__name__}")
    check_expanded_size(data, path)
    return data


MAX_PROFILE_VALUES = 100_000


def check_expanded_size(data: Any, path: Path) -> None:
    """Refuse data that expands to more than MAX_PROFILE_VALUES values or nests deeper than 100 levels."""
    problem = expansion_problem(data, MAX_PROFILE_VALUES)
    if problem:
        raise ProfileError(f"{path}: {problem}; not a profile")


class Checker:
    """Walk profile data against SCHEMA, collecting "file -> field: message" lines."""

    def __init__(self, path: Path, library: Library):
        self.path = path
        self.library = library
        self.countries = library.countries.get("countries", {})
        self.names = {name.lower(): code for code, name in self.countries.items()}
        self.problems: list[str] = []

    def add(self, field: str, message: str) -> None:
        self.problems.append(f"{self.path} -> {field}: {message}")

    def mapping(self, data: Any, schema: dict, prefix: str) -> None:
        if not isinstance(data, dict):
            self.add(prefix or "(top)", f"expected a mapping, got {type(data).__name__}")
            return
        for key in data:
            if key not in schema:
                self.add(f"{prefix}{key}", f"unknown field{suggest(key, schema)}")
        for key, (kind, required, allowed) in schema.items():
            if key not in data or data[key] is None:
                if required:
                    self.add(f"{prefix}{key}", "required field is missing")
                continue
            self.value(data[key], kind, allowed, f"{prefix}{key}")

    def value(self, value: Any, kind: str, allowed: Any, field: str) -> None:
        if kind == "str":
            if not isinstance(value, str) or not value.strip():
                self.add(field, f"expected text, got {type(value).__name__}")
            elif allowed and value not in allowed:
                self.add(field, f"unknown value '{value}'{suggest(value, allowed)}; expected one of {', '.join(allowed)}")
        elif kind == "date":  # YAML reads 2026-11-20 as a date; text ("November 2026") is fine too
            if not isinstance(value, (str, dt.date)) or (isinstance(value, str) and not value.strip()):
                self.add(field, f"expected a date (YYYY-MM-DD) or text, got {type(value).__name__}")
        elif kind == "int":
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                self.add(field, f"expected a whole number, got {value!r}")
        elif kind == "bool":
            if not isinstance(value, bool):
                self.add(field, f"expected true or false, got {value!r}")
        elif kind == "country":
            if self.country_code(value) is None:
                self.add(field, f"unknown country '{value}'{suggest(value, list(self.countries) + list(self.countries.values()))}")
        elif kind == "answer":
            if answer_text(value) not in ANSWERS:
                self.add(field, f"expected yes, no or unknown, got {value!r}")
        elif kind == "list":
            if not isinstance(value, list):
                self.add(field, f"expected a list, got {type(value).__name__}")
                return
            for i, item in enumerate(value):
                if isinstance(allowed, dict):
                    self.mapping(item, allowed, f"{field}[{i}].")
                elif allowed == "capability" and item not in self.library.capabilities:
                    self.add(f"{field}[{i}]", f"unknown capability '{item}'{suggest(item, self.library.capabilities)}")
                elif allowed == "str" and not isinstance(item, str):
                    self.add(f"{field}[{i}]", f"expected text, got {type(item).__name__}")
        elif kind == "map":
            if isinstance(allowed, dict):
                self.mapping(value, allowed, f"{field}.")
            elif not isinstance(value, dict):
                self.add(field, f"expected a mapping, got {type(value).__name__}")
            elif allowed == "answers":
                self.answers(value, field)

    def answers(self, value: dict, field: str) -> None:
        for fid, answer in value.items():
            where = f"{field}.{fid}"
            if fid not in self.library.red_flags:
                self.add(where, f"unknown red flag{suggest(fid, self.library.red_flags)}")
            if isinstance(answer, dict):
                for key in answer:
                    if key not in ("answer", "note", "source"):
                        self.add(f"{where}.{key}", f"unknown field{suggest(key, ['answer', 'note', 'source'])}")
                answer = answer.get("answer")
            if answer_text(answer) not in ANSWERS:
                self.add(where, f"expected yes, no or unknown, got {answer!r}")

    def country_code(self, value: Any) -> str | None:
        if not isinstance(value, str):
            return None
        if value.upper() in self.countries:
            return value.upper()
        return self.names.get(value.strip().lower())


def answer_text(value: Any) -> str:
    """Return a yes/no/unknown answer as text (YAML reads a bare yes/no as a boolean)."""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return str(value).strip().lower() if value is not None else ""


def load_profile(path: str | Path, library: Library) -> Profile:
    """Return the validated profile at path; raise ProfileError listing every problem, one per line."""
    path = Path(path)
    data = read_profile_data(path)
    checker = Checker(path, library)
    checker.mapping(data, SCHEMA, "")
    if checker.problems:
        raise ProfileError("\n".join(checker.problems))

    answers = {}
    for fid, answer in (data.get("red_flags") or {}).items():
        if isinstance(answer, dict):
            note = " ".join(str(answer.get(k, "")) for k in ("note", "source") if answer.get(k)).strip()
            answers[fid] = Answer(answer_text(answer.get("answer")), note)
        else:
            answers[fid] = Answer(answer_text(answer))
    counterparty = dict(data["counterparty"])
    destination = checker.country_code(data["destination"])
    counterparty["country"] = checker.country_code(counterparty.get("country") or destination)
    end_use = dict(data["end_use"])
    end_use["end_users_known"] = answer_text(end_use["end_users_known"])
    intermediaries = [dict(i, country=checker.country_code(i.get("country") or destination))
                      for i in data.get("intermediaries") or []]
    return Profile(
        path=str(path),
        title=str(data.get("title") or path.stem),
        seller=dict(data["seller"]),
        counterparty=counterparty,
        destination=destination,
        product=dict(data["product"]),
        deployment=dict(data.get("deployment") or {"model": "on_premises"}),
        end_use=end_use,
        intermediaries=intermediaries,
        red_flags=answers,
        raw=data,
    )
