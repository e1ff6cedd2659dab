"""An analyst's acceptance of last session's Slack features: a run moved to another channel
(``/decision move``: a ``thread_moved`` transition, ``slack_moves``) and a run started from the form
(``/decision start`` alone). The real server, requests signed for real, the fake Web API, a real ledger.

- The latency measure names each run's ``platform`` (what its ``channel`` column held, kept for the
  queries written before) and its ``conversation``, where it lives now: the moved run counts in
  its new channel, in the view (from the summaries), its definition and the report alike.
- The question waiting at the move, asked again in the new thread, is the same question: one
  prompt addressed (no second one to skew the response rate), its answer time counted from when it
  was first asked, across the move.
- The form's run is a manual Slack trigger (``runs list``: slack modal), measured as a slash start's.
- ``decisionbot export`` and Datasette's canned latency query give the old columns, in their
  order, then the new ones."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bot.analytics import explore, report
from bot.analytics.measures import Params
from bot.analytics.sql import MEASURES, as_view
from bot.cli import main
from bot.store import utc_now
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import ALICE_AND_BOB, ROOT, Harness, SlackPeople, message, wait_for
from tests.test_slack_modal import opened_by_slash, submit
from tests.test_slack_move import in_channel, ops, waiting_in_thread_and_by_dm

#: run_latency's columns before this release, in their order: exports and queries keep reading them.
RUN_LATENCY_BEFORE = ["run_id", "flow_id", "source", "kind", "channel", "week", "triggered_at", "first_answer_at",
                      "decided_at", "hours_to_first_answer", "hours_to_decision"]  # fmt: skip


@pytest.fixture
def slack_people() -> SlackPeople:
    return {**ALICE_AND_BOB, "UC": ("Carol", "UTC")}


def _cli(tmp_path: Path, *args: str) -> Any:
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "slack.db"), "--flows", str(ROOT / "flows"), *args])
    assert result.exit_code == 0, result.output
    return result.output


def _latency(slack: Harness) -> dict[str, list[tuple[Any, ...]]]:
    """The latency rows of the platform and conversation dimensions: the view's, its definition's."""
    sql = "SELECT dimension, key, runs, answered FROM {} WHERE dimension IN ('platform', 'conversation') ORDER BY 1, 2"
    return {
        "view": slack.rows(sql.format("latency_summary")),
        "definition": slack.rows(sql.format(f"({as_view(MEASURES['latency_summary'])})")),
    }


def _report_latency(slack: Harness) -> list[tuple[Any, ...]]:
    """The report's latency rows, built on the server's own connection: on the loop's thread, never
    in a worker thread (its BEGIN there interleaved with the server's group commit on the same
    connection; a rare hang of the suite)."""
    rep = report.build(slack.services.db.conn, Params(as_of=utc_now()))
    rows = [r for r in rep["latency"] if r["dimension"] in ("platform", "conversation")]
    return sorted((r["dimension"], r["key"], r["runs"], r["answered"]) for r in rows)


async def test_a_moved_run_counts_where_it_lives_and_its_question_asked_again_is_one_prompt(
    slack: Harness, fake: FakeSlack, tmp_path: Path
) -> None:
    ops(fake)
    await waiting_in_thread_and_by_dm(slack)  # Alice's question waits in the run's thread in C1
    sql = "SELECT platform, conversation FROM {} WHERE run_id = 1"
    for source in ("run_latency", f"({as_view(MEASURES['run_latency'])})"):
        assert slack.rows(sql.format(source)) == [("slack", "slack:C1")], source  # its thread's channel
    n = len(fake.posted())
    await slack.slash("UA", "move 1 <#C2|ops-review>")
    await wait_for(lambda: len(in_channel(fake, "C2")) >= 2 and len(fake.posted()) >= n + 3)
    root = in_channel(fake, "C2")[0]
    await slack.event(message("UA", "yes", channel="C2", thread_ts=root["ts"]))
    await slack.event(message("UB", "yes", channel="DUB"))
    await wait_for(lambda: "review this decision" in fake.posted()[-1]["text"])

    for source in ("run_latency", f"({as_view(MEASURES['run_latency'])})"):
        assert slack.rows(sql.format(source)) == [("slack", "slack:C2")], source  # where it lives now
    want = [("conversation", "slack:C2", 1, 1), ("platform", "slack", 1, 1)]
    assert _latency(slack) == {"view": want, "definition": want}
    assert _report_latency(slack) == want  # on the loop: its read transaction is on the server's connection

    [(moved_at,)] = slack.rows("SELECT at FROM transitions WHERE event = 'thread_moved'")
    asked = slack.rows("SELECT created_at FROM messages WHERE direction = 'out' AND kind = 'prompt'"
                       " AND actor_id = 'slack:UA' AND step = 'owner_accepts' ORDER BY id")  # fmt: skip
    assert len(asked) == 2 and asked[0][0] < moved_at <= asked[1][0]  # asked in C1, asked again in C2
    for source in ("answer_times", f"({as_view(MEASURES['answer_times'])})"):
        got = slack.rows(
            f"SELECT asked_at, answered_at FROM {source} WHERE person = 'slack:UA' AND step = 'owner_accepts'"
        )
        assert len(got) == 1 and got[0][0] == asked[0][0] and got[0][1] is not None, source  # from the first ask
    steps = slack.rows("SELECT count(DISTINCT step) FROM messages WHERE direction = 'out' AND kind = 'prompt'"
                       " AND expects IS NOT NULL AND actor_id = 'slack:UA'")[0][0]  # fmt: skip
    for source in ("participation", f"({as_view(MEASURES['participation'])})"):
        [(addressed, answered)] = slack.rows(
            f"SELECT prompts_addressed, prompts_answered FROM {source} WHERE person = 'slack:UA'"
        )
        assert (addressed, answered) == (steps, steps - 1), source  # review_at waits: no second owner_accepts
    listed = json.loads(await asyncio.to_thread(_cli, tmp_path, "runs", "list", "--json"))
    assert [(r["id"], r["channel"], r["state"]) for r in listed] == [(1, "slack", "review_at")]


async def test_a_run_started_from_the_form_is_measured_as_a_slash_start(
    slack: Harness, fake: FakeSlack, tmp_path: Path
) -> None:
    view = await opened_by_slash(slack)
    await submit(slack, view, flow="post_meeting", people=("UB",), title="Weekly sync", channel="C1")
    root, _ = await slack.posts(2)
    await slack.say(root["ts"], "We ship in March")
    await wait_for(lambda: slack.rows("SELECT 1 FROM runs WHERE state = 'actions'"))
    for source in ("run_latency", f"({as_view(MEASURES['run_latency'])})"):
        got = slack.rows(f"SELECT source, kind, platform, conversation, first_answer_at IS NOT NULL FROM {source}")
        assert got == [("slack", "manual", "slack", "slack:C1", 1)], source
    want = [("conversation", "slack:C1", 1, 1), ("platform", "slack", 1, 1)]
    assert _latency(slack) == {"view": want, "definition": want}
    assert _report_latency(slack) == want  # on the loop: its read transaction is on the server's connection
    for source in ("participation", f"({as_view(MEASURES['participation'])})"):
        got = slack.rows(f"SELECT person, name, prompts_addressed, prompts_answered, runs_facilitated FROM {source}")
        assert got == [("slack:UA", "Alice", 2, 1, 1)], source  # asked the decision, then the actions
    listed = json.loads(await asyncio.to_thread(_cli, tmp_path, "runs", "list", "--json"))
    assert [r["trigger"] for r in listed] == ["slack modal"]

    exported = await asyncio.to_thread(_cli, tmp_path, "export", "run_latency", "--format", "csv")
    header = next(csv.reader(io.StringIO(exported)))
    assert header == [*RUN_LATENCY_BEFORE, "platform", "conversation", "conversation_name"]  # the old columns first
    summary = list(csv.DictReader(io.StringIO(await asyncio.to_thread(_cli, tmp_path, "export", "latency_summary"))))
    assert [(r["dimension"], r["key"]) for r in summary if r["dimension"] in ("channel", "platform")] == [
        ("channel", "slack"),  # kept for the queries written before
        ("platform", "slack"),
    ]
    _, canned = explore.CANNED["latency"]
    assert [r[0] for r in slack.rows(canned)][-2:] == ["platform", "conversation"]  # the new rows last
