"""A flow file's YAML as the reader takes it: a safe loader noting each key written twice, dates kept
as the text written, and the values its aliases write out counted (a "billion laughs" refused)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import yaml

from bot import yaml_text


class Loader(yaml_text.SafeLoader):
    """Our safe loader (impossible dates kept as text), noting each key written twice in one
    mapping (key, line, first line)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.twice: list[tuple[str, int, int]] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[tuple[str, str], int] = {}
        for key, _ in node.value:
            if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                line = key.start_mark.line + 1
                if (key.tag, key.value) in seen:
                    self.twice.append((key.value, line, seen[(key.tag, key.value)]))
                seen.setdefault((key.tag, key.value), line)
        return super().construct_mapping(node, deep)


#: The most values (keys' values, list items) a flow file may hold, its YAML aliases counted as written
#: out: a 1 KB file of aliases nested eight deep ("billion laughs") took 30 s and 1.2 GB before this.
MAX_VALUES = 200_000


class TooLarge(Exception):
    """A flow file over :data:`MAX_VALUES` values."""


def dates_as_text(value: Any, left: list[int]) -> Any:
    """YAML reads a bare 2027-01-31 as a date; the flow format (bounds, defaults) wants its text.
    ``left``: how many more values may be read (:data:`MAX_VALUES`); past it, ``TooLarge``."""
    left[0] -= 1
    if left[0] < 0:
        raise TooLarge
    if isinstance(value, dict):
        return {k: dates_as_text(v, left) for k, v in value.items()}
    if isinstance(value, list):
        return [dates_as_text(v, left) for v in value]
    if isinstance(value, datetime):
        return str(value)  # as written, less a 'T': 2027-01-31 10:00:00
    return value.isoformat() if isinstance(value, date) else value
