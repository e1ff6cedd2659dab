"""Socket Mode fuzzed: envelopes over the fake's real websocket whose payloads are the shapes
of tests/test_fuzz_slack_http.py mutated (and envelope types and payloads of the wrong kind),
then raw frames that are no envelope at all. Every envelope is acknowledged (a malformed one
too: Slack would only send it again), never with a traceback in the log; one refused (malformed,
or of another team or app) writes nothing; and the bot still takes a good envelope afterwards."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.channels import slack_events as events
from tests.fakes.slack_api import APP, TEAM, FakeSlack
from tests.fuzz_support import HOSTILE, fuzz, mutated, table_counts, unhandled
from tests.slack_support import SOCKET, Harness, event_body, harness, message, started_over_socket, wait_for
from tests.test_fuzz_slack_http import FORM_SHAPES, JSON_SHAPES, SLASH

KINDS = {"events_api": JSON_SHAPES, "interactive": FORM_SHAPES, "slash_commands": {"slash": SLASH}}


@st.composite
def envelopes(draw: st.DrawFn) -> tuple[str, Any]:
    """(an envelope type, its payload): a shape of its type mutated, or of another type, or any value."""
    kind = draw(st.sampled_from([*KINDS, "hello_world"]))
    how = draw(st.sampled_from(["mutated", "mutated", "mutated", "other kind", "any value"]))
    if how == "any value":
        return kind, draw(HOSTILE)
    shapes = KINDS.get(kind, JSON_SHAPES) if how == "mutated" else draw(st.sampled_from(list(KINDS.values())))
    return kind, draw(mutated(draw(st.sampled_from(list(shapes.values())))))


def refused(kind: str, payload: Any) -> bool:
    """Whether the bot must write nothing of it: malformed, or of another installation."""
    try:
        envelope = events.from_socket(kind, payload)
    except events.Malformed:
        return True
    return envelope.kind not in ("url_verification", "ssl_check") and (envelope.team_id, envelope.app_id) != (
        TEAM,
        APP,
    )


class SocketProbe:
    def __init__(self, slack: Harness, caplog: pytest.LogCaptureFixture, thread: str):
        self.slack, self.caplog, self.thread, self.sent = slack, caplog, thread, 0

    async def send(self, kind: str, payload: Any) -> None:
        self.sent += 1
        envelope_id = f"fuzz-{self.sent}"
        self.caplog.clear()
        before = table_counts(self.slack.services.db.conn)
        await self.slack.fake.send_envelope({"envelope_id": envelope_id, "type": kind, "payload": payload})
        await wait_for(lambda: any(a.get("envelope_id") == envelope_id for a in self.slack.fake.acks))
        if refused(kind, payload):
            assert table_counts(self.slack.services.db.conn) == before
        assert not unhandled(self.caplog.records), unhandled(self.caplog.records)

    async def still_answers(self) -> None:
        count = len(self.slack.fake.posted())
        event = json.loads(event_body(message("UA", "We ship in March", thread_ts=self.thread)))
        await self.send("events_api", event)
        await wait_for(lambda: len(self.slack.fake.posted()) > count)


@pytest.fixture
async def socket_probe(tmp_path: Path, fake: FakeSlack, caplog: pytest.LogCaptureFixture) -> AsyncIterator[SocketProbe]:
    caplog.set_level(logging.INFO)
    slack = await harness(tmp_path, fake, env=SOCKET)
    try:
        root = await started_over_socket(slack)
        yield SocketProbe(slack, caplog, root["ts"])
    finally:
        await slack.client.close()


@fuzz(150)
@given(envelope=envelopes())
async def test_mutated_envelopes_are_acknowledged_and_a_refused_one_writes_nothing(
    socket_probe: SocketProbe, envelope: tuple[str, Any]
) -> None:
    await socket_probe.send(*envelope)


FRAMES = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", "{", "[]", "null", '"x"', "{}", '{"type": 5}', '{"envelope_id": 5}', '{"type": "hello"}']),
    st.builds(json.dumps, st.dictionaries(st.sampled_from(["type", "envelope_id", "payload", "reason"]), HOSTILE)),
)


#: slack_sdk's own line for a frame that is not JSON (it goes on reading the next): Slack's
#: side of an authenticated connection never sends one; left to slack_sdk.
NOT_JSON = "Failed to process a message: "


@fuzz(60)
@given(frames=st.lists(FRAMES, min_size=1, max_size=4))
async def test_frames_that_are_no_envelope_leave_the_connection_taking_envelopes(
    socket_probe: SocketProbe, frames: list[str]
) -> None:
    """Frames slack_sdk cannot read as an envelope (not JSON, not an object, fields of the wrong
    type) are dropped, never with a traceback of the bot's; the good envelope after them is
    taken and acknowledged."""
    slack, caplog = socket_probe.slack, socket_probe.caplog
    caplog.clear()
    for frame in frames:
        await slack.fake.send_raw(frame)
    good = {"envelope_id": f"good-{len(slack.fake.acks)}", "type": "events_api"}
    await slack.fake.send_envelope({**good, "payload": json.loads(event_body(message("UA", "x", channel="C9")))})
    await wait_for(lambda: good["envelope_id"] in [a.get("envelope_id") for a in slack.fake.acks])
    assert [line for line in unhandled(caplog.records) if not line.startswith(NOT_JSON)] == []


async def test_the_bot_takes_a_good_envelope_after_bad_ones(socket_probe: SocketProbe) -> None:
    for kind, shapes in KINDS.items():
        for payload in shapes.values():
            await socket_probe.send(kind, {**payload, "team_id": "T999"} if kind == "slash_commands" else payload)
    await socket_probe.still_answers()


# --- what the fuzzing found, kept as explicit cases ----------------------------------------


@pytest.mark.parametrize("payload", [None, 5, True, [1], 1.5], ids=repr)
async def test_an_envelope_whose_payload_is_no_object_is_acknowledged_and_named(
    socket_probe: SocketProbe, payload: Any
) -> None:
    """slack_sdk cannot make a request of it (a ValueError, logged as an ERROR with its traceback,
    and the envelope never acknowledged: Slack would send it again and again)."""
    await socket_probe.send("events_api", payload)
    assert "Slack payload refused: envelope payload is not an object." in socket_probe.caplog.messages
