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


def construct_unique_mapping(loader: Yaml12Loader, node: yaml.MappingNode, deep: bool = False) -> dict:
    """Return a mapping, refusing a key given twice (YAML 1.2 forbids it; PyYAML would keep the last silently)."""
    seen = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue  # "<<: *defaults": merged keys may be overridden, that is what a merge is for
        key = loader.construct_object(key_node, deep=deep)
        try:
            duplicate = key in seen
            seen.add(key)
        except TypeError:  # an unhashable key: construct_mapping reports it
            continue
        if duplicate:
            raise yaml.constructor.ConstructorError("while constructing a mapping", node.start_mark,
                                                    f"found duplicate key {key!r}", key_node.start_mark)
    return loader.construct_mapping(node, deep=deep)


Yaml12Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_unique_mapping)
