"""``status N`` and ``list`` asked by the person a run waits on say "waiting for you", not their own
name ("waiting for bob to accept ..." to Bob, as if he were someone else); everyone else still
reads the name. Slack, Teams and the terminal answer both commands with the same words (the
shared commands); the terminal's own ``list`` (every terminal session's runs) and Rasa's too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from tests import dates
from tests.dates import JAN10
from tests.rasa_support import Server, running_actions, texts
from tests.slack_support import Harness, bob_asked_to_accept, wait_for
from tests.teams_support import ALICE, BOB, CAROL, at, in_channel, installed, personal, submit
from tests.teams_support import Harness as TeamsHarness

ROOT = Path(__file__).resolve().parents[1]

TO_BOB = "Run #1 post_meeting 'Sync': active; waiting for you to accept 'Draft the plan'."
TO_ALICE = "Run #1 post_meeting 'Sync': active; waiting for bob to accept 'Draft the plan'."


def test_the_terminal_tells_the_person_waited_on_that_it_waits_for_them(tmp_path: Path) -> None:
    typed = (
        f"We ship in March\nDraft the plan\n@bob\n{JAN10}\ndone\n/as bob\nstatus 1\nlist\n/as alice\nstatus 1\nlist\n"
    )
    base = ["--db", str(tmp_path / "t.db"), "--flows", str(ROOT / "flows")]
    args = [*base, "chat", "post_meeting", "-f", "alice", "-p", "bob", "--data", "title=Sync"]
    out = CliRunner().invoke(main, args, input=typed).output
    said = [line for line in out.splitlines() if line.startswith("bot -> ") or line.startswith("      #1")]
    assert said[-6:] == [
        f"bot -> bob: {TO_BOB}",
        "bot -> bob: Open decision runs in the terminal:",
        "      #1 post_meeting: Sync (active; waiting for you to accept 'Draft the plan')",
        f"bot -> alice: {TO_ALICE}",
        "bot -> alice: Open decision runs in the terminal:",
        "      #1 post_meeting: Sync (active; waiting for bob to accept 'Draft the plan')",
    ]


async def test_slack_tells_the_person_waited_on_that_it_waits_for_them(slack: Harness) -> None:
    await bob_asked_to_accept(slack, "start post_meeting Sync")
    await wait_for(lambda: slack.rows("SELECT 1 FROM runs WHERE state = 'owner_accepts'"))
    status = " post_meeting 'Sync': active; waiting for {} to accept 'Draft the plan'."  # after its link
    assert (await slack.slash("UB", "status 1"))["text"].endswith(status.format("you"))
    assert (await slack.slash("UA", "status 1"))["text"].endswith(status.format("Bob"))
    assert "(active; waiting for you to accept 'Draft the plan')" in (await slack.slash("UB", "list"))["text"]
    assert "(active; waiting for Bob to accept 'Draft the plan')" in (await slack.slash("UA", "list"))["text"]


async def test_teams_tells_the_person_waited_on_that_it_waits_for_them(tmp_path: Path) -> None:
    async with TeamsHarness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB, CAROL)))
        await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Sync", BOB))
        root = str((await h.next_post(0)).answer_id)
        for n, typed in enumerate(["We ship in March", "Draft the plan", at(BOB), dates.JAN15], start=1):
            await h.send(in_channel(h.url, ALICE, typed, *((BOB,) if typed == at(BOB) else ()), root=root))
            more = await h.next_post(n)
        await h.send(submit(h.url, ALICE, more, {"say": "done"}))
        await h.next_post(5)  # Bob's question, in his personal chat
        await h.settle()
        n = len(h.fake.posts())
        await h.send(personal(h.url, BOB, "status 1"))
        await h.settle()
        await h.send(personal(h.url, ALICE, "status 1"))
        await h.settle()
        status = "Run #1 post_meeting 'Sync': active; waiting for {} to accept 'Draft the plan'."
        assert [c.text for c in h.fake.posts()[n:]] == [status.format("you"), status.format(BOB["name"])]


@pytest.fixture(scope="module")
def rasa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from running_actions(tmp_path_factory)


def test_rasa_tells_the_person_waited_on_that_it_waits_for_them(rasa: Server) -> None:
    slots = {"decision_flow": "post_meeting", "decision_title": "Sync", "decision_participants": "w_bob"}
    rasa.act("action_decision_start", "w_ann", "go", slots=slots)
    for text in ("We ship in March", "Draft the plan", "@w_bob", JAN10, "done"):
        rasa.act("action_decision_answer", "w_ann", text, slots=slots)
    status = "Run #1 post_meeting 'Sync': active; waiting for {} to accept 'Draft the plan'."
    assert (
        texts(rasa.act("action_decision_status", "w_bob")[1])[0]
        == f"Your open decision runs:\n  {status.format('you')}"
    )
    assert texts(rasa.act("action_decision_status", "w_ann")[1])[0].endswith(status.format("w_bob"))
    listed = "  #1 post_meeting: Sync (active; waiting for {} to accept 'Draft the plan')"
    assert texts(rasa.act("action_decision_answer", "w_bob", "list")[1])[0].endswith(listed.format("you"))
    assert texts(rasa.act("action_decision_answer", "w_ann", "list")[1])[0].endswith(listed.format("w_bob"))
