"""The report: every standard measure of the runs in scope, as table, JSON, CSV, Markdown or HTML.

:func:`build` runs the measures on a (read-only) connection and returns plain data; the
renderers turn it into text. CSV is long ("tidy"): one line per section, row key, measure and
value, so every section fits one sheet.
"""

from __future__ import annotations

import csv
import html
import io
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlite_utils import Database

from bot import texts, yaml_text
from bot.analytics import engagement, measures, waits
from bot.analytics import schema as analytics_schema
from bot.analytics.export import csv_cell
from bot.analytics.measures import Params, Row
from bot.errors import BotError
from bot.store import iso, open_readonly, utc_now
from bot.store import migrations as core_schema
from bot.store import names as names_schema
from bot.triggers import schema as triggers_schema

FORMATS = ("table", "json", "csv", "markdown", "html")
#: The migration sets whose tables and views the report reads.
SCHEMA = (core_schema.migrations, triggers_schema.migrations, names_schema.migrations, analytics_schema.migrations)
RATIOS = frozenset(
    {
        "follow_through",
        "share_dropped",
        "adherence",
        "dropoff_rate",
        "share_revised",
        "response_rate",
        "share_decided",
        "share_answered",
    }
)


@dataclass(frozen=True)
class Section:
    name: str
    title: str
    keys: tuple[str, ...]


SECTIONS: tuple[Section, ...] = (
    Section("latency", "Decision latency (hours)", ("dimension", "key")),
    Section("follow_through_by_owner", "Action follow-through by owner", ("owner_id",)),
    Section("follow_through_by_flow", "Action follow-through by flow", ("flow_id",)),
    Section("review_adherence", "Review adherence", ("flow_id",)),
    Section("dropoff", "Drop-off per step", ("flow_id", "step")),
    Section("revisions", "Revisions per step and field", ("flow_id", "step", "field")),
    Section("participation", "Participation per person", ("person",)),
    Section("answer_time_by_person", "Answer time per person (hours)", ("person",)),
    Section("answer_time_by_step", "Answer time per step (hours)", ("flow_id", "step")),
    Section("stall_waits", "Waits before stalls per step (hours)", ("flow_id", "step")),
    Section("trigger_quality", "Trigger quality", ("source", "kind")),
)


def build(conn: sqlite3.Connection, params: Params) -> dict[str, Any]:
    """Every measure of the runs in scope, as plain data (what ``--format json`` prints).

    Every query runs in one read transaction on ``conn``, so the figures agree with one another
    (the runs, their actions, the totals) while a server writes to the ledger: each part read in
    its own transaction (as they were, the runs' pass on a second connection at the same time) saw
    the writes committed between them."""
    with snapshot(conn):
        facts = measures.runs(conn, params)
        rest = _others_on(conn, params)
        dropoff = _in_flow_order(conn, facts.dropoff)
        waited = waits.sections(conn, params)
        for name in ("answer_time_by_step", "stall_waits"):
            waited[name] = _in_flow_order(conn, waited[name])
    actions, reviews = rest["follow_through"], rest["review_adherence"]
    names = {r["person"]: r["name"] for r in rest["participation"]}  # as participation names them
    waited["answer_time_by_person"] = [
        {"person": r["person"], "name": names.get(r["person"]), **r} for r in waited["answer_time_by_person"]
    ]
    totals = dict(facts.totals)
    totals["decisions"] = sum(r["decided"] for r in facts.latency if r["dimension"] == "all")
    totals["actions"] = sum(r["actions"] for r in actions["by_flow"])
    totals["reviews"] = sum(r["reviews"] for r in reviews if r["flow_id"] == "(all)")
    return {
        "generated_at": iso(utc_now()),
        "params": params.describe(),
        "totals": totals,
        "latency": facts.latency,
        "follow_through_by_owner": actions["by_owner"],
        "follow_through_by_flow": actions["by_flow"],
        "review_adherence": reviews,
        "dropoff": dropoff,
        "revisions": rest["revisions"],
        "participation": rest["participation"],
        **waited,
        "trigger_quality": rest["trigger_quality"],
    }


@contextmanager
def snapshot(conn: sqlite3.Connection) -> Iterator[None]:
    """One read transaction on ``conn`` (autocommit, read-only) for what runs inside: one snapshot of
    the ledger (WAL: a writer's commits after its first read are not seen). Inside a transaction
    already open, that one."""
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN")
    try:
        yield
    finally:
        conn.execute("COMMIT")


def connect(path: str | Path) -> sqlite3.Connection:
    """A read-only connection tuned for reading much: memory-mapped, with a larger page cache.
    A ledger whose schema is behind (an older version made it; the report never migrates) is
    refused with the command that brings it up to date."""
    conn = open_readonly(path).conn
    conn.execute("PRAGMA mmap_size = 1073741824")
    conn.execute("PRAGMA cache_size = -65536")
    try:
        require_migrated(conn, path)
    except BotError:
        conn.close()
        raise
    return conn


def require_migrated(conn: sqlite3.Connection, path: str | Path) -> None:
    """Refuse a ledger an older version made and nobody migrated: its views and summary tables
    are not those of this version (a summary table may still hold counts a migration corrects).
    Decided by the sets the reading needs (``SCHEMA``); counted as ``db migrate`` applies them, every
    set's (what it will say it applied)."""
    db = Database(conn)
    if not any(mset.pending(db) for mset in SCHEMA):
        return
    if conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0:
        raise BotError(texts.analytics_empty_ledger(str(path)))  # an empty file: no older decisionbot made it
    pending = [m.name for mset in core_schema.all_sets() for m in mset.pending(db)]
    raise BotError(texts.analytics_not_migrated(str(path), pending))


def _others_on(conn: sqlite3.Connection, params: Params) -> dict[str, Any]:
    return {
        "follow_through": measures.follow_through(conn, params),
        "review_adherence": measures.review_adherence(conn, params),
        "revisions": engagement.revisions(conn, params),
        "participation": engagement.participation(conn, params),
        "trigger_quality": engagement.trigger_quality(conn, params),
    }


def _in_flow_order(conn: sqlite3.Connection, rows: list[Row]) -> list[Row]:
    """Rows of steps (drop-off, answer time, stalls) in the order of each flow's steps (its newest
    version in the ledger)."""
    order: dict[str, dict[str, int]] = {}
    for flow_id, text in conn.execute("SELECT flow_id, text FROM flow_versions ORDER BY first_loaded_at"):
        try:
            steps = (yaml_text.safe_load(text) or {}).get("steps") or []
        except yaml.YAMLError:
            continue
        order[flow_id] = {str(s.get("id")): i for i, s in enumerate(steps) if isinstance(s, dict)}
    return sorted(
        rows, key=lambda r: (r["flow_id"], order.get(r["flow_id"], {}).get(r["step"], 10_000), -r.get("reached", 0))
    )


# --- plain renderers -----------------------------------------------------------------------------


def render(report: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(report, indent=2, default=str) + "\n"
    if fmt == "csv":
        return to_csv(report)
    if fmt == "markdown":
        return to_markdown(report)
    if fmt == "html":
        from bot.analytics.html import to_html

        return to_html(report)
    return to_table(report)


def cell(column: str, value: Any) -> str:
    """A value as a person reads it, on one line of a table: ratios as percentages, hours and days
    with one decimal; line breaks in a name (people type them) become spaces."""
    if value is None:
        return "-"
    if column in RATIOS and isinstance(value, int | float):
        return f"{100 * value:.0f}%"
    if isinstance(value, float):
        return f"{value:.1f}"
    return " ".join(str(value).splitlines())


def _header(report: dict[str, Any]) -> list[str]:
    return texts.report_header(report["params"], report["totals"])


def to_table(report: dict[str, Any]) -> str:
    lines = _header(report)
    for section in SECTIONS:
        rows = report[section.name]
        lines += ["", section.title, "-" * len(section.title)]
        if not rows:
            lines.append("(no data)")
            continue
        columns = list(rows[0])
        shown = [[cell(c, r[c]) for c in columns] for r in rows]
        widths = [max(len(c), *(len(s[i]) for s in shown)) for i, c in enumerate(columns)]
        lines.append("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
        lines += ["  ".join(v.ljust(w) for v, w in zip(s, widths, strict=True)).rstrip() for s in shown]
    return "\n".join(lines) + "\n"


def to_markdown(report: dict[str, Any]) -> str:
    head = _header(report)
    lines = [f"# {head[0]}", "", head[1], "", head[2]]
    for section in SECTIONS:
        rows = report[section.name]
        lines += ["", f"## {section.title}", ""]
        if not rows:
            lines.append("(no data)")
            continue
        columns = list(rows[0])
        lines.append("| " + " | ".join(columns) + " |")
        lines.append("|" + "---|" * len(columns))
        for r in rows:
            lines.append("| " + " | ".join(_md_cell(cell(c, r[c])) for c in columns) + " |")
    return "\n".join(lines) + "\n"


def _md_cell(text: str) -> str:
    """A table cell of the Markdown report: ``|`` escaped (it would end the cell) and ``<``, ``>``, ``&``
    as entities, so a name such as ``Bob <b>`` shows as written instead of bolding the page after it."""
    return html.escape(text, quote=False).replace("|", "\\|")


def to_csv(report: dict[str, Any]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["section", "key", "measure", "value"])
    for measure, value in report["totals"].items():
        writer.writerow(["totals", "", measure, value])
    for section in SECTIONS:
        for row in report[section.name]:
            key = " / ".join("" if row[k] is None else str(row[k]) for k in section.keys)  # NULL: as values are
            for measure, value in row.items():
                if measure not in section.keys:
                    cells = [section.name, key, measure, "" if value is None else value]
                    writer.writerow([csv_cell(c) for c in cells])  # keys and values hold people's names
    return buf.getvalue()
