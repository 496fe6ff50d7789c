"""The YAML loader of the project: safe, with YAML 1.2 booleans (imported by the library and the reviewer)."""

from __future__ import annotations

import re

import yaml


class Yaml12Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # the C parser when libyaml is there
    """A safe loader with YAML 1.2 booleans: only true/false, so `NO` (Norway) and `yes` stay text."""


Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
