"""A hook request whose handling fails after its triggers were admitted (their runs and first
prompts released into the pass's group commit) keeps none of them: it is answered 500, which
Alertmanager sends again (it retries 5xx), and the retry starts the run, once."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.triggers import hooks
from tests.faults import fail_once
from tests.triggers.test_hooks import AUTH, post, rows, sample, serve


async def test_an_alert_whose_request_fails_after_admission_starts_its_run_on_the_retry(
    tmp_path: Path, flows: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = await serve(tmp_path, flows)
    try:
        firing = sample("alertmanager_firing.json")
        fail_once(monkeypatch, hooks, "summary")  # after dispatcher.admit released its savepoint
        resp = await client.post("/hooks/alertmanager", json=firing, headers=AUTH)
        assert resp.status == 500
        assert rows(client, "SELECT count(*) FROM events") == [(0,)]
        assert rows(client, "SELECT count(*) FROM runs") == [(0,)]
        assert rows(client, "SELECT count(*) FROM messages") == [(0,)]
        status, body = await post(client, "alertmanager", firing)  # Alertmanager's retry
        assert (status, body["started"], body["repeats"]) == (200, [1], 0)
        assert rows(client, "SELECT count(*), sum(repeat_count) FROM events") == [(1, 0)]
        assert rows(client, "SELECT count(*) FROM messages WHERE kind = 'prompt'") == [(1,)]
    finally:
        await client.close()
