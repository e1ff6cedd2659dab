"""The report as one self-contained HTML file: inline CSS and SVG charts drawn here, no script,
nothing fetched from the network (no fonts, no images, no links to load).

Charts: decision latency per ISO week (median and p90 hours to decision), follow-through per owner
(bars), and the drop-off funnel of each flow (runs that reached each step, and those that
stopped there). Every section of the report follows as a table.
"""

from __future__ import annotations

import math
from datetime import date
from html import escape
from typing import Any

from bot import texts
from bot.analytics.report import SECTIONS, cell

WIDTH = 720
STYLE = """body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem;color:#1d2430;max-width:1100px}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}figure{margin:1rem 0}figcaption{font-size:.85rem;color:#555}
table{border-collapse:collapse;font-size:.8rem;margin:.5rem 0}td,th{border:1px solid #d5d9e0;padding:2px 6px;text-align:right}
th{background:#f1f3f6}td:first-child,th:first-child{text-align:left}svg text{font-size:11px;fill:#333}
.p50{stroke:#2b6cb0;fill:none;stroke-width:2}.p90{stroke:#dd6b20;fill:none;stroke-width:1.5;stroke-dasharray:4 3}
.bar{fill:#2b6cb0}.drop{fill:#e53e3e}.axis{stroke:#999}.none{fill:#999}"""


def to_html(report: dict[str, Any]) -> str:
    p, t = report["params"], report["totals"]
    window = f"{p['since'] or 'the start'} to {p['until'] or 'now'}" + (f", flow {p['flow']}" if p["flow"] else "")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><title>Decision process report</title>',
        f"<style>{STYLE}</style></head><body>",
        "<h1>Decision process report</h1>",
        f"<p>Runs triggered from {escape(window)}; as of {escape(p['as_of'])}. Runs: {t['runs']} "
        f"({t['completed']} completed, {t['active']} active, {t['cancelled']} cancelled, {t['stalled']} stalled); "
        f"decisions: {t['decisions']}; actions: {t['actions']}; reviews: {t['reviews']}.</p>",
        f"<p>{escape(texts.report_in_utc())}</p>",
        "<h2>Decision latency per week</h2>",
        _figure("chart-latency", latency_chart(report["latency"]), "Median (solid) and p90 (dashed) hours from trigger to decision, by ISO week of the trigger."),
        "<h2>Follow-through per owner</h2>",
        _figure("chart-follow-through", follow_chart(report["follow_through_by_owner"]), "Actions done by their due date / actions due."),
        "<h2>Drop-off funnel per flow</h2>",
    ]  # fmt: skip
    flows = sorted({r["flow_id"] for r in report["dropoff"]})
    for flow in flows:
        rows = [r for r in report["dropoff"] if r["flow_id"] == flow]
        parts.append(_figure(f"chart-funnel-{flow}", funnel_chart(rows), f"{flow}: runs that reached each step (blue) and stopped there (red)."))  # fmt: skip
    if not flows:
        parts.append(_figure("chart-funnel", _empty(), "No runs."))
    for section in SECTIONS:
        parts.append(f"<h2>{escape(section.title)}</h2>")
        parts.append(_table(report[section.name]))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _figure(chart_id: str, svg: str, caption: str) -> str:
    return f'<figure id="{escape(chart_id)}" class="chart">{svg}<figcaption>{escape(caption)}</figcaption></figure>'


def _svg(height: int, body: list[str]) -> str:
    return f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" role="img">{"".join(body)}</svg>'  # fmt: skip


def _empty() -> str:
    return _svg(40, ['<text class="none" x="10" y="25">(no data)</text>'])


def latency_chart(rows: list[dict[str, Any]]) -> str:
    weeks = [r for r in rows if r["dimension"] == "week" and r["median_hours_to_decision"] is not None]
    if not weeks:
        return _empty()
    height, left, top, bottom = 260, 50, 15, 40
    top_value = max(r["p90_hours_to_decision"] or 0 for r in weeks) or 1.0
    at = week_positions([r["key"] for r in weeks])
    step = (WIDTH - left - 40) / max(1, max(at.values()))
    every = max(1, math.ceil(70 / step))  # a label every 70 px at least

    def xy(i: int, value: float) -> str:
        return f"{left + i * step:.1f},{top + (height - top - bottom) * (1 - value / top_value):.1f}"

    body = [f'<line class="axis" x1="{left}" y1="{height - bottom}" x2="{WIDTH - 10}" y2="{height - bottom}"/>',
            f'<line class="axis" x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}"/>',
            f'<text x="4" y="{top + 8}">{_duration(top_value)}</text><text x="4" y="{height - bottom}">0</text>']  # fmt: skip
    for css, key in (("p50", "median_hours_to_decision"), ("p90", "p90_hours_to_decision")):
        points = [(at[r["key"]], xy(at[r["key"]], r[key])) for r in weeks]
        body.append(f'<path class="{css}" d="{_line(points)}"/>')
    for r in weeks:
        i = at[r["key"]]
        x, y = xy(i, r["median_hours_to_decision"]).split(",")
        body.append(f'<circle cx="{x}" cy="{y}" r="3" fill="#2b6cb0"><title>{escape(r["key"])}: median {_duration(r["median_hours_to_decision"])}, {r["decided"]} decisions</title></circle>')  # fmt: skip
        if i % every == 0:
            body.append(f'<text x="{x}" y="{height - bottom + 16}" text-anchor="middle">{escape(r["key"])}</text>')
    return _svg(height, body)


def _duration(hours: float) -> str:
    """A time to decision on the chart, in the unit that shows it: hours from one, else minutes, else
    seconds (decisions taken in a chat's minutes read "0 h" at both ends of the axis)."""
    if hours >= 1:
        return f"{hours:.1f} h"
    return f"{hours * 60:.0f} min" if hours * 60 >= 1 else f"{hours * 3600:.0f} s"


def week_positions(keys: list[str]) -> dict[str, int]:
    """Each ISO week (``2026-W48``) as weeks since the first: the chart's x, so that weeks without
    a decision (a holiday, a quiet spell) keep their place on the time axis."""
    mondays = {k: date.fromisocalendar(int(k[:4]), int(k[6:]), 1) for k in keys}
    first = min(mondays.values())
    return {k: (monday - first).days // 7 for k, monday in mondays.items()}


def _line(points: list[tuple[int, str]]) -> str:
    """SVG path data through ``points`` (week position, ``x,y``), broken where weeks are missing: a
    week without a decision is a gap in the line, not a shorter stretch of time."""
    return " ".join(("L" if n and i == points[n - 1][0] + 1 else "M") + xy for n, (i, xy) in enumerate(points))


def follow_chart(rows: list[dict[str, Any]]) -> str:
    owners = sorted((r for r in rows if r["due"]), key=lambda r: (-r["due"], str(r["owner_id"])))[:30]
    if not owners:
        return _empty()
    bar, left = 18, 170
    body = []
    for i, r in enumerate(owners):
        y = 5 + i * (bar + 4)
        share = r["follow_through"] or 0.0
        label = escape(cell("owner_id", r.get("owner_name") or r["owner_id"]))  # no owner: '-', as in the tables
        body.append(f'<text x="4" y="{y + 13}">{label}</text>')
        body.append(f'<rect class="bar" x="{left}" y="{y}" width="{max(1.0, share * (WIDTH - left - 120)):.1f}" height="{bar}"><title>{label}: {r["done_on_time"]} of {r["due"]} on time</title></rect>')  # fmt: skip
        body.append(f'<text x="{WIDTH - 110}" y="{y + 13}">{100 * share:.0f}% of {r["due"]}</text>')
    return _svg(10 + len(owners) * (bar + 4), body)


def funnel_chart(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return _empty()
    bar, left = 20, 150
    most = max(r["reached"] for r in rows) or 1
    scale = (WIDTH - left - 120) / most
    body = []
    for i, r in enumerate(rows):
        y = 5 + i * (bar + 4)
        body.append(f'<text x="4" y="{y + 14}">{escape(r["step"])}</text>')
        body.append(f'<rect class="bar" x="{left}" y="{y}" width="{max(1.0, r["reached"] * scale):.1f}" height="{bar}"><title>{r["reached"]} reached</title></rect>')  # fmt: skip
        if r["dropped_off"]:
            body.append(f'<rect class="drop" x="{left}" y="{y}" width="{r["dropped_off"] * scale:.1f}" height="{bar}"><title>{r["dropped_off"]} stopped here</title></rect>')  # fmt: skip
        body.append(f'<text x="{WIDTH - 110}" y="{y + 14}">{r["reached"]} / {r["dropped_off"]} off</text>')
    return _svg(10 + len(rows) * (bar + 4), body)


def _table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "<p>(no data)</p>"
    columns = list(rows[0])
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{escape(cell(c, r[c]))}</td>" for c in columns) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
