"""A run an alert (or ``decisionbot trigger``) started in a Rasa sender's conversation naming no
facilitator asks its placeholder (``rasa:facilitator``) until someone takes it. Through Rasa that
question was never handed over: the sender's first message ("hi") was read as its answer and
refused as a name, and the alert's question never shown. Now it is shown at their next call, as
docs/rasa.md says (their message not taken as an answer), and their answer takes the run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.rasa_support import RASA_ACTIONS, ROOT, start_server, stop, texts


def test_the_alerts_question_is_shown_at_the_senders_next_call_and_their_answer_takes_the_run(
    tmp_path: Path,
) -> None:
    server = start_server(tmp_path, RASA_ACTIONS)
    try:
        exe = Path(sys.executable).with_name("decisionbot")
        started = subprocess.run(
            [str(exe), "--db", str(server.db), "--flows", str(ROOT / "flows"), "trigger", "metric_breach"]
            + ["--channel", "rasa:opsguy", "--title", "Checkout conversion dropped"]
            + ["--data", "metric=conversion", "--data", "value=1.9", "--data", "threshold=2.5"],
            capture_output=True,
            text=True,
            env={**os.environ},
            timeout=60,
        )
        assert started.returncode == 0, started.stderr
        _, shown = server.act("action_decision_answer", "opsguy", "hi")
        assert texts(shown) == ["Checkout conversion dropped: conversion is 1.9 (threshold 2.5).\nWho takes this one?"]
        assert server.sql("SELECT count(*) FROM answers") == [(0,)]  # 'hi' named nobody: it was no answer
        _, taken = server.act("action_decision_answer", "opsguy", "me")
        assert server.sql("SELECT facilitator_id FROM runs WHERE id = 1") == [("rasa:opsguy",)]
        assert server.sql("SELECT step, actor_id FROM answers") == [("acknowledge", "rasa:opsguy")]
        assert texts(taken)
    finally:
        stop(server)
