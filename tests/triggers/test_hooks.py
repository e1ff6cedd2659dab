"""The trigger hooks through the real server: good bodies start or join runs; bad ones get the
right status and store nothing."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.errors import ConfigError
from bot.server import SERVICES, create_app
from bot.triggers.hooks import HOOKS
from tests.clock import Clock
from tests.triggers.conftest import NOW, ROOT

SAMPLES = ROOT / "data" / "samples"
TOKEN = "s3cret-hook-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ENV = {"DECISIONBOT_HOOK_TOKEN": TOKEN, "DECISIONBOT_DEFAULT_CHANNEL": "console:alerts"}


def sample(name: str) -> dict:
    return json.loads((SAMPLES / name).read_text())


async def serve(tmp_path: Path, flows: Path, env: dict[str, str] = ENV, clock=None) -> TestClient:
    app = create_app(tmp_path / "h.db", flows, env=env, **({"clock": clock} if clock else {}))
    client = TestClient(TestServer(app))
    await client.start_server()
    return client


@pytest.fixture
async def client(tmp_path: Path, flows: Path):
    c = await serve(tmp_path, flows)
    yield c
    await c.close()


def counts(client: TestClient) -> dict[str, int]:
    db = client.server.app[SERVICES].db
    return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("events", "runs", "messages", "jobs")}


def rows(client: TestClient, sql: str, *params) -> list[tuple]:
    return client.server.app[SERVICES].db.execute(sql, params).fetchall()


async def post(client: TestClient, hook: str, body, headers=AUTH):
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    resp = await client.post(f"/hooks/{hook}", data=data, headers={**headers, "Content-Type": "application/json"})
    return resp.status, await resp.json()


async def test_an_alert_starts_one_run_repeats_join_it_and_resolution_posts_an_update(client) -> None:
    firing = sample("alertmanager_firing.json")
    for alert in firing["alerts"]:
        alert["labels"]["team"] = "web"  # not the shipped routes' team: the default route applies
    status, body = await post(client, "alertmanager", firing)
    assert (status, body) == (
        200,
        {"received": 1, "started": [1], "repeats": 0, "resolved": 0, "stale": 0, "unrouted": [], "unseen": 0},
    )
    assert rows(client, "SELECT flow_id, conversation, facilitator_id, status FROM runs") == [
        ("metric_breach", "console:alerts", "console:facilitator", "active")
    ]
    assert rows(client, "SELECT run_id, kind, text FROM messages") == [
        (1, "prompt",
         "Checkout error rate above 5%: CheckoutErrorRate is 7.3% (threshold 5%).\n"
         "5xx ratio on /checkout has been above 5% for 10 minutes.\n"
         "Details: https://runbooks.example/checkout-errors\nWho takes this one?"),
    ]  # fmt: skip
    firing["alerts"][0]["annotations"]["value"] = "8.1%"
    assert (await post(client, "alertmanager", firing))[1]["repeats"] == 1
    assert counts(client)["runs"] == 1
    assert rows(
        client, "SELECT source, dedup_key, status, repeat_count, json_extract(payload, '$.value') FROM events"
    ) == [("alertmanager", "alertmanager:1a30ba71cca2921f", "firing", 1, "8.1%")]
    resolved = sample("alertmanager_resolved.json")
    resolved["alerts"][0]["labels"]["team"] = "web"
    assert (await post(client, "alertmanager", resolved))[1]["resolved"] == 1
    assert rows(client, "SELECT run_id, conversation, kind, text FROM messages WHERE id > 1") == [
        (1, "console:alerts", "info", "Resolved: Checkout error rate above 5%.")
    ]  # a resolved alert's annotations are those of its last firing evaluation: no "is now"
    assert rows(client, "SELECT status, resolved_at IS NOT NULL, repeat_count FROM events") == [("resolved", 1, 1)]
    # the same resolution again (a retry) posts nothing more
    await post(client, "alertmanager", resolved)
    assert counts(client)["messages"] == 2


async def test_decision_labels_pick_flow_channel_and_people_without_routes(client) -> None:
    firing = sample("alertmanager_firing.json")
    firing["alerts"][0]["labels"].update(
        {"team": "web", "decision_flow": "post_meeting", "decision_channel": "console:ops"}
    )
    firing["alerts"][0]["annotations"].update({"decision_facilitator": "alice", "decision_owners": "bob,carol"})
    assert (await post(client, "alertmanager", firing))[1]["started"] == [1]
    assert rows(client, "SELECT flow_id, conversation, facilitator_id FROM runs") == [
        ("post_meeting", "console:ops", "console:alice")
    ]
    roles = json.loads(rows(client, "SELECT context FROM runs")[0][0])["roles"]
    assert roles["participants"] == [{"id": "console:bob", "name": "bob"}, {"id": "console:carol", "name": "carol"}]
    assert rows(client, "SELECT actor_name, text FROM messages") == [
        ("alice", "What was decided in Checkout error rate above 5%?")
    ]


async def test_grafana_and_generic_hooks_start_runs(client) -> None:
    grafana = sample("grafana_firing.json")
    grafana["alerts"][0]["labels"]["team"] = "shop"
    status, body = await post(client, "grafana", grafana)
    assert (status, body["started"]) == (200, [1])
    assert rows(
        client, "SELECT dedup_key, json_extract(payload, '$.value'), json_extract(payload, '$.panelURL') FROM events"
    ) == [("grafana:57c6d9296de2ad39", "1.9", "https://grafana.example/d/shop-kpis?viewPanel=4")]
    event = sample("event.json")
    event.pop("kind")  # not the shipped model-drift route
    status, body = await post(client, "events", event)
    assert (status, body["started"]) == (200, [2])
    assert rows(client, "SELECT conversation, facilitator_id FROM runs WHERE id = 2") == [
        ("console:triggers", "console:alice")
    ]
    assert (await post(client, "events", event))[1]["repeats"] == 1


async def test_a_trigger_with_nowhere_to_go_is_recorded_without_a_run(tmp_path: Path, flows: Path) -> None:
    client = await serve(tmp_path, flows, env={"DECISIONBOT_HOOK_TOKEN": TOKEN})
    try:
        status, body = await post(client, "events", {"title": "Nightly load failed", "dedup_key": "load"})
        assert status == 200 and body["unrouted"] == [
            {"title": "Nightly load failed",
             "problem": "no channel to post in: no route matched and DECISIONBOT_DEFAULT_CHANNEL is not set"}
        ]  # fmt: skip
        await post(client, "events", {"title": "Nightly load failed", "dedup_key": "load"})
        assert rows(client, "SELECT title, repeat_count, problem IS NOT NULL FROM events") == [
            ("Nightly load failed", 1, 1)
        ]
        assert counts(client)["runs"] == 0
    finally:
        await client.close()


def bad_cases() -> list[tuple[str, str, object, dict, int, str]]:
    am, gr = sample("alertmanager_firing.json"), sample("grafana_firing.json")
    am_v3, gr_v4 = {**am, "version": "3"}, {**gr, "version": "4"}
    am_missing = {k: v for k, v in am.items() if k != "alerts"}
    gr_missing = copy.deepcopy(gr)
    del gr_missing["alerts"][0]["labels"]
    out = []
    for hook, good in (("alertmanager", am), ("grafana", gr), ("events", sample("event.json"))):
        out += [
            (hook, "malformed", b'{"alerts": [', AUTH, 400, "The body is not JSON"),
            (hook, "wrong token", good, {"Authorization": "Bearer nope"}, 401, "Missing or wrong bearer token"),
            (hook, "no token", good, {}, 401, "Missing or wrong bearer token"),
            (hook, "huge", b'{"title": "' + b"x" * (9 * 1024 * 1024) + b'"}', AUTH, 413, "larger than 8388608 bytes"),
        ]
    out += [
        ("alertmanager", "wrong version", am_v3, AUTH, 400, "Alertmanager webhook version '3' is not supported"),
        ("grafana", "wrong version", gr_v4, AUTH, 400, "Grafana webhook version '4' is not supported"),
        ("events", "wrong version", {"title": "x", "version": "2"}, AUTH, 400, "'version' was unexpected"),
        ("alertmanager", "missing field", am_missing, AUTH, 400, "'alerts' is missing"),
        ("grafana", "missing field", gr_missing, AUTH, 400, "'alerts[0].labels' is missing"),
        ("events", "missing field", {"flow": "metric_breach"}, AUTH, 400, "'title' is a required property"),
        ("events", "wrong type", [{"title": "ok"}, {"title": "x", "value": []}], AUTH, 400, "'[1].value'"),
        (
            "events",
            "title too long",
            {"title": "x" * 20_000},
            AUTH,
            400,
            "'title': is 20000 characters long, 500 at most",
        ),
        ("alertmanager", "long version", {**am, "version": "4" * 20_000}, AUTH, 400, "version '444"),
        ("alertmanager", "long status", {**am, "status": "f" * 20_000}, AUTH, 400, "'status' is 'fff"),
        ("events", "long value echoed", {"title": "x", "labels": "y" * 20_000}, AUTH, 400, "'labels': 'yyy"),
        ("events", "long label name", {"title": "x", "labels": {"k" * 20_000: 1}}, AUTH, 400, "'labels.kkk"),
    ]
    return out


@pytest.mark.parametrize(("hook", "case", "body", "headers", "status", "says"), bad_cases(),
                         ids=[f"{c[0]}-{c[1]}" for c in bad_cases()])  # fmt: skip
async def test_bad_input_gets_the_right_status_and_stores_nothing(client, hook, case, body, headers, status, says):
    before = counts(client)
    got, answer = await post(client, hook, body, headers)
    assert got == status
    assert says in answer["error"]
    assert len(answer["error"]) < 300  # a long refused value is not repeated back whole
    assert counts(client) == before


async def raw_post(client: TestClient, header: bytes, body: bytes = b'{"title": "x"}') -> bytes:
    """POST /hooks/events with an Authorization header of exactly these bytes."""
    reader, writer = await asyncio.open_connection(client.server.host, client.server.port)
    writer.write(
        b"POST /hooks/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: %b\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n%b" % (header, len(body), body)
    )
    await writer.drain()
    answer = await reader.read()
    writer.close()
    return answer


@pytest.mark.parametrize(
    "header", [b"Bearer \xff\xfe", b"Bearer \xed\xa0\x80", b"Bearer s3cret-hook-tok\xe9n", b"Bearer \xc3"]
)
async def test_a_token_that_is_not_utf8_gets_401_and_stores_nothing(client, header) -> None:
    before = counts(client)
    answer = await raw_post(client, header)
    assert answer.startswith(b"HTTP/1.1 401 ") and b"Missing or wrong bearer token" in answer
    assert counts(client) == before
    assert (await raw_post(client, f"Bearer {TOKEN}".encode())).startswith(b"HTTP/1.1 200 ")


async def test_an_overloaded_bot_answers_503_and_stores_nothing(client) -> None:
    client.server.app[HOOKS].max_inflight = 0
    before = counts(client)
    resp = await client.post("/hooks/events", json={"title": "x"}, headers=AUTH)
    assert resp.status == 503 and resp.headers["Retry-After"] == "2"
    assert (await resp.json()) == {"error": "The bot is busy; try again shortly."}
    assert counts(client) == before


async def test_without_a_token_the_hooks_are_not_mounted(tmp_path: Path, flows: Path, caplog) -> None:
    caplog.set_level(logging.WARNING)
    client = await serve(tmp_path, flows, env={})
    try:
        resp = await client.post("/hooks/events", json={"title": "x"})
        assert resp.status == 404
        assert "Trigger hooks are off: DECISIONBOT_HOOK_TOKEN is not set" in caplog.text
    finally:
        await client.close()


@pytest.mark.parametrize("hooks", ["on", "off"])
def test_a_broken_routes_file_refuses_the_start_with_the_hooks_on_or_off(tmp_path: Path, flows: Path, hooks) -> None:
    (flows / "routes.yaml").write_text("routes:\n  - name: a\n    chanel: console:ops\n")
    with pytest.raises(ConfigError, match="routes.yaml, route 'a': unknown key\\(s\\) chanel. Fix: use only"):
        create_app(tmp_path / "h.db", flows, env={"DECISIONBOT_HOOK_TOKEN": TOKEN} if hooks == "on" else {})


@pytest.mark.parametrize("hooks", ["on", "off"])
@pytest.mark.parametrize("channel", ["irc:#foo", "slack", "slak:C1"])
def test_a_bad_default_channel_refuses_the_start(tmp_path: Path, flows: Path, hooks, channel) -> None:
    env = {"DECISIONBOT_DEFAULT_CHANNEL": channel, **({"DECISIONBOT_HOOK_TOKEN": TOKEN} if hooks == "on" else {})}
    with pytest.raises(ConfigError) as err:
        create_app(tmp_path / "h.db", flows, env=env)
    assert str(err.value).startswith(f"DECISIONBOT_DEFAULT_CHANNEL: '{channel}' is not a channel to post in.")
    assert str(err.value).endswith("Fix: correct the variable, or unset it")


async def test_a_resolved_then_refired_trigger_waits_out_the_routes_cooldown(tmp_path: Path, flows: Path) -> None:
    (flows / "routes.yaml").write_text(
        "routes:\n  - name: ops\n    match: {source: generic}\n    channel: console:ops\n    cooldown: 10m\n"
    )
    clock = Clock(NOW)
    client = await serve(tmp_path, flows, clock=clock)
    try:
        fire = {"title": "Queue backlog", "dedup_key": "queue", "facilitator": "alice", "value": "900"}
        assert (await post(client, "events", fire))[1]["started"] == [1]
        from bot.model import Actor

        client.server.app[SERVICES].dispatcher.cancel(1, Actor("console:alice", "alice"))  # decided: closed
        clock.at(minutes=20)
        assert (await post(client, "events", {**fire, "status": "resolved", "value": "10"}))[1]["resolved"] == 1
        clock.at(minutes=25)  # 5 minutes after the resolution: the same incident flapping
        assert (await post(client, "events", fire))[1]["repeats"] == 1
        assert rows(client, "SELECT status, repeat_count, route FROM events") == [("firing", 1, "ops")]
        clock.at(minutes=40)
        assert (await post(client, "events", {**fire, "status": "resolved"}))[1]["resolved"] == 1
        clock.at(minutes=51)  # 11 minutes after: a new incident, a new run
        assert (await post(client, "events", fire))[1]["started"] == [2]
        assert counts(client)["events"] == 2
    finally:
        await client.close()


async def test_an_alert_still_firing_after_its_run_closed_starts_no_new_run_until_it_resolves(client) -> None:
    from bot.model import Actor

    fire = {"title": "Queue backlog", "dedup_key": "queue", "facilitator": "alice", "value": "900"}
    assert (await post(client, "events", fire))[1]["started"] == [1]
    client.server.app[SERVICES].dispatcher.cancel(1, Actor("console:alice", "alice"))  # decided: closed
    summary = {"received": 1, "started": [], "repeats": 1, "resolved": 0, "stale": 0, "unrouted": [], "unseen": 0}
    assert (await post(client, "events", fire))[1] == summary
    assert rows(client, "SELECT e.status, repeat_count, r.status FROM events e JOIN runs r ON r.event_id = e.id") == [
        ("firing", 1, "cancelled")
    ]


async def test_the_first_person_to_answer_an_alert_without_a_facilitator_takes_it(client) -> None:
    from bot.model import Actor, ConversationKey, Message

    await post(client, "events", {"title": "Disk almost full", "metric": "disk", "value": "93%"})
    dispatcher = client.server.app[SERVICES].dispatcher
    bob = Actor("console:bob", "bob")
    result = dispatcher.handle(Message(ConversationKey("console", "alerts"), bob, "me"))
    assert result is not None and [r.text for r in result.outcome.replies] == [
        "What do we do about it?\n1) Act now  2) Watch it  3) Ignore it"
    ]
    assert rows(client, "SELECT facilitator_id, waiting_on FROM runs") == [("console:bob", " console:bob ")]


@pytest.mark.parametrize("channel", ["slack:#general", "slack:general", "slack:ops-room"])
def test_a_slack_channel_named_by_name_is_refused_saying_to_use_its_id(tmp_path: Path, flows: Path, channel) -> None:
    """Slack names a channel by its ID in every event and click: a run posted by name would not
    find its own thread again."""
    with pytest.raises(ConfigError) as err:
        create_app(tmp_path / "h.db", flows, env={"DECISIONBOT_DEFAULT_CHANNEL": channel})
    assert str(err.value).startswith(f"DECISIONBOT_DEFAULT_CHANNEL: '{channel}' names a Slack channel by its name:")
    assert "use its ID, e.g. slack:C0123ABCD" in str(err.value)
    (flows / "routes.yaml").write_text(f"routes:\n  - name: ops\n    channel: '{channel}'\n")
    with pytest.raises(ConfigError, match="route 'ops'.*names a Slack channel by its name"):
        create_app(tmp_path / "h.db", flows, env={})
    (flows / "routes.yaml").write_text("routes:\n  - name: ops\n    channel: slack:C0123ABCD/1800000000.000100\n")
    create_app(tmp_path / "h.db", flows, env={"DECISIONBOT_DEFAULT_CHANNEL": "slack:G0PRIVATE"})  # IDs start


@pytest.mark.parametrize("read", ["{}\n", " {}\r\n", "\t{} "])
async def test_a_hook_token_read_with_its_files_newline_is_taken_without_it(tmp_path: Path, flows: Path, read) -> None:
    """A token from a file or a Kubernetes secret often ends in a newline, which no header can
    carry: every sender got 401, for ever, while the server logged "Trigger hooks on". Now the
    token's surrounding whitespace is stripped at start (review-trigger-shapes)."""
    client = await serve(tmp_path, flows, env={**ENV, "DECISIONBOT_HOOK_TOKEN": read.format(TOKEN)})
    try:
        assert (await post(client, "events", {"title": "x"}))[0] == 200
    finally:
        await client.close()


async def test_a_hook_token_of_whitespace_alone_keeps_the_hooks_off(tmp_path: Path, flows: Path, caplog) -> None:
    caplog.set_level(logging.WARNING)
    client = await serve(tmp_path, flows, env={**ENV, "DECISIONBOT_HOOK_TOKEN": " \n"})
    try:
        assert (
            await client.post("/hooks/events", json={"title": "x"}, headers={"Authorization": "Bearer "})
        ).status == 404
        assert "Trigger hooks are off: DECISIONBOT_HOOK_TOKEN is not set or blank" in caplog.text
    finally:
        await client.close()


async def test_an_unrouted_storm_is_one_log_line_per_reason(tmp_path: Path, flows: Path, caplog) -> None:
    """Each unrouted trigger of a body logged its own warning: 1,000 lines for one notification."""
    caplog.set_level(logging.WARNING, logger="decisionbot.hooks")
    client = await serve(tmp_path, flows, env={"DECISIONBOT_HOOK_TOKEN": TOKEN})
    try:
        body = [{"title": f"Load {n} failed", "dedup_key": f"load-{n}"} for n in range(30)]
        status, answer = await post(client, "events", body)
        assert status == 200 and len(answer["unrouted"]) == 30
        lines = [r.getMessage() for r in caplog.records if "started no run" in r.getMessage()]
        assert len(lines) == 1, lines
        assert lines[0].startswith("Trigger 'Load 0 failed' (generic, event 1) (and 29 more of this notification")
    finally:
        await client.close()


async def test_a_resolution_without_a_value_names_none(client) -> None:
    """Sent as docs/triggers.md shows (the dedup key, status resolved), a resolution told the run
    "(queue depth is now 900)": the firing value, still over the threshold, which nobody sent now."""
    fire = {"title": "Queue backlog", "dedup_key": "queue", "facilitator": "alice", "metric": "queue depth",
            "value": "900", "threshold": "500"}  # fmt: skip
    assert (await post(client, "events", fire))[1]["started"] == [1]
    assert (await post(client, "events", {"title": "Queue backlog", "dedup_key": "queue", "status": "resolved"}))[1][
        "resolved"
    ] == 1
    told = rows(client, "SELECT text FROM messages WHERE text LIKE 'Resolved:%'")
    assert told == [("Resolved: Queue backlog.",)], told
