"""A review flow (decision_review) reviews a recorded decision, which its trigger names
(``decision_id``): started without one it reviewed nothing ("Time to review the decision from
'Decision review': {'flow': ...}"). The check is the dispatcher's, so every way of starting a run
refuses it: the generic hook (400, nothing stored), ``decisionbot trigger`` (exit 1, naming
``--data decision_id=N``), as chat, Rasa and ``decisionbot chat`` do (tests/test_people_words.py)."""

from __future__ import annotations

from pathlib import Path

from tests.triggers.test_hooks import ROOT, post, rows, serve


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


def test_the_command_line_names_the_decision_to_give(tmp_path: Path) -> None:
    from tests.triggers.test_cli_triggers import cli

    refused = cli(tmp_path, ROOT / "flows", "trigger", "decision_review", "--channel", "console", "-f", "alice")
    assert refused.exit_code == 1
    assert "decision_review reviews a recorded decision: name it with --data decision_id=N" in refused.output
    assert "Started run" not in refused.output
