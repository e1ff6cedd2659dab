"""A review flow (decision_review) reviews a recorded decision, which its trigger names
(``decision_id``): started without one it reviewed nothing ("Time to review the decision from
'Decision review': {'flow': ...}"). The check is the dispatcher's, so every way of starting a run
refuses it: the generic hook (400, nothing stored), ``decisionbot trigger`` (exit 1, naming
``--data decision_id=N``), as chat, Rasa and ``decisionbot chat`` do (tests/test_people_words.py)."""

from __future__ import annotations

from pathlib import Path

from tests.triggers.test_hooks import ROOT, TOKEN, post, rows, serve


async def test_a_hook_naming_a_review_flow_without_a_decision_is_refused_and_nothing_stored(tmp_path: Path) -> None:
    client = await serve(tmp_path, ROOT / "flows")
    try:
        status, answer = await post(client, "events", {"title": "x", "flow": "decision_review", "channel": "console:a"})
        assert status == 400
        assert answer["error"].startswith("Nothing started: decision_review reviews a recorded decision")
        assert rows(client, "SELECT count(*) FROM runs") == [(0,)]
        assert rows(client, "SELECT count(*) FROM events") == [(0,)]
    finally:
        await client.close()


async def test_the_same_hook_with_nowhere_to_post_is_refused_too(tmp_path: Path) -> None:
    """No route and no default channel: the event was kept unrouted, 200, its log line telling to
    fix the route 'for its next notification', which could never start a review either."""
    client = await serve(tmp_path, ROOT / "flows", env={"DECISIONBOT_HOOK_TOKEN": TOKEN})
    try:
        status, answer = await post(client, "events", {"title": "Quarterly review", "flow": "decision_review"})
        assert status == 400, answer
        assert answer["error"].startswith("Nothing started: decision_review reviews a recorded decision")
        assert rows(client, "SELECT count(*) FROM events") == [(0,)]
    finally:
        await client.close()


def test_the_command_line_names_the_decision_to_give(tmp_path: Path) -> None:
    from tests.triggers.test_cli_triggers import cli

    refused = cli(tmp_path, ROOT / "flows", "trigger", "decision_review", "--channel", "console", "-f", "alice")
    assert refused.exit_code == 1
    assert "decision_review reviews a recorded decision: name it with --data decision_id=N" in refused.output
    assert "Started run" not in refused.output


def test_without_a_channel_the_command_line_names_the_decision_not_the_channel(tmp_path: Path) -> None:
    """Without ``--channel`` it said "no channel to post in: no route matched ...": the wrong
    thing to fix. And ``--data decision_id=zz`` with ``--channel`` was a traceback
    (``int('zz')``); now an unknown decision, named, exit 1, nothing stored."""
    from tests.triggers.test_cli_triggers import cli, rows

    refused = cli(tmp_path, ROOT / "flows", "trigger", "decision_review")
    assert refused.exit_code == 1
    assert "decision_review reviews a recorded decision: name it with --data decision_id=N" in refused.output
    assert "no channel" not in refused.output
    for given in ("zz", "99", "²"):
        refused = cli(
            tmp_path, ROOT / "flows", "trigger", "decision_review", "-c", "console", "--data", f"decision_id={given}"
        )
        assert (refused.exit_code, refused.output) == (
            1,
            f"Error: No decision {given} in the ledger: decisions are numbered apart from runs ('runs show RUN'"
            f" names a run's decision). Try: decisionbot --db {tmp_path / 'cli.db'} --flows {ROOT / 'flows'}"
            " export decisions\n",
        )
    assert rows(tmp_path, "SELECT count(*) FROM runs") == [(0,)]
