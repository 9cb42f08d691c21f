"""Reading the declarative YAML files with YAML 1.2 booleans: only `true`/`false` are booleans.

PyYAML follows YAML 1.1, where `on`, `off`, `yes`, `no` (and Norway's code `NO`) silently become booleans;
in rule files those are words of English.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml


class _Loader(yaml.SafeLoader):
    pass


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))


def load(path: Path) -> Any:
    """Parse a YAML file; errors name the file and line."""
    with path.open(encoding="utf-8") as fh:
        try:
            return yaml.load(fh, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
        except yaml.YAMLError as exc:
            raise ValueError(f"{path}: {exc}") from None
