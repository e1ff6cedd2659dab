"""A sender's retry of ``POST /hooks/events`` (after a timeout it did not see answered) starts no
second run: an event without its own ``dedup_key`` is deduplicated by the request's
``Idempotency-Key`` header, so the retry only counts a repeat on the first event. Without either,
each request is a new trigger (as documented)."""

from __future__ import annotations

from pathlib import Path

from tests.clock import Clock
from tests.triggers.conftest import NOW
from tests.triggers.test_hooks import AUTH, counts, post, rows, serve

EVENT = {"title": "Nightly load failed", "summary": "orders table empty"}


def keyed(key: str) -> dict[str, str]:
    return {**AUTH, "Idempotency-Key": key}


async def test_a_retry_with_the_same_idempotency_key_joins_the_first_run(tmp_path: Path, flows: Path) -> None:
    clock = Clock(NOW)
    client = await serve(tmp_path, flows, clock=clock)
    try:
        assert (await post(client, "events", EVENT, keyed("load-2026-12-01")))[1]["started"] == [1]
        clock.at(minutes=1)  # the sender timed out and sends it again
        status, answer = await post(client, "events", EVENT, keyed("load-2026-12-01"))
        assert (status, answer["started"], answer["repeats"]) == (200, [], 1)
        clock.at(days=3)  # however late the retry
        assert (await post(client, "events", EVENT, keyed("load-2026-12-01")))[1]["repeats"] == 1
        assert rows(client, "SELECT e.id, r.id, e.repeat_count FROM events e JOIN runs r ON r.event_id = e.id") == [
            (1, 1, 2)
        ]
        assert (await post(client, "events", EVENT, keyed("load-2026-12-02")))[1]["started"] == [2]
        assert counts(client)["runs"] == 2
    finally:
        await client.close()


async def test_a_retried_list_joins_each_of_its_events(tmp_path: Path, flows: Path) -> None:
    client = await serve(tmp_path, flows)
    try:
        two = [EVENT, {**EVENT, "title": "Nightly export failed"}]
        assert (await post(client, "events", two, keyed("batch-7")))[1]["started"] == [1, 2]
        answer = (await post(client, "events", two, keyed("batch-7")))[1]
        assert (answer["started"], answer["repeats"]) == ([], 2)
        assert rows(client, "SELECT title, repeat_count FROM events ORDER BY id") == [
            ("Nightly load failed", 1),
            ("Nightly export failed", 1),
        ]
    finally:
        await client.close()


async def test_an_events_own_dedup_key_wins_over_the_idempotency_key(tmp_path: Path, flows: Path) -> None:
    client = await serve(tmp_path, flows)
    try:
        assert (await post(client, "events", {**EVENT, "dedup_key": "orders"}, keyed("a")))[1]["started"] == [1]
        assert (await post(client, "events", {**EVENT, "dedup_key": "orders"}, keyed("b")))[1]["repeats"] == 1
        assert rows(client, "SELECT dedup_key FROM events") == [("generic:orders",)]
    finally:
        await client.close()


async def test_without_either_key_each_request_is_a_new_trigger(tmp_path: Path, flows: Path) -> None:
    client = await serve(tmp_path, flows)
    try:
        assert (await post(client, "events", EVENT))[1]["started"] == [1]
        assert (await post(client, "events", EVENT))[1]["started"] == [2]
    finally:
        await client.close()


async def test_an_idempotency_key_past_its_limit_is_refused_naming_it(tmp_path: Path, flows: Path) -> None:
    client = await serve(tmp_path, flows)
    try:
        status, answer = await post(client, "events", EVENT, keyed("k" * 501))
        assert (status, answer) == (400, {"error": "'Idempotency-Key': is 501 characters long, 500 at most"})
        assert counts(client)["events"] == 0
    finally:
        await client.close()
