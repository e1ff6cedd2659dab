"""The channels routes name checked again when ``routes.yaml`` or ``checks.yaml`` changes while
``serve`` runs, and the checks of ``checks.yaml`` that name a channel of their own checked too.
Before, only ``serve``'s start-up asked Slack: a route edited to a channel the bot is not in was
learnt at its first alert, and ``/healthz``'s ``routes_refused`` kept listing a route fixed in
the file until a restart. Now each change is checked within seconds: a refused route or check is
one warning with the fix, ``routes_refused`` lists what is refused now. The real server and
slack-sdk against the fake Web API (``conversations.info``)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from tests.fakes.slack_api import FakeSlack
from tests.flows_support import shipped_flows
from tests.slack_support import Harness, harness, wait_for
from tests.test_slack_route_channels import ROUTES, warned

CHECK = (
    "checks:\n  - {{name: orders, sql: 'SELECT 1', threshold: 5, direction: above, schedule: 5m,"
    " database: '{db}', channel: '{channel}'}}\n"
)


def flows(tmp_path: Path, routes: str = ROUTES, check_channel: str | None = None) -> Path:
    folder = shipped_flows(tmp_path / "flows")
    (folder / "routes.yaml").write_text(routes)
    if check_channel is not None:
        (folder / "checks.yaml").write_text(CHECK.format(db=tmp_path / "kpi.db", channel=check_channel))
    return folder


def edit(path: Path, text: str) -> None:
    """``path`` rewritten, its modification time moved on (a file system's coarse clock cannot hide it)."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text)
    os.utime(path, ns=(before + 2_000_000_000, before + 2_000_000_000))


async def refused(slack: Harness) -> dict[str, str]:
    resp = await slack.client.get("/healthz")
    assert resp.status == 200
    return dict((await resp.json()).get("routes_refused") or {})


async def test_a_routes_file_edited_while_serving_is_checked_again(
    tmp_path: Path, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """payments (C0OUT, the bot not in it) fixed to C0OK, payments-bis dropped, a new route sent to
    the archived C0OLD: /healthz lists the new route alone, and the log warns of it."""
    caplog.set_level(logging.INFO)
    fake.shut_out("C0OUT")
    fake.shut_out("C0OLD", "is_archived")
    folder = flows(tmp_path)
    slack = await harness(tmp_path, fake, flows=folder)
    try:
        await wait_for(lambda: slack.services.extra.get("routes_refused"))
        assert sorted(await refused(slack)) == ["legacy", "payments", "payments-bis"]
        fixed = ROUTES.replace("slack:C0OUT}", "slack:C0OK}").replace("payments-bis", "archive-bis")
        fixed = fixed.replace('"slack:C0OUT/1700000000.000100"', "slack:C0OLD")
        warnings = len(warned(caplog))
        edit(folder / "routes.yaml", fixed)
        await wait_for(lambda: "payments" not in (slack.services.extra.get("routes_refused") or {"payments": 1}))
        assert await refused(slack) == {
            "archive-bis": "slack:C0OLD: the channel is archived (is_archived)",
            "legacy": "slack:C0OLD: the channel is archived (is_archived)",
        }
        said = warned(caplog)[warnings:]
        assert len(said) == 2 and said[0].startswith("The route 'archive-bis' sends its runs to slack:C0OLD")
        fake.let_in("C0OLD")  # unarchived; the next edit of either file finds it fixed
        edit(folder / "checks.yaml", "checks: []\n")
        await wait_for(lambda: not slack.services.extra.get("routes_refused"))
        assert await refused(slack) == {}
    finally:
        await slack.client.close()


async def test_a_check_naming_its_own_channel_is_checked(
    tmp_path: Path, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """A check of checks.yaml sending its breaches to C0OUT (the bot not in it): said at start-up
    as its route would be, and gone from /healthz once checks.yaml names C0OK instead."""
    caplog.set_level(logging.INFO)
    fake.shut_out("C0OUT")
    folder = flows(tmp_path, routes="routes: []\n", check_channel="slack:C0OUT")
    slack = await harness(tmp_path, fake, flows=folder)
    try:
        await wait_for(lambda: slack.services.extra.get("routes_refused"))
        assert await refused(slack) == {"check:orders": "slack:C0OUT: the bot is not in the channel (not_in_channel)"}
        [said] = warned(caplog)
        assert said == (
            "The check 'orders' of checks.yaml sends its runs to slack:C0OUT, where the bot cannot post: the bot"
            " is not in the channel (not_in_channel). Its breaches would start runs nobody there sees. Fix: Invite"
            " the bot to that channel (/invite @decisionbot), or name another channel in checks.yaml."
        )
        edit(folder / "checks.yaml", CHECK.format(db=tmp_path / "kpi.db", channel="slack:C0OK"))
        await wait_for(lambda: not slack.services.extra.get("routes_refused"))
        assert "C0OK" in [c.args["channel"] for c in fake.of("conversations.info")]
    finally:
        await slack.client.close()


async def test_slack_not_asked_after_a_change_keeps_what_was_known(
    tmp_path: Path, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """Slack refusing conversations.info after an edit (out of reach): one info line, and the
    routes it could not check keep their entries (not listed as fixed)."""
    caplog.set_level(logging.INFO)
    fake.shut_out("C0OUT")
    folder = flows(tmp_path)
    slack = await harness(tmp_path, fake, flows=folder)
    try:
        await wait_for(lambda: slack.services.extra.get("routes_refused"))
        before = await refused(slack)
        fake.refuse("conversations.info", times=10, status=503)
        edit(folder / "routes.yaml", ROUTES + "  - {name: extra, match: {kind: extra}, channel: slack:C0NEW}\n")
        line = await wait_for(lambda: [r for r in caplog.records if "not checked after routes.yaml" in r.getMessage()])
        assert line[0].levelno == logging.INFO
        assert await refused(slack) == before
    finally:
        await slack.client.close()
