"""The HTML report in a real browser: Debian's Chromium, headless, driven by Playwright.

Needs the system browser (tests/setup/analytics.sh installs it; ``playwright install`` is never
run). Every request the page makes is routed through the test: only the file itself may load.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.analytics import html, report
from bot.analytics.measures import Params
from bot.store import open_db, open_readonly
from tests.analytics.history import build
from tests.analytics.test_measures import AS_OF
from tests.binaries import require

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def chromium() -> str:
    return require("chromium", "analytics.sh")


def render(db_path: Path, out: Path) -> str:
    db = open_readonly(db_path)
    out.write_text(report.render(report.build(db.conn, Params(as_of=AS_OF)), "html"))
    db.conn.close()
    return out.resolve().as_uri()


def open_page(url: str, shot: Path | None = None) -> tuple[dict[str, int], list[str]]:
    from playwright.sync_api import Route, sync_playwright

    requests: list[str] = []

    def only_the_file(route: Route) -> None:
        requests.append(route.request.url)
        if route.request.url == url:
            route.continue_()
        else:
            route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), headless=True, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 1600})
            page.route("**/*", only_the_file)
            page.goto(url, wait_until="load")
            counts = page.evaluate(
                """() => Object.fromEntries([...document.querySelectorAll('figure.chart')].map(f => [f.id,
                     f.querySelectorAll('svg path, svg rect').length]))"""
            )
            box = page.locator("#chart-latency svg").bounding_box()
            assert box is not None
            counts["latency-height"] = int(box["height"])
            if shot:
                page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    return counts, requests


def test_charts_are_drawn_and_nothing_leaves_the_machine(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    build(db).conn.close()
    url = render(db, tmp_path / "report.html")
    counts, requests = open_page(url, tmp_path / "report.png")
    assert counts.pop("latency-height") == 260
    assert set(counts) == {
        "chart-latency",
        "chart-follow-through",
        "chart-funnel-decision_review",
        "chart-funnel-metric_breach",
        "chart-funnel-post_meeting",
    }
    assert all(n > 0 for n in counts.values()), counts
    assert counts["chart-latency"] == 2  # the median line and the p90 line
    assert counts["chart-follow-through"] == 3  # one bar per owner with actions due
    assert counts["chart-funnel-post_meeting"] == 4 + 1  # four steps, one with runs that stopped there
    assert requests == [url]
    assert (tmp_path / "report.png").stat().st_size > 10_000


def test_an_empty_ledger_still_renders(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    open_db(db).conn.close()
    url = render(db, tmp_path / "empty.html")
    counts, requests = open_page(url)
    assert counts.pop("latency-height") == 40
    assert counts == {"chart-latency": 0, "chart-follow-through": 0, "chart-funnel": 0}
    assert requests == [url]
    assert (tmp_path / "empty.html").read_text().count("(no data)") >= 8


def _week(key: str, median: float) -> dict[str, object]:
    return {"dimension": "week", "key": key, "median_hours_to_decision": median,
            "p90_hours_to_decision": 2 * median, "decided": 1}  # fmt: skip


def test_the_latency_chart_keeps_weeks_without_a_decision_in_their_place() -> None:
    """Weeks W50, W52 and 2027's W01 (none decided in W51 and W53: 2026 has 53 ISO weeks) were drawn
    side by side and joined, as if consecutive: each is two weeks after the one before, with a gap."""
    svg = html.latency_chart([_week("2026-W50", 4.0), _week("2026-W52", 8.0), _week("2027-W01", 2.0)])
    xs = [float(x) for x in re.findall(r'<circle cx="([\d.]+)"', svg)]
    assert len(xs) == 3 and xs[1] - xs[0] == pytest.approx(xs[2] - xs[1])  # two weeks each
    assert html.week_positions(["2026-W50", "2026-W52", "2027-W01"]) == {"2026-W50": 0, "2026-W52": 2, "2027-W01": 4}
    median = re.search(r'<path class="p50" d="([^"]+)"', svg)
    assert median and median.group(1).count("M") == 3 and "L" not in median.group(1)  # no week joins the next
    joined = html.latency_chart([_week("2026-W52", 4.0), _week("2026-W53", 5.0), _week("2027-W01", 6.0)])
    line = re.search(r'<path class="p50" d="([^"]+)"', joined)
    assert line and line.group(1).count("M") == 1 and line.group(1).count("L") == 2  # 2026 has 53 ISO weeks


def test_the_latency_chart_names_minutes_and_seconds_when_decisions_take_no_hour() -> None:
    """Decisions taken in a chat's minutes: both ends of the axis read "0 h" and each point "median 0.0 h"."""
    svg = html.latency_chart([_week("2026-W50", 0.125), _week("2026-W51", 0.002)])
    assert ">15 min</text>" in svg  # the top: the greatest p90, 2 x 7.5 min
    assert "median 8 min" in svg and "median 7 s" in svg
    assert "0 h" not in svg and "0.0 h" not in svg
    assert "median 4.0 h" in html.latency_chart([_week("2026-W50", 4.0)])
