"""The checks file (``flows/checks.yaml``) read: each check's query, threshold, schedule and
where a breach goes, refused at load with the file, the check and the fix."""

from __future__ import annotations

import math
from collections.abc import Callable, Set
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from bot import texts, yaml_text
from bot.errors import ConfigError
from bot.flow_catalog import not_triggered
from bot.triggers import moments_a_day, names_hours, next_time, person_hints_refused
from bot.triggers.alertmanager import HINTS, PEOPLE

CHECK_KEYS = {"name", "title", "sql", "threshold", "direction", "schedule", "database", "route", "metric", "link",
              "enabled", "clear_after", *HINTS}  # fmt: skip


@dataclass(frozen=True)
class Check:
    name: str
    sql: str
    threshold: float
    direction: str  # above | below: a breach is a value above (below) the threshold
    schedule: str  # an interval (5m) or a cron expression
    database: str  # a SQLite file, or a SQLAlchemy URL
    title: str = ""
    metric: str = ""
    link: str = ""
    hints: dict[str, Any] = field(default_factory=dict)  # route, flow, channel, facilitator, ...
    enabled: bool = True
    clear_after: int = 1  # evaluations in a row within bounds that resolve a breach (a flapping metric's one event)

    def breached(self, value: float) -> bool:
        return value > self.threshold if self.direction == "above" else value < self.threshold


@dataclass
class ChecksFile:
    checks: list[Check] = field(default_factory=list)
    digest: str | None = None  # when owners get their digest of open actions


def load(path: Path) -> ChecksFile:
    """The checks of ``path``; ConfigError naming the file, the check and the fix (the first
    problem: :func:`read` gives them all)."""
    loaded, problems = read(path)
    if problems:
        raise problems[0]
    return loaded


def read(path: Path) -> tuple[ChecksFile, list[ConfigError]]:
    """The good checks of ``path``, and a ConfigError for each problem."""
    if not yaml_text.present(path):
        return ChecksFile(), []
    try:
        doc = yaml_text.safe_load(yaml_text.read_file(path, "the checks")) or {}
    except yaml_text.Unreadable as exc:
        return ChecksFile(), [ConfigError(texts.checks_error(str(path), None, *exc.args))]
    except yaml.YAMLError as exc:
        return ChecksFile(), [ConfigError(texts.checks_error(str(path), None, *texts.file_not_yaml(exc)))]
    if shape := _shape_problem(doc):  # a misspelt key, or checks not under checks:, was a file of no checks
        return ChecksFile(), [ConfigError(texts.checks_error(str(path), None, *shape))]
    digest = (doc.get("digest") or {}).get("schedule")
    out = ChecksFile(digest=None if digest is None else str(digest))
    problems: list[ConfigError] = []
    for i, raw in enumerate(doc.get("checks") or []):
        try:
            check = _check(path, i, raw)
            if any(c.name == check.name for c in out.checks):
                raise ConfigError(texts.checks_error(str(path), check.name, *texts.name_used_twice()))
        except ConfigError as exc:
            problems.append(exc)
            continue
        out.checks.append(check)
    try:
        if out.digest:
            _schedule_ok(path, None, out.digest)
            _once_a_day(path, out.digest)
    except ConfigError as exc:
        problems.append(exc)
    return out, problems


FILE_KEYS = ("checks", "digest")
DIGEST_KEYS = ("schedule",)


def _shape_problem(doc: Any) -> tuple[str, str] | None:
    """What is wrong with the top of the file, as (problem, fix): it holds only ``checks:`` (a
    list) and ``digest:`` (``{schedule: ...}``)."""
    if not isinstance(doc, dict):
        return texts.checks_file_not_a_mapping()
    if unknown := sorted(set(map(str, doc)) - set(FILE_KEYS)):
        return texts.keys_unknown(unknown, FILE_KEYS)
    if not isinstance(doc.get("checks") or [], list):
        return texts.checks_not_a_list()
    digest = doc.get("digest") or {}
    if not isinstance(digest, dict):
        return texts.digest_not_a_mapping()
    if unknown := sorted(set(map(str, digest)) - set(DIGEST_KEYS)):
        problem, fix = texts.keys_unknown(unknown, DIGEST_KEYS)
        return f"digest: {problem}", fix
    return None


def refusal(check: Check, path: Path, routes: Path, route_names: list[str], reviews: Set[str]) -> ConfigError | None:
    """Why ``check`` (of ``path``) cannot be routed, if it cannot: its ``route`` is not one of
    ``route_names`` (those of ``routes``; enabled or not, as a flow file's typo is refused), or
    its flow is one no trigger can start (a review, which names a decision; the handover)."""
    flow = str(check.hints.get("flow") or "")
    if problem := not_triggered(flow, reviews):
        return ConfigError(texts.checks_error(str(path), check.name, *problem))
    route = str(check.hints.get("route") or "")
    if route and route not in route_names:
        problem = texts.check_route_unknown(route, str(routes), route_names)
        return ConfigError(texts.checks_error(str(path), check.name, *problem))
    return None


def _check(path: Path, index: int, raw: Any) -> Check:
    given = raw.get("name") if isinstance(raw, dict) else None
    name = given if isinstance(given, str) and given else f"#{index + 1}"

    def fail(problem: str, fix: str) -> ConfigError:
        return ConfigError(texts.checks_error(str(path), name, problem, fix))

    if not isinstance(raw, dict):
        raise fail(*texts.check_not_a_mapping())
    missing = [k for k in ("name", "sql", "threshold", "direction", "schedule", "database") if k not in raw]
    if missing:
        raise fail(*texts.keys_missing(missing))
    if not isinstance(raw["name"], str):  # as flow files refuse a bare yes where text is wanted
        raise fail(*texts.name_not_text(raw["name"]))
    unknown = sorted(set(raw) - CHECK_KEYS)
    if unknown:
        raise fail(*texts.keys_unknown(unknown, CHECK_KEYS))
    blank = [k for k in ("sql", "database") if not str(raw[k] or "").strip()]
    if blank:  # checks run --once then said "no SQLite file at " or "0 row(s) of 0 column(s)"
        raise fail(*texts.check_keys_blank(blank))
    if raw["direction"] not in ("above", "below"):
        raise fail(*texts.check_direction_bad(raw["direction"]))
    if not isinstance(raw["threshold"], int | float) or isinstance(raw["threshold"], bool):
        raise fail(*texts.check_threshold_not_a_number())
    if not math.isfinite(raw["threshold"]):  # .nan, .inf: SQLite would keep NaN as NULL
        raise fail(*texts.check_threshold_not_finite(raw["threshold"]))
    _schedule_ok(path, name, str(raw["schedule"]))
    hints = {k: raw[k] for k in HINTS if raw.get(k)}
    if refused := person_hints_refused(hints, PEOPLE):
        raise fail(*refused)
    return Check(
        name=name,
        sql=str(raw["sql"]),
        threshold=float(raw["threshold"]),
        direction=raw["direction"],
        schedule=str(raw["schedule"]),
        database=str(raw["database"]),
        title=str(raw.get("title") or name),
        metric=str(raw.get("metric") or name),
        link=str(raw.get("link") or ""),
        hints=hints,
        enabled=_enabled(raw.get("enabled", True), fail),
        clear_after=_clear_after(raw.get("clear_after", 1), fail),
    )


def _enabled(value: Any, fail: Callable[[str, str], ConfigError]) -> bool:
    if not isinstance(value, bool):  # enabled: "false" (quoted) was read as true
        raise fail(*texts.check_enabled_not_a_bool(value))
    return value


def _clear_after(value: Any, fail: Callable[[str, str], ConfigError]) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise fail(*texts.clear_after_not_a_count(value))
    return value


#: The shortest interval between two evaluations of a check.
MIN_INTERVAL = timedelta(minutes=1)


def _schedule_ok(path: Path, name: str | None, schedule: str) -> None:
    """``name``: the check's; None: the digest's (its errors say digest.schedule, not a check)."""
    start, utc = datetime(2026, 1, 5, tzinfo=UTC), ZoneInfo("UTC")
    what = "" if name else "digest.schedule: "
    try:
        next_time(schedule, start, utc)
    except ValueError as exc:
        problem, fix = texts.check_schedule_bad(exc)
        raise ConfigError(texts.checks_error(str(path), name, what + problem, fix)) from exc
    # the shortest gap between two runs: an interval's own; a five-field cron's is a minute at
    # least; a cron with a seconds field is sampled at every hour of a week (it may fire every
    # second on Saturdays only, or during one hour)
    hours = range(7 * 24) if len(schedule.split()) > 5 else range(1)
    gaps = []
    for hour in hours:
        first = next_time(schedule, start + timedelta(hours=hour), utc)
        gaps.append(next_time(schedule, first, utc) - first)
    if min(gaps) < MIN_INTERVAL:
        raise ConfigError(
            texts.checks_error(
                str(path), name, what + texts.schedule_too_short(schedule, digest=name is None), "use 1m or more"
            )
        )


def _once_a_day(path: Path, schedule: str) -> None:
    """A digest schedule read on each owner's clock (naming its hours) comes once a day of theirs
    (bot.triggers.digest): one naming several moments a day would be cut to its first, silently."""
    if names_hours(schedule) and (moments := moments_a_day(schedule)) > 1:
        raise ConfigError(texts.checks_error(str(path), None, *texts.digest_several_a_day(schedule, moments)))


def job_payload(check: Check) -> dict[str, str]:
    """A check's pending job says its schedule too, so a changed schedule is planned anew."""
    return {"check": check.name, "schedule": check.schedule}
