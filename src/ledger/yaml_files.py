"""YAML as people write it for the ledger: YAML 1.2 booleans, so `yes:`/`no:` stay keys."""

from __future__ import annotations

import re
from typing import Any

import yaml


class PlainYamlLoader(yaml.SafeLoader):
    """A safe loader whose only booleans are true/false (YAML 1.1 also reads yes/no/on/off)."""


PlainYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
PlainYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def load_yaml(text: str) -> Any:
    """Parses YAML text with the ledger's loader (raises yaml.YAMLError)."""
    return yaml.load(text, Loader=PlainYamlLoader)
