"""Read one YAML file of the library, bounded like profiles: size, expanded size, depth."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from clausegen.library.problems import Problems
from clausegen.yamlio import Yaml12Loader

MAX_YAML_BYTES = 1_000_000  # the same bounds as a profile's (profile.py)
MAX_YAML_VALUES = 100_000
MAX_YAML_DEPTH = 100


def expansion_problem(data: Any, max_values: int = MAX_YAML_VALUES, max_depth: int = MAX_YAML_DEPTH) -> str | None:
    """Return why data is too big once YAML aliases are expanded (a 1 kB "billion laughs" file names a billion
    values, and everything that walks it would run for hours), or None."""
    count = 0
    stack = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        count += 1
        if count > max_values:
            return f"expands to more than {max_values:,} values (YAML aliases?)"
        if depth > max_depth:
            return f"nested more than {max_depth} levels deep"
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for pair in value.items() for item in pair)
        elif isinstance(value, (list, tuple)):
            stack.extend((item, depth + 1) for item in value)
    return None


def read_yaml(path: Path, problems: Problems) -> Any:
    """Return the parsed YAML of path, or None after recording why it could not be read (bounded like profiles:
    size, expanded size, depth)."""
    if not path.is_file():
        problems.add(path, "", "missing file")
        return None
    try:
        if path.stat().st_size > MAX_YAML_BYTES:
            problems.add(path, "", f"file is larger than {MAX_YAML_BYTES // 1000} kB")
            return None
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=Yaml12Loader)
        problem = expansion_problem(data)
        if problem:
            problems.add(path, "", problem)
            return None
        return data
    except RecursionError:
        problems.add(path, "", f"nested more than {MAX_YAML_DEPTH} levels deep")
    except ValueError as exc:  # a 5,000-digit number (int conversion limit)
        problems.add(path, "", f"bad YAML: {str(exc).splitlines()[0][:200]}")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "file"
        problems.add(path, where, f"bad YAML: {getattr(exc, 'problem', None) or exc}")
    except (OSError, UnicodeDecodeError) as exc:
        problems.add(path, "", f"cannot read: {exc}")
    return None
