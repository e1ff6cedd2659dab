"""What is said of a bad entry of routes.yaml or checks.yaml: each (problem, fix) pair, which
``routes_error`` and ``checks_error`` put after the file and the entry's name."""

from __future__ import annotations

from collections.abc import Iterable


def file_not_yaml(error: object) -> tuple[str, str]:
    return f"it is not valid YAML ({error})", "fix the syntax"


def name_used_twice() -> tuple[str, str]:
    return "the name is used twice", "rename one"


def keys_unknown(unknown: Iterable[str], known: Iterable[str]) -> tuple[str, str]:
    return f"unknown key(s) {', '.join(unknown)}", f"use only {', '.join(sorted(known))}"


def keys_missing(missing: Iterable[str]) -> tuple[str, str]:
    return f"{', '.join(missing)} missing", "add them"


def value_bad(problem: object) -> tuple[str, str]:
    return str(problem).rstrip("."), "correct the value"  # its own full stop, then ". Fix:"


def routes_not_a_list() -> tuple[str, str]:
    return "'routes' must be a list", "write routes: [- name: ...]"


def route_not_a_mapping() -> tuple[str, str]:
    return "a route must be a mapping", "write name:, match:, flow:, channel: ..."


def route_dedup_bad(value: object) -> tuple[str, str]:
    return f"dedup is '{value}'", "use fingerprint or group"


def route_match_keys() -> tuple[str, str]:
    return "match and match_re take source, kind, title, labels and fields", "use only those keys"


def route_match_not_a_mapping(key: str) -> tuple[str, str]:
    return f"match {key} must be a mapping", f"write {key}: {{name: value}}"


def check_not_a_mapping() -> tuple[str, str]:
    return "a check must be a mapping", "write name:, sql:, threshold:, direction:, schedule:, database:"


def check_direction_bad(value: object) -> tuple[str, str]:
    return f"direction is '{value}'", "use above or below"


def check_threshold_not_a_number() -> tuple[str, str]:
    return "threshold is not a number", "write a number, like 2.5"


def check_threshold_not_finite(value: float) -> tuple[str, str]:
    """A threshold YAML reads as not-a-number or infinite (``.nan``, ``.inf``): no value crosses it."""
    return f"threshold is {value}, which no value can cross", "write a finite number, like 2.5"


def route_match_not_text(key: str, value: object) -> tuple[str, str]:
    """A match value YAML reads as a boolean or as nothing (``severity: yes``, ``on``, ``null``): it
    would be compared as ``True`` or ``None``, which no label or field ever is."""
    said = "nothing" if value is None else str(value).lower()
    return (
        f"{key} is {said}: YAML reads yes, no, on, off, true, false and null unquoted as no text",
        f'quote it, like {key.rpartition(" ")[2].rpartition(".")[2]}: "yes"',
    )


def route_source_unknown(value: str, known: list[str]) -> tuple[str, str]:
    return f"match source is '{value}', which no trigger comes from", f"use one of {', '.join(known)}"


def check_schedule_bad(problem: object) -> tuple[str, str]:
    if "matches no date there is" in str(problem):
        return str(problem), "name days each month it names has (1 to 28 in February), or use 5m, 1h"
    return str(problem), "use 5m, 1h or a cron expression"


def checks_file_not_a_mapping() -> tuple[str, str]:
    return "the file must be a mapping with checks: and digest:", "write checks: [- name: ...]"


def checks_not_a_list() -> tuple[str, str]:
    return "'checks' must be a list", "write checks: [- name: ...]"


def digest_not_a_mapping() -> tuple[str, str]:
    return "'digest' must be a mapping", 'write digest: {schedule: "0 9 * * 1-5"}'


def check_enabled_not_a_bool(value: object) -> tuple[str, str]:
    return f"enabled is {value!r}", "write enabled: true or enabled: false (without quotes)"
