"""The README's "Flows" section names every key of the flow format (bot/engine/schema.json) and
every answer type, so a flow author working from the README alone meets no key it does not name.
Before, `description`, `timers.escalate` and `record.actions_done` were in the schema only."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def flows_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text.split("\n## Flows\n", 1)[1].split("\n## CLI\n", 1)[0]


def test_every_key_and_answer_type_of_the_schema_is_in_the_readme() -> None:
    schema = json.loads((ROOT / "bot" / "engine" / "schema.json").read_text(encoding="utf-8"))
    defs, props = schema["$defs"], schema["properties"]
    keys = set(props) | set(defs["question"]["properties"]) | set(defs["step"]["properties"])
    keys |= set(props["timers"]["properties"]) | set(props["record"]["properties"])
    keys |= set(props["on_complete"]["items"]["properties"])
    keys |= set(defs["question"]["properties"]["type"]["enum"])
    section = flows_section()
    missing = sorted(k for k in keys if f"`{k}`" not in section and f"`{k}:" not in section)
    assert missing == []
