"""Slack Enterprise Grid, as a Grid admin installs the app: org-wide (one bot token for every
workspace of the organisation the admin adds it to), or in one workspace of the Grid. The payloads
are shaped as Slack sends them to an org-wide app (bolt-python's tests/scenario_tests*/
test_events_org_apps.py; https://api.slack.com/enterprise/apps/reference): an event's
``team_id`` is the workspace it happened in, its ``authorizations[0]`` the installation
(``enterprise_id`` set, ``team_id`` null, ``is_enterprise_install: true``); a slash command
carries ``enterprise_id`` and ``is_enterprise_install=true``; a click carries ``enterprise`` and
``is_enterprise_install``. User ids on a Grid are the organisation's (``W...``), the same in
every workspace of it. The real server, requests signed for real, the fake Web API answering
``auth.test`` as Slack does for each kind of install."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest

from tests.dates import JAN15
from tests.fakes.slack_api import APP, ORG, TEAM, FakeSlack
from tests.slack_support import Harness, action_body, harness, message, slash_body, wait_for

SALES, ENG = "T0SALES", "T0ENG"  # two workspaces of the organisation ORG
OTHER_ORG = "E0GLOBEX"


def org_event(event: dict[str, Any], team: str = SALES, org: str = ORG, owner_org: str | None = None) -> bytes:
    """An Events API callback to an org-wide installation (bolt-python's test_events_org_apps);
    ``owner_org``: the channel is another organization's, shared with ``org`` (Slack Connect),
    and the envelope's ``team_id`` and ``enterprise_id`` are its owner's."""
    envelope = {
        "token": "x", "team_id": team, "enterprise_id": owner_org or org, "api_app_id": APP, "type": "event_callback",
        "event": {**event, "team": team}, "event_id": f"Ev{time.time_ns()}", "event_time": int(time.time()),
        "authorizations": [{"enterprise_id": org, "team_id": None, "user_id": "W0BOT", "is_bot": True,
                            "is_enterprise_install": True}],
        "is_ext_shared_channel": False, "event_context": "1-message",
    }  # fmt: skip
    return json.dumps(envelope).encode()


def org_slash(user: str, text: str, team: str = SALES, org: str = ORG, channel: str = "C1") -> bytes:
    """/decision typed in workspace ``team`` of ``org``, to an org-wide installation."""
    extra = urlencode({"enterprise_id": org, "enterprise_name": "Acme", "is_enterprise_install": "true"})
    return slash_body(user, text, channel=channel, team=team) + b"&" + extra.encode()


def org_click(body: bytes, team: str | None = SALES, org: str = ORG) -> bytes:
    """A block_actions payload as an org-wide installation gets it: ``enterprise`` and
    ``is_enterprise_install`` added, ``team`` null when ``team`` is None (bolt-python's
    extract_team_id: "With org-wide installations, payload.team in interactivity payloads can be
    None"; the user's ``team_id`` says the workspace)."""
    payload = json.loads(parse_qs(body.decode())["payload"][0])
    payload.update(enterprise={"id": org, "name": "Acme"}, is_enterprise_install=True)
    payload["team"] = {"id": team, "domain": "acme-sales", "enterprise_id": org} if team else None
    payload["user"]["team_id"] = team or ENG
    return urlencode({"payload": json.dumps(payload)}).encode()


@pytest.fixture
async def org_fake(fake: FakeSlack) -> AsyncIterator[FakeSlack]:
    fake.grid = "org"
    for user_id, name in (("W0ALICE", "Alice"), ("W0BOB", "Bob")):
        fake.add_user(user_id, name)
        fake.users[user_id]["team_id"] = SALES if user_id == "W0ALICE" else ENG
    yield fake


@pytest.fixture
async def org(tmp_path: Path, org_fake: FakeSlack) -> AsyncIterator[Harness]:
    h = await harness(tmp_path, org_fake)
    yield h
    await h.client.close()


async def test_a_whole_run_on_an_org_wide_install_across_two_workspaces(org: Harness, org_fake: FakeSlack) -> None:
    """Alice (workspace Sales) starts a run; Bob (workspace Eng, same organisation) owns its action
    and accepts it with the button of his direct message. Before: every request refused, 400
    ``unknown team T0SALES`` (the token's team, from auth.test, is the organisation)."""
    resp = await org.post(org_slash("W0ALICE", "start post_meeting Weekly sync"), form=True)
    assert resp.status == 200, await resp.text()
    thread = (await org.posts(2))[0]["ts"]
    for text in ("We ship in March", "Draft the plan", "<@W0BOB>", JAN15, "done"):
        n = len(org_fake.posted())
        resp = await org.post(org_event(message("W0ALICE", text, thread_ts=thread)))
        assert resp.status == 200, await resp.text()
        await wait_for(lambda n=n: len(org_fake.posted()) > n)
    [asked] = await wait_for(lambda: [p for p in org_fake.posted() if p["channel"] == "DW0BOB"])
    block = next(b for b in asked["blocks"] if b["type"] == "actions")
    yes = {"type": "button", "value": "yes"}
    click = action_body("W0BOB", asked["channel"], asked["ts"], block["block_id"], yes)
    resp = await org.post(org_click(click, team=None), form=True)
    assert resp.status == 200, await resp.text()
    await wait_for(lambda: "When should we review" in org_fake.posted()[-1]["text"])
    resp = await org.post(org_event(message("W0ALICE", "ok", thread_ts=thread)))
    assert resp.status == 200
    await wait_for(lambda: org.rows("SELECT status FROM runs") == [("completed",)])
    assert org.rows("SELECT owner_id, accepted_at IS NOT NULL FROM actions") == [("slack:W0BOB", 1)]
    assert org.rows("SELECT id, name FROM people ORDER BY id") == [("slack:W0ALICE", "Alice"), ("slack:W0BOB", "Bob")]


async def test_a_click_in_a_workspace_of_the_org_is_taken(org: Harness, org_fake: FakeSlack) -> None:
    """The click's ``team`` set (the workspace), as Slack sends it in a channel."""
    resp = await org.post(org_slash("W0ALICE", "start post_meeting Weekly sync"), form=True)
    assert resp.status == 200
    thread = (await org.posts(2))[0]["ts"]
    await org.post(org_event(message("W0ALICE", "We ship in March", thread_ts=thread)))
    await org.post(org_event(message("W0ALICE", "Draft the plan", thread_ts=thread)))
    question = (await org.posts(4))[-1]
    block = next(b for b in question["blocks"] if b["type"] == "actions")
    pick = {"type": "users_select", "selected_user": "W0BOB"}
    click = action_body("W0ALICE", question["channel"], question["ts"], block["block_id"], pick, thread)
    assert (await org.post(org_click(click), form=True)).status == 200
    assert org.rows("SELECT raw FROM answers WHERE step = 'actions'")[-1] == ("<@W0BOB>",)


async def test_a_slack_connect_channel_another_organization_owns_works_on_an_org_wide_install(
    org: Harness, org_fake: FakeSlack
) -> None:
    """The run's channel is Globex's, shared with Acme: its events carry Globex's team and
    organization; the installation they are delivered for (authorizations[0]) is Acme's."""
    resp = await org.post(org_slash("W0ALICE", "start post_meeting Weekly sync", channel="C0SHARED"), form=True)
    assert resp.status == 200
    thread = (await org.posts(2))[0]["ts"]
    reply = message("W0ALICE", "We ship in March", channel="C0SHARED", thread_ts=thread)
    resp = await org.post(org_event(reply, team="T0GLOBEX", owner_org=OTHER_ORG))
    assert resp.status == 200, await resp.text()
    assert org.rows("SELECT raw FROM answers") == [("We ship in March",)]


async def test_another_organisation_is_refused_and_named_in_the_log(
    org: Harness, org_fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    for _ in range(3):
        resp = await org.post(org_event(message("W0EVE", "hello"), team="T0GLOBEX", org=OTHER_ORG))
        assert resp.status == 400
        assert (await resp.json())["error"] == f"unknown organization {OTHER_ORG}"
    resp = await org.post(org_slash("W0EVE", "start post_meeting X", team="T0GLOBEX", org=OTHER_ORG), form=True)
    assert resp.status == 400
    told = [r.getMessage() for r in caplog.records if r.name == "decisionbot.slack" and "refused" in r.getMessage()]
    assert told == [
        f"Slack request of organization {OTHER_ORG} refused: this server serves organization {ORG} only"
        f" (SLACK_BOT_TOKEN's, installed org-wide), and the app is installed in {OTHER_ORG} too. Uninstall it"
        " there, or serve that organization with a decisionbot of its own (its own app and tokens)."
    ]
    assert org.rows("SELECT count(*) FROM messages") == [(0,)]


async def test_the_org_wide_events_without_a_workspace_are_acknowledged(org: Harness) -> None:
    """``team_access_granted`` (the app added to workspaces of the org) names no workspace."""
    body = {
        "token": "x", "enterprise_id": ORG, "api_app_id": APP, "type": "event_callback",
        "event": {"type": "team_access_granted", "team_ids": [SALES, ENG], "event_ts": "1.2"},
        "event_id": "Ev0GRANTED", "event_time": int(time.time()),
    }  # fmt: skip
    assert (await org.post(json.dumps(body).encode())).status == 200


async def test_a_workspace_install_on_a_grid_takes_its_workspace_and_names_the_fix_for_the_others(
    tmp_path: Path, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """Installed in one workspace (T111) of the Grid: its own payloads, which carry the Grid's
    ``enterprise_id``, are taken; a sibling workspace of the same organisation (the app added there
    too) is refused with the fix: install the app org-wide, and one decisionbot serves them all."""
    fake.grid = "workspace"
    caplog.set_level(logging.INFO)
    slack = await harness(tmp_path, fake)
    try:
        extra = b"&" + urlencode({"enterprise_id": ORG, "is_enterprise_install": "false"}).encode()
        resp = await slack.post(slash_body("UA", "start post_meeting Weekly sync", team=TEAM) + extra, form=True)
        assert resp.status == 200
        assert "started" in (await slack.posts(1))[0]["text"]
        resp = await slack.post(slash_body("UA", "start post_meeting Weekly sync", team=ENG) + extra, form=True)
        assert resp.status == 400
        said = [r.getMessage() for r in caplog.records if r.name == "decisionbot.slack"]
        assert said[0] == (
            f"Slack: the bot token is installed in workspace {TEAM} of Enterprise Grid organization {ORG}:"
            " requests of that workspace are taken"
        )
        told = [line for line in said if "refused" in line]
        assert told == [
            f"Slack request of workspace {ENG} refused: this server serves workspace {TEAM} only (SLACK_BOT_TOKEN's),"
            f" and the app is installed in {ENG} too, a workspace of the same Enterprise Grid organization ({ORG})."
            " To serve every workspace of the organization with this decisionbot, install the app org-wide"
            " (an org admin: the app's settings, Install App, Install to Organization) and set SLACK_BOT_TOKEN to"
            " the token of that installation."
        ]
    finally:
        await slack.client.close()
