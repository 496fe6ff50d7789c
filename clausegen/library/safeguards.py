"""Load safeguards.yaml, red_flags.yaml and capabilities.yaml, recording every problem."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from clausegen.library.bounded_yaml import read_yaml
from clausegen.library.problems import Problems, check_keys, expect_mapping, suggest
from clausegen.model import SAFEGUARD_IDS, STRICTNESS, Element, RedFlag, Safeguard, SafeguardNeed

SEVERITIES = ("low", "medium", "high", "critical")


def load_safeguards(root: Path, problems: Problems) -> dict[str, Safeguard]:
    """Return the safeguards of safeguards.yaml by id."""
    path = root / "safeguards.yaml"
    data = expect_mapping(read_yaml(path, problems), path, "safeguards", problems)
    safeguards: dict[str, Safeguard] = {}
    for i, item in enumerate(data.get("safeguards") or []):
        field = f"safeguards[{i}]"
        item = expect_mapping(item, path, field, problems)
        sid = item.get("id")
        if sid not in SAFEGUARD_IDS:
            problems.add(path, f"{field}.id", f"unknown safeguard '{sid}'{suggest(sid, SAFEGUARD_IDS)}")
            continue
        elements = []
        for j, el in enumerate(item.get("elements") or []):
            el = expect_mapping(el, path, f"{sid}.elements[{j}]", problems)
            # an unquoted comma in a YAML flow mapping makes a stray key of the rest of the description
            check_keys(el, {"id", "description", "core"}, set(), path, f"{sid}.elements[{j}].", problems)
            if not el.get("id") or not el.get("description"):
                problems.add(path, f"{sid}.elements[{j}]", "an element needs an id and a description")
                continue
            elements.append(Element(str(el["id"]), str(el["description"]), bool(el.get("core", False))))
        if sum(e.core for e in elements) != 1:
            problems.add(path, f"{sid}.elements", "exactly one element must be marked core: true")
        detection = item.get("detection") or {}
        if not isinstance(detection, dict):
            problems.add(path, f"{sid}.detection", "expected a mapping")
            detection = {}
        safeguards[sid] = Safeguard(sid, str(item.get("title", "")), str(item.get("description", "")), elements, detection)
    for sid in SAFEGUARD_IDS:
        if sid not in safeguards:
            problems.add(path, "safeguards", f"safeguard '{sid}' is not defined")
    return safeguards


def load_red_flags(root: Path, problems: Problems) -> dict[str, RedFlag]:
    """Return the red flags of red_flags.yaml by id."""
    path = root / "red_flags.yaml"
    data = expect_mapping(read_yaml(path, problems), path, "red_flags", problems)
    flags: dict[str, RedFlag] = {}
    for i, item in enumerate(data.get("red_flags") or []):
        item = expect_mapping(item, path, f"red_flags[{i}]", problems)
        fid = str(item.get("id", ""))
        field = fid or f"red_flags[{i}]"
        if not re.match(r"^(cap|eu|law|stk)\.[a-z_]+$", fid):
            problems.add(path, f"{field}.id", "a red-flag id looks like 'cap.name', 'eu.name', 'law.name' or 'stk.name'")
        if fid in flags:
            problems.add(path, f"{field}.id", "duplicate red-flag id")
        step = item.get("step")
        if step not in (1, 2, 3, 4):
            problems.add(path, f"{field}.step", f"step must be 1 to 4, got {step!r}")
        if item.get("severity") not in SEVERITIES:
            problems.add(path, f"{field}.severity", f"severity must be one of {', '.join(SEVERITIES)}")
        needs = []
        for j, need in enumerate(item.get("calls_for") or []):
            need = expect_mapping(need, path, f"{field}.calls_for[{j}]", problems)
            sid, strict = need.get("safeguard"), need.get("strictness", "standard")
            if sid not in SAFEGUARD_IDS:
                problems.add(path, f"{field}.calls_for[{j}]", f"unknown safeguard '{sid}'{suggest(sid, SAFEGUARD_IDS)}")
            elif strict not in STRICTNESS:
                problems.add(path, f"{field}.calls_for[{j}]", f"strictness must be standard or strict, got {strict!r}")
            else:
                needs.append(SafeguardNeed(sid, strict))
        if not needs:
            problems.add(path, f"{field}.calls_for", "a red flag must call for at least one safeguard")
        if not item.get("text"):
            problems.add(path, f"{field}.text", "missing")
        flags[fid] = RedFlag(fid, step if isinstance(step, int) else 0, str(item.get("text", "")),
                             str(item.get("severity", "")), needs, str(item.get("residual") or ""))
    return flags


def load_capabilities(root: Path, red_flags: dict[str, RedFlag], problems: Problems) -> dict[str, dict[str, Any]]:
    """Return capabilities.yaml: category id -> {title, raises: [red-flag ids]}."""
    path = root / "capabilities.yaml"
    data = expect_mapping(read_yaml(path, problems), path, "capabilities", problems)
    categories = expect_mapping(data.get("capabilities"), path, "capabilities", problems)
    result = {}
    for cid, item in categories.items():
        item = expect_mapping(item, path, f"capabilities.{cid}", problems)
        for fid in item.get("raises") or []:
            if fid not in red_flags:
                problems.add(path, f"capabilities.{cid}.raises", f"unknown red flag '{fid}'{suggest(fid, red_flags)}")
        result[str(cid)] = {"title": str(item.get("title", cid)), "raises": list(item.get("raises") or []),
                            "has": [str(h) for h in item.get("has") or []]}
    return result
