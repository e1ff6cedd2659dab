"""What SQL metric checks say: their file's errors, why a query gave no value, how a number
reads in a prompt, and what ``checks run`` prints."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from bot.texts._common import _join, _one_line, command


def checks_error(path: str, check: str | None, problem: str, fix: str) -> str:
    where = f"{path}, check '{check}'" if check else path
    return f"{where}: {problem}. Fix: {fix}"


def checks_broken_kept(problem: str, routes_changed: bool) -> str:
    what = "routes.yaml changed and checks.yaml is refused" if routes_changed else "checks.yaml changed and is refused"
    return f"{what}; the last good checks keep running until it is fixed: {problem}"


def check_route_unknown(route: str, routes: str, known: list[str]) -> tuple[str, str]:
    """The problem and the fix of a check whose ``route`` names no route of routes.yaml."""
    there = f"routes: {', '.join(known)}" if known else "routes.yaml has no routes"
    return (
        f"its route '{route}' is not in {routes} ({there})",
        f"name one of them, add the route to {routes}, or give the check a channel instead",
    )


def check_shape(rows: int, columns: int) -> str:
    return f"the query must return one row with one number; it returned {rows} row(s) of {columns} column(s)"


def check_not_number(value: object) -> str:
    shown = "NULL" if value is None else repr(value)
    return f"the query returned {shown}, not a number"


def check_failed_log(name: str, problem: str, path: str) -> str:
    return (
        f"Check '{name}' gave no value: {_one_line(problem)}. Fix its query or database in {path}"
        f" (try it with: {command()} checks run --once); it is evaluated again on its schedule."
    )


def check_routes_failed_log(name: str, value: float, problem: str) -> str:
    """A check gave ``value`` but its breach or recovery could not go through the routes (routes.yaml
    broken since start-up): the routes' fix, not the query's."""
    return (
        f"Check '{name}' gave {value:g}, but the routes could not take it: {_one_line(problem)}."
        " It is evaluated again on its schedule."
    )


def cli_checks_failed(failed: list[str], path: str) -> str:
    return f"{len(failed)} check(s) gave no value: {_join(failed)}. Fix their query or database in {path}"


def cli_checks_unrouted(failed: list[str]) -> str:
    return (
        f"{len(failed)} check(s) gave a value the routes could not take: {_join(failed)}. Fix routes.yaml as said above"
    )


def check_no_database(path: str) -> str:
    return f"no SQLite file at {path}"


def check_cannot_open(path: str, problem: str) -> str:
    return f"the SQLite file {path} cannot be opened: {problem}"


def check_timed_out(seconds: float) -> str:
    return f"the query did not finish within {seconds:g} s (the scheduler went on without it)"


def check_query_stopped(seconds: float) -> str:
    """A SQLite source's query stopped at the time a check's query may take (it was "interrupted")."""
    return f"the query was stopped after {seconds:g} s, the most a check's query may take; make it faster (an index, a narrower WHERE)"


def schedule_too_short(schedule: str, digest: bool = False) -> str:
    return f"schedule '{schedule}' {'comes' if digest else 'evaluates the check'} more than once a minute"


def check_keys_blank(keys: list[str]) -> tuple[str, str]:
    meant = {"sql": "sql, the query", "database": "database, the SQLite file it reads"}
    return (
        f"{' and '.join(keys)} {'is' if len(keys) == 1 else 'are'} blank",
        f"give {' and '.join(meant[k] for k in keys)}",
    )


def clear_after_not_a_count(value: object) -> tuple[str, str]:
    """The problem and the fix of a check's ``clear_after`` that is not a whole number, 1 or more."""
    return f"clear_after is {value!r}", "write how many evaluations in a row within bounds resolve a breach: 1 or more"


def check_query_failed(problem: str) -> str:
    return f"the query failed: {problem}"


def check_needs_sqlalchemy() -> str:
    return "this database URL needs SQLAlchemy: pip install 'decisionbot[sql]' and the database's driver"


def check_summary(metric: str, value: str, direction: str, threshold: str) -> str:
    return f"{metric} is {value}, {direction} the threshold of {threshold}."


def job_unplanned() -> str:
    return "cancelled: no longer in checks.yaml"


def cli_checks_looping(path: str) -> str:
    return f"Evaluating the checks of {path} on their schedules; Ctrl-C to stop."


def cli_no_checks(path: str) -> str:
    return f"No enabled checks in {path}."


def cli_check_result(row: Mapping[str, Any]) -> str:
    if row["error"]:
        return f"{row['check']}: error: {row['error']}"
    state = "breach" if row["breached"] else "ok"
    why = f": {row['problem']}" if row.get("problem") else ""
    if row["outcome"] == "held":
        why = ": the breach stays open until clear_after evaluations in a row are within bounds"
    return f"{row['check']}: {metric_number(row['value'])} ({state}) -> {row['outcome']}{why}"


def check_unrouted(name: str, value: str, problem: str, checks: str, routes: str) -> str:
    """A breach that started no run (as :func:`trigger_unrouted` says of an alert's)."""
    return (
        f"Check '{name}' breached ({value}) and started no run: {_one_line(problem, limit=1000)}. Fix: give the"
        f" check a channel, or a route of {routes}, in {checks}, or set DECISIONBOT_DEFAULT_CHANNEL (try it with:"
        f" {command()} checks run --once); its next breach starts a run."
    )


def metric_number(value: float) -> str:
    """A check's value or threshold (or a number of Grafana's ``values``) as prompts, resolutions
    and ``checks run`` show it: six significant digits (1.90476), written out: 1234567, not
    1.23457e+06; 0.00005, not 5e-05."""
    short = f"{value:.6g}"
    if "e" not in short:
        return short
    if abs(value) >= 1:  # every digit of a large count
        return f"{value:.0f}"
    return format(Decimal(short), "f")


def digest_several_a_day(schedule: str, moments: int) -> tuple[str, str]:
    return (
        f"digest.schedule '{schedule}' names {moments} moments a day, but each owner gets one digest a day"
        " of their own clock, at the first of them",
        "name one time of day ('0 9 * * 1-5'), or an interval ('6h', read on the server's clock) to reach"
        " every owner each time",
    )
