"""Home tab clicks while another process holds the ledger's write lock past Slack's 3 s (a backup,
cron's ``jobs run-due``). They carry no response_url, so "still saving" cannot be told beside
them as for a question's widget; before, they were answered 503 (Slack's red warning, the click
lost). Now each is acknowledged in time and its person told on their Home tab itself
(``views.publish``): "still saving" at once, then the click's answer once stored (the tab drawn
from the ledger), or "press it again" once it cannot be. The Home tab's "Start a decision" opens
the form (``views.open``: no write). The real server and slack-sdk against the fake Web API,
requests signed for real, a real ledger held by a connection of the test's own."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from bot import texts
from tests.fakes.slack_api import FakeSlack
from tests.slack_modal_support import home_start_body
from tests.slack_support import SOCKET, Harness, SlackPeople, committed_rows, decided, harness, wait_for
from tests.test_slack_home import done_button, home_click, home_opened, opened, shown, taken_for
from tests.test_slack_late_clicks import ledger_held

DONE = "SELECT status FROM actions WHERE id = 1"


@pytest.fixture
def slack_people() -> SlackPeople:
    return {"UA": ("Alice", "UTC"), "UB": ("Bob", "UTC")}


def notes(fake: FakeSlack, user: str) -> list[str]:
    """The first text of each Home view Slack took for ``user``, in order (a click's note on top)."""
    return [shown(c.args["view"])[0] for c in taken_for(fake, user)]


async def test_a_home_click_the_ledger_cannot_take_in_3_s_is_told_on_the_tab(
    slack: Harness, fake: FakeSlack, tmp_path: Path
) -> None:
    await decided(slack)
    await opened(slack, "UB")
    with ledger_held(tmp_path / "slack.db"):
        began = time.monotonic()
        resp = await slack.post(home_click("UB", done_button("A1")), form=True)
        assert resp.status == 200 and time.monotonic() - began < 2.9  # before: 503, Slack's red warning
        said = await wait_for(lambda: [n for n in notes(fake, "UB") if n.startswith("Still saving")])
        assert said == [
            "Still saving: done A1. This is taking longer than usual; this tab shows its answer once it is stored."
        ]
        await asyncio.sleep(0.3)
        assert committed_rows(slack, DONE) == [("open",)]
    await wait_for(lambda: committed_rows(slack, DONE) == [("done",)])
    last = await wait_for(lambda: (n := notes(fake, "UB")) and not n[-1].startswith("Still saving") and n[-1])
    assert last == "Marked done: 'Draft the plan' (from 'Weekly sync')."  # as once stored in time


async def test_a_home_click_not_stored_after_all_is_told_to_press_again(
    slack: Harness, fake: FakeSlack, tmp_path: Path
) -> None:
    """Its group commit is lost once the lock is free (a constraint only the commit checks)."""
    await decided(slack)
    await opened(slack, "UB")
    conn = slack.services.db.conn
    conn.execute("CREATE TABLE doomed (id INTEGER REFERENCES runs(id) DEFERRABLE INITIALLY DEFERRED)")
    conn.execute("CREATE TRIGGER doom AFTER UPDATE ON actions BEGIN INSERT INTO doomed VALUES (999999); END")
    with ledger_held(tmp_path / "slack.db"):
        assert (await slack.post(home_click("UB", done_button("A1")), form=True)).status == 200
        await wait_for(lambda: any(n.startswith("Still saving") for n in notes(fake, "UB")))
    last = await wait_for(lambda: (n := notes(fake, "UB")) and n[-1].startswith("Your click") and n[-1])
    assert last == "Your click (done A1) could not be saved, so nothing was recorded. Please press it again."
    assert committed_rows(slack, DONE) == [("open",)]


async def test_the_home_start_button_opens_the_form_while_the_ledger_is_held(
    slack: Harness, fake: FakeSlack, tmp_path: Path
) -> None:
    with ledger_held(tmp_path / "slack.db"):
        began = time.monotonic()
        resp = await slack.post(home_start_body("UA"), form=True)
        assert resp.status == 200 and time.monotonic() - began < 2.9
        await wait_for(lambda: fake.modals())
    view: dict[str, Any] = fake.modals()[-1]
    assert view["callback_id"] == "start_decision"


async def test_the_home_start_button_slack_will_not_open_tells_the_tab_while_the_ledger_is_held(
    slack: Harness, fake: FakeSlack, tmp_path: Path
) -> None:
    """``views.open`` refused (the trigger expired): the syntax instead, on the tab, held or not."""
    await opened(slack, "UA")
    fake.refuse("views.open", error="expired_trigger_id")
    with ledger_held(tmp_path / "slack.db"):
        assert (await slack.post(home_start_body("UA"), form=True)).status == 200
        said = await wait_for(lambda: [n for n in notes(fake, "UA") if "could not open the form" in n])
    assert "/decision start FLOW [@people ...] [title]" in said[0]


async def test_over_socket_mode_a_home_click_is_acknowledged_in_time_and_told_on_the_tab(
    tmp_path: Path, fake: FakeSlack
) -> None:
    """Before, its envelope was left unacknowledged (Slack does not send a click again)."""
    slack = await harness(tmp_path, fake, env=SOCKET)
    try:
        await fake.wait_connected()
        payload = {"team_id": "T111", "api_app_id": "A111", "type": "event_callback", "event_id": "Ev1"}
        await fake.send_envelope(
            {"envelope_id": "e-1", "type": "events_api", "payload": {**payload, "event": home_opened("UA")}}
        )
        await wait_for(lambda: taken_for(fake, "UA"))
        click = json.loads(parse_qs(home_click("UA", done_button("A1")).decode())["payload"][0])
        with ledger_held(tmp_path / "slack.db"):
            began = time.monotonic()
            await fake.send_envelope({"envelope_id": "e-2", "type": "interactive", "payload": click})
            await wait_for(lambda: len(fake.acks) == 2)
            assert time.monotonic() - began < 2.9 and fake.acks[1] == {"envelope_id": "e-2"}
            await wait_for(lambda: any(n.startswith("Still saving: done A1") for n in notes(fake, "UA")))
        await wait_for(lambda: notes(fake, "UA")[-1] == texts.action_unknown(1))  # no A1 of hers: as typed
    finally:
        await slack.client.close()


async def test_a_home_click_under_way_when_the_server_stops_is_told_on_the_tab(
    slack: Harness, fake: FakeSlack, tmp_path: Path
) -> None:
    """The ledger held past the stop's grace: the click is stopped, nothing of it kept, and its
    person told on the tab that the bot was restarting (not left reading "Still saving")."""
    await decided(slack)
    await opened(slack, "UB")
    with ledger_held(tmp_path / "slack.db"):
        assert (await slack.post(home_click("UB", done_button("A1")), form=True)).status == 200
        await wait_for(lambda: any(n.startswith("Still saving") for n in notes(fake, "UB")))
        await slack.client.close()
    assert notes(fake, "UB")[-1] == (
        "The bot was restarting, so your click (done A1) was not saved. Please press it again in a minute."
    )
    with closing(sqlite3.connect(tmp_path / "slack.db")) as ledger:
        assert ledger.execute(DONE).fetchall() == [("open",)]
