"""What the analysts' commands and reports say."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Any

from bot.texts._common import _join, command

# --- analytics -----------------------------------------------------------------------------------


def analytics_no_ledger(path: str) -> str:
    return (
        f"No ledger at {path}. Try: {command(options=False)} --db {shlex.quote(path)} demo-data --runs 30"
        " (or point --db at your ledger)"
    )


def analytics_bad_window() -> str:
    return "--since is after --until."


def analytics_instant_out_of_range(value: str) -> str:
    return f"'{value}' lies beyond the years there are in UTC (0001 to 9999): give a time within them."


def analytics_bad_instant(value: str) -> str:
    return (
        f"'{value}' is not an ISO 8601 date or time. Give a day (2026-03-31, its start in UTC), a UTC time"
        " (2026-03-31T09:00:00 or 2026-03-31T09:00:00Z) or a time with its offset (2026-03-31T09:00:00+02:00)."
    )


def analytics_written(path: str) -> str:
    return f"Report written to {path}"


def analytics_exported(count: int, name: str, path: str) -> str:
    return f"Exported {count} row(s) of {name} to {path}"


def analytics_unknown_name(name: str, known: list[str]) -> str:
    if name.startswith("messages_fts"):  # the full-text index: searched, not exported
        return (
            f"'{name}' belongs to the full-text index of messages.text, searched rather than exported: {command()}"
            " transcripts search WORDS, or export messages."
        )
    return f"No table or view named '{name}'. Known: {_join(known)}."


def analytics_empty_query() -> str:
    return f"The search query is empty. Try: {command()} transcripts search budget"


def analytics_no_index(path: str) -> str:
    return f"The ledger {path} has no full-text index yet. Try: {command(options=False)} --db {shlex.quote(path)} db migrate"


def analytics_empty_ledger(path: str) -> str:
    return (
        f"The ledger {path} is empty: nothing was ever written to it, so there is nothing to read yet."
        f" A decisionbot command that writes (serve, chat, trigger) with --db {shlex.quote(path)} makes it a ledger;"
        f" so does: {command(options=False)} --db {shlex.quote(path)} db migrate"
    )


def analytics_not_migrated(path: str, pending: list[str]) -> str:
    return (
        f"The ledger {path} is not up to date: an older decisionbot made it ({len(pending)}"
        f" migration(s) to apply; commands that only read never change a ledger). Try: {command(options=False)} --db {shlex.quote(path)} db migrate"
    )


def analytics_index_behind(count: int, path: str) -> str:
    return (
        f"Note: the {count} newest message(s) are not in the full-text index yet (a running server indexes"
        f" them within a second). To index them now: {command(options=False)} --db {shlex.quote(path)} db migrate"
    )


def analytics_bad_query(query: str, problem: str) -> str:
    return f"Cannot search for '{query}': {problem}. Without --raw every word is searched as typed."


def analytics_exploring(host: str, port: int, path: str) -> str:
    return f"Datasette on http://{host}:{port}/ (read-only) over {path}; Ctrl-C stops it."


def analytics_explore_public(host: str) -> str:
    return (
        f"Refusing to serve the ledger on {host}: Datasette has no login, so anyone who can reach it would read"
        " every run, private answers included. Use --host 127.0.0.1 (an SSH tunnel for others), or add --public"
        " behind your own authenticating proxy."
    )


def analytics_result_too_big(limit: int) -> str:
    """An explore query whose rows together hold more than ``limit`` bytes of text and blobs."""
    return (
        f"Result too large: its rows hold more than {limit // (1024 * 1024)} MB of text and blobs."
        " Select fewer rows or columns, or length(column) instead of the column."
    )


def analytics_no_datasette() -> str:
    return "Datasette is not installed. Try, in the project's folder: pip install -e '.[explore]'"


def analytics_wal_pending(path: str) -> str:
    return (
        f"{path} has changes still in its write-ahead log, which --immutable would not see."
        " Open it without --immutable, or copy it after the bot has stopped."
    )


def analytics_demo_not_empty(path: str, runs: int, fresh: str, flows: str | None) -> str:
    """``flows``: the --flows the command was given, kept in the command it advises."""
    with_flows = f" --flows {shlex.quote(flows)}" if flows is not None else ""
    return (
        f"{path} already holds {runs} run(s); demo-data only fills an empty ledger."
        f" Try a new file: {command(options=False)} --db {shlex.quote(fresh)}{with_flows} demo-data"
    )


def analytics_demo_done(path: str, summary: Mapping[str, int]) -> str:
    counts = ", ".join(f"{v} {k}" for k, v in summary.items())
    return f"Demo history written to {path}: {counts}. Next: {command(options=False)} --db {shlex.quote(path)} report"


def report_header(p: Mapping[str, Any], t: Mapping[str, Any]) -> list[str]:
    """The report's first lines: its window (``p``: the params) and its totals (``t``)."""
    window = f"{p['since'] or 'the start'} to {p['until'] or 'now'}" + (f", flow {p['flow']}" if p["flow"] else "")
    return [
        f"Decision process report: runs triggered from {window}; as of {p['as_of']}",
        f"Runs: {t['runs']} ({t['completed']} completed, {t['active']} active, {t['cancelled']} cancelled,"
        f" {t['stalled']} stalled); decisions: {t['decisions']}; actions: {t['actions']}; reviews: {t['reviews']}",
        report_in_utc(),
    ]


def report_in_utc() -> str:
    """What the report's times, days and weeks are counted in: an action done at 00:30 in Berlin is
    done the day before, in UTC."""
    return (
        "Times are UTC, and so are the days and weeks they fall on (days late, week): an action done"
        " at 00:30 in Berlin (23:30 UTC) counts as done the day before. Due dates are as their owners"
        " meant them, late once that date is over everywhere on Earth."
    )


def diagram_step_counts(reached: int, dropped_off: int, waiting: int) -> str:
    """A step's numbers on ``flows diagram --counts``, as the report's drop-off counts them."""
    return f"{reached} reached, {dropped_off} dropped off, {waiting} waiting"


def diagram_end_counts(runs: int) -> str:
    return f"{runs} run{'s' if runs != 1 else ''}"


def diagram_move_counts(event: str, times: int) -> str:
    """An arrow's label with how many times runs took it."""
    return f"{event} ({times}x)"


def diagram_moves_not_drawn(moves: int, flow: str) -> str:
    return (
        f"Note: {moves} move(s) of {flow}'s runs have no arrow on this drawing (runs on an older version"
        f" of {flow}, from or to a step it no longer has); the steps' numbers count them."
    )


def cli_diagram_window_without_counts() -> str:
    return "--since and --until choose the runs --counts counts: add --counts, or leave them out."
