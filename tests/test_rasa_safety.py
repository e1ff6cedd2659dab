"""The Rasa action server under retries, without a token, and when its housekeeping fails: the
real rasa-sdk server in a subprocess (``decisionbot rasa-actions``), sent Rasa's requests."""

from __future__ import annotations

import asyncio
import json
import socket
import sqlite3
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bot.channels.rasa_edge import ACTION_NAMES
from bot.cli import main
from tests.edge_support import answer_to_headers_alone
from tests.rasa_support import RASA_ACTIONS, Server, free_port, request, slot, start_server, stop, texts

CLI = RASA_ACTIONS
TOKEN = "rasa-token-7f3a"
MEETING = {"decision_flow": "post_meeting", "decision_title": "Sync", "decision_participants": "bob"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("rasa"), CLI)
    yield running
    stop(running)


def test_a_retried_start_starts_one_run_and_gets_the_same_answer(server: Server) -> None:
    """Rasa (or the channel before it) sends the call again after a timeout: the first call's
    run is not started twice, and its answer, lost on the way, comes back."""
    call = request("action_decision_start", "rita", "/decision_start", slots=MEETING, message_id="m-rita-1")
    first, again = server.post(call), server.post(call)
    assert first[0] == 200 and again == first
    runs = server.sql("SELECT id FROM runs WHERE facilitator_id = 'rasa:rita'")
    assert len(runs) == 1 and first[1]["events"] == [slot("decision_run", runs[0][0])]
    assert texts(again[1]) == [f"Started run #{runs[0][0]} (post_meeting).", "What was decided in Sync?"]

    answer = request("action_decision_answer", "rita", "We ship in May", slots=MEETING, message_id="m-rita-2")
    took, retried = server.post(answer), server.post(answer)
    assert texts(took[1]) == ["Action 1: What is the action?"] and retried == took
    assert server.sql("SELECT count(*) FROM answers WHERE run_id = ?", runs[0][0]) == [(1,)]
    # another user message (a new id) is a new start
    other = request("action_decision_start", "rita", "/decision_start", slots=MEETING, message_id="m-rita-3")
    assert server.post(other)[0] == 200
    assert len(server.sql("SELECT id FROM runs WHERE facilitator_id = 'rasa:rita'")) == 2


def test_a_failing_housekeeping_after_the_commit_does_not_lose_the_answer(server: Server) -> None:
    """The full-text index is filled after the call's transaction; when that fails, the call was
    stored and its replies marked sent, so Rasa must get them (not a 500)."""
    server.act("action_decision_start", "sam", "/decision_start", slots=MEETING)
    with sqlite3.connect(server.db) as conn:
        conn.execute(
            "CREATE TRIGGER stuck BEFORE UPDATE ON messages_fts_progress BEGIN SELECT RAISE(ABORT, 'index stuck'); END"
        )
    try:
        status, body = server.act("action_decision_answer", "sam", "Hire two people", slots=MEETING)
    finally:
        with sqlite3.connect(server.db) as conn:
            conn.execute("DROP TRIGGER stuck")
    assert (status, texts(body)) == (200, ["Action 1: What is the action?"])
    assert "index stuck" in server.log.read_text()


def protected(tmp: Path, command: list[str]) -> Server:
    return start_server(tmp, command, DECISIONBOT_RASA_TOKEN=TOKEN)


def test_with_a_token_only_calls_carrying_it_run(tmp_path: Path) -> None:
    """Rasa sends endpoints.yml's ``action_endpoint.token`` as ``?token=``."""
    running = protected(tmp_path, CLI)
    try:
        call = request("action_decision_start", "tia", "/decision_start", slots=MEETING)
        refused: dict[str, Any] = {
            "error": "Missing or wrong token. Set action_endpoint's token in Rasa's endpoints.yml"
            " to the value of DECISIONBOT_RASA_TOKEN.",
            "action_name": None,
        }
        for query in ("", "?token=wrong", f"?token={TOKEN}x", f"?token=wrong&token={TOKEN}"):
            assert running.post(call, query=query) == (401, refused), query
        assert running.sql("SELECT count(*) FROM runs") == [(0,)]
        assert running.get("/health") == {"status": "ok"}  # for the orchestrator's probe
        status, body = running.post(call, query=f"?token={TOKEN}")
        assert status == 200 and texts(body)[0] == "Started run #1 (post_meeting)."
        assert TOKEN not in running.log.read_text()
    finally:
        stop(running)


def test_python_m_rasa_sdk_with_a_token_refuses_every_call(tmp_path: Path) -> None:
    """Plain rasa-sdk cannot check the token: the actions refuse to run rather than serve anyone."""
    running = protected(tmp_path, [sys.executable, "-m", "rasa_sdk", "--actions", "bot.channels.rasa"])
    try:
        for name in ACTION_NAMES:  # the form's validation too, which answered as if nothing were set
            due = [slot("requested_slot", "decision_due"), slot("decision_due", "next friday")]
            call = request(name, "tia", "next friday", slots={**MEETING, "decision_due": "next friday"}, events=due)
            status, body = running.post(call, query=f"?token={TOKEN}")
            assert status == 400 and body["action_name"] == name, (name, body)
            assert body["error"].startswith("DECISIONBOT_RASA_TOKEN is set but this server does not check it")
        assert not running.db.exists()  # refused before the ledger is opened
    finally:
        stop(running)


def has_ipv6_loopback() -> bool:
    """Whether this machine can listen on ``::1`` (a container may have IPv6 turned off)."""
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


def test_rasa_actions_listens_beyond_loopback_only_with_a_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.channels import rasa_server

    served: list[tuple[str, int]] = []
    monkeypatch.setattr(rasa_server, "serve", lambda host, port: served.append((host, port)))
    port = free_port()  # (the port is tried before the ledger is opened)
    loopbacks = ("127.0.0.1", "localhost", "::1") if has_ipv6_loopback() else ("127.0.0.1", "localhost")
    monkeypatch.delenv("DECISIONBOT_RASA_TOKEN", raising=False)
    db = str(tmp_path / "r.db")
    for host in ("0.0.0.0", "192.0.2.7", "::", "rasa-actions.internal"):
        result = CliRunner().invoke(main, ["--db", db, "rasa-actions", "--host", host, "--port", str(port)])
        assert result.exit_code == 1, host
        assert f"Refusing to listen on {host} without a token" in result.output
    assert served == [] and not Path(db).exists()
    for host in loopbacks:
        result = CliRunner().invoke(main, ["--db", db, "rasa-actions", "--host", host, "--port", str(port)])
        assert result.exit_code == 0, (host, result.output, result.exception)
    monkeypatch.setenv("DECISIONBOT_RASA_TOKEN", TOKEN)
    assert (
        CliRunner().invoke(main, ["--db", db, "rasa-actions", "--host", "0.0.0.0", "--port", str(port)]).exit_code == 0
    )
    assert served == [(host, port) for host in (*loopbacks, "0.0.0.0")]


def test_ids_and_answers_older_than_a_week_are_forgotten(server: Server) -> None:
    """rasa-actions has no server housekeeping: each call forgets what is past any retry."""
    with sqlite3.connect(server.db) as conn:
        conn.execute("INSERT INTO deliveries VALUES ('rasa', 'm-old', '2000-01-01T00:00:00.000Z')")
        conn.execute(
            "INSERT INTO rasa_calls VALUES ('[\"action_my_actions\", \"uma\", \"m-old\"]', '{}', '2000-01-01T00:00:00.000Z')"
        )
    call = request("action_my_actions", "uma", "/my_actions", message_id="m-uma-1")
    assert server.post(call)[0] == 200
    assert server.sql("SELECT count(*) FROM deliveries WHERE delivery_id = 'm-old'") == [(0,)]
    assert server.sql("SELECT call_id FROM rasa_calls WHERE call_id LIKE '%m-old%' OR call_id LIKE '%m-uma-1%'") == [
        ('["action_my_actions", "uma", "m-uma-1"]',)
    ]


def test_one_message_id_from_two_senders_is_two_calls(server: Server) -> None:
    """Rasa's message ids are unique per sender at most (a connector may pass each chat's own
    numbers): alice's answer is never given to mallory, nor mallory's call dropped as hers."""
    slots = {"decision_flow": "post_meeting", "decision_title": "Sync", "decision_participants": "bob"}
    _, alice = server.act("action_decision_start", "alice", "/decision_start", slots=slots, message_id="7")
    _, mallory = server.act("action_decision_start", "mallory", "/decision_start", slots=slots, message_id="7")
    assert server.sql("SELECT facilitator_id FROM runs WHERE facilitator_id IN ('rasa:alice', 'rasa:mallory')") == [
        ("rasa:alice",),
        ("rasa:mallory",),
    ]
    assert alice["events"][0]["value"] != mallory["events"][0]["value"]  # each their own run
    _, said = server.act("action_decision_answer", "alice", "Ship it", message_id="8")
    _, too = server.act("action_decision_answer", "mallory", "Hold it", message_id="8")
    assert server.sql("SELECT value FROM answers a JOIN runs r ON r.id = a.run_id WHERE r.facilitator_id IN"
                      " ('rasa:alice', 'rasa:mallory') ORDER BY a.id") == [('"Ship it"',), ('"Hold it"',)]  # fmt: skip
    assert said != too


def test_a_call_without_the_token_is_refused_before_its_body_is_read(tmp_path: Path) -> None:
    running = protected(tmp_path, CLI)
    try:
        for query in ("", "?token=wrong"):
            path = f"/webhook{query}"
            json_type = {"Content-Type": "application/json"}
            status, took = asyncio.run(answer_to_headers_alone("127.0.0.1", running.port, path, json_type))
            assert (status, took < 2) == (401, True), query
        assert not running.db.exists() or running.sql("SELECT count(*) FROM runs") == [(0,)]
        logged = running.log.read_text()
        assert logged.count("Rasa action call from 127.0.0.1 refused: 401 Missing or wrong token.") == 1
    finally:
        stop(running)


def test_a_path_or_method_the_action_server_has_not_is_no_500_nor_traceback(tmp_path: Path) -> None:
    """Routing fails before the token's check: rasa-sdk's catch-all answered 500 and logged an ERROR
    with Sanic's traceback for each, for anyone. Now 401 without the token, 404 or 405 with it."""
    running = protected(tmp_path, CLI)

    def status_of(method: str, path: str) -> tuple[int, dict[str, Any]]:
        data = b"{}" if method == "POST" else None
        req = urllib.request.Request(f"http://127.0.0.1:{running.port}{path}", data=data, method=method)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    try:
        for method, path in (("GET", "/nothere"), ("POST", "/admin"), ("GET", "/webhook"), ("POST", "/health")):
            status, body = status_of(method, path)
            assert status == 401 and body["error"].startswith("Missing or wrong token"), (method, path, body)
        assert status_of("GET", f"/nothere?token={TOKEN}")[0] == 404
        status, body = status_of("GET", f"/webhook?token={TOKEN}")
        assert status == 405 and body["error"] == (
            "No GET /webhook here: Rasa calls POST /webhook (GET /health for a probe)."
        ), body
    finally:
        stop(running)
    logged = running.log.read_text()
    assert "Traceback" not in logged and "Exception occurred" not in logged, logged
    assert logged.count("refused: 401 Missing or wrong token") == 1  # a line a minute
