"""A trigger naming someone by no person's id (a line break, ESC, chat markup's < > |) is refused
at the edge, naming the field; every id a platform gives is taken."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.triggers.checks_file import read
from bot.triggers.router import load_routes
from tests.triggers.test_cli_triggers import cli
from tests.triggers.test_hooks import counts, post, sample, serve

BAD = ["U0A\nU0B", "U0A\x1b[31m", "<@U0A|boss>", "U0A|x", "U0A\u2028", "a&b"]
GOOD = ["U0123ABC", "W0123", "slack:U0A", "29:1GcS4EyB_oSI8A-88XmWBN7", "teams:29:1abc",
        "8a3c2f7e-1b2d-4c5e-9f00-0123456789ab", "alice@example.com", "rasa:4f3c9a", "alice", "@alice"]  # fmt: skip


@pytest.mark.parametrize("given", BAD)
@pytest.mark.parametrize("field", ["facilitator", "participants", "owners", "backup"])
async def test_a_generic_event_naming_no_persons_id_is_a_400_naming_the_field(
    tmp_path: Path, flows: Path, field, given
):
    client = await serve(tmp_path, flows)
    try:
        value = ["U0OK", given] if field == "participants" else given
        status, body = await post(client, "events", {"title": "Model drift", field: value})
        assert status == 400 and body["error"].startswith(f"'{field}' names ")
        assert "not a person's id" in body["error"] and "U0123" in body["error"]
        assert "\n" not in body["error"] and "\x1b" not in body["error"]
        assert counts(client) == {"events": 0, "runs": 0, "messages": 0, "jobs": 0}
    finally:
        await client.close()


async def test_every_id_a_platform_gives_is_taken(tmp_path: Path, flows: Path):
    client = await serve(tmp_path, flows)
    try:
        for i, given in enumerate(GOOD):
            status, body = await post(client, "events", {"title": "Drift", "dedup_key": str(i), "facilitator": given})
            assert (status, body["started"]) == (200, [i + 1]), given
        status, _ = await post(client, "events", {"title": "Drift", "participants": ", ".join(GOOD)})
        assert status == 200
    finally:
        await client.close()


@pytest.mark.parametrize(("hook", "where"), [("alertmanager", "labels"), ("grafana", "annotations")])
async def test_an_alerts_decision_label_naming_no_persons_id_is_a_400(tmp_path: Path, flows: Path, hook, where):
    client = await serve(tmp_path, flows)
    try:
        body = sample("alertmanager_firing.json" if hook == "alertmanager" else "grafana_firing.json")
        body["alerts"][0][where] = {**body["alerts"][0].get(where, {}), "decision_facilitator": "U0A\r\nU0B"}
        status, answer = await post(client, hook, body)
        assert status == 400 and answer["error"].startswith(f"'alerts[0].{where}.decision_facilitator' names 'U0A")
        assert counts(client) == {"events": 0, "runs": 0, "messages": 0, "jobs": 0}
    finally:
        await client.close()


def test_the_trigger_command_refuses_no_persons_id_and_writes_nothing(tmp_path: Path, flows: Path):
    result = cli(tmp_path, flows, "trigger", "metric_breach", "-c", "console", "-f", "U0A", "-p", "U0B,U0C\x1b[2J")
    assert result.exit_code == 1
    assert "'--participants' names 'U0C\\x1b[2J', which is not a person's id" in result.output
    assert not (tmp_path / "cli.db").exists()
    good = cli(tmp_path, flows, "trigger", "metric_breach", "-c", "console", "-f", "alice@example.com", "-p", "U0B")
    assert good.exit_code == 0, good.output


@pytest.mark.parametrize("key", ["facilitator", "participants", "owners", "backup"])
def test_a_route_or_a_check_naming_no_persons_id_is_refused_at_load(tmp_path: Path, key):
    (tmp_path / "routes.yaml").write_text(f"routes:\n  - name: pay\n    {key}: 'U0A|boss'\n")
    with pytest.raises(ConfigError, match=rf"route 'pay'.*{key} names 'U0A\|boss', which is not a person's id"):
        load_routes(tmp_path / "routes.yaml")
    (tmp_path / "checks.yaml").write_text(
        "checks:\n  - name: conv\n    sql: SELECT 1\n    threshold: 1\n    direction: above\n"
        f'    schedule: 5m\n    database: x.db\n    {key}: "U0A\\e[31m"\n'
    )
    _, problems = read(tmp_path / "checks.yaml")
    assert [p for p in problems if f"{key} names 'U0A\\x1b[31m', which is not a person's id" in str(p)], problems


#: The longest id a platform gives: an e-mail address (254 characters, RFC 5321), with a channel
#: before it (``console:``). Slack's user ids are about 11 characters, Teams' 29:... some 90.
LONGEST = "teams:" + "a" * 64 + "@" + ("b" * 62 + ".") * 3 + "example.org"
HUGE = "U" * 1_000_000


@pytest.mark.parametrize("field", ["facilitator", "participants", "owners", "backup"])
async def test_an_id_longer_than_any_platform_gives_is_a_400_naming_the_field(tmp_path: Path, flows: Path, field):
    client = await serve(tmp_path, flows)
    try:
        value = ["U0OK", HUGE] if field == "participants" else HUGE
        status, body = await post(client, "events", {"title": "Model drift", field: value})
        assert status == 400, body
        assert body["error"].startswith(f"'{field}' names an id of 1000000 characters, which is not a person's id:")
        assert "300 characters at most" in body["error"] and len(body["error"]) < 600
        assert counts(client) == {"events": 0, "runs": 0, "messages": 0, "jobs": 0}
        assert len(LONGEST) <= 300
        status, body = await post(client, "events", {"title": "Model drift", field: LONGEST})
        assert status == 200, body
    finally:
        await client.close()


async def test_an_alerts_decision_label_with_a_huge_id_is_a_400(tmp_path: Path, flows: Path):
    client = await serve(tmp_path, flows)
    try:
        body = sample("alertmanager_firing.json")
        body["alerts"][0]["labels"] = {**body["alerts"][0]["labels"], "decision_owners": f"U0A,{HUGE}"}
        status, answer = await post(client, "alertmanager", body)
        assert status == 400 and answer["error"].startswith(
            "'alerts[0].labels.decision_owners' names an id of 1000000 characters"
        )
        assert counts(client) == {"events": 0, "runs": 0, "messages": 0, "jobs": 0}
    finally:
        await client.close()


def test_the_trigger_command_refuses_a_huge_id_and_writes_nothing(tmp_path: Path, flows: Path):
    result = cli(tmp_path, flows, "trigger", "metric_breach", "-c", "console", "-f", "x" * 5000)
    assert result.exit_code == 1
    assert "'--facilitator' names an id of 5000 characters, which is not a person's id" in result.output
    assert len(result.output) < 600
    assert not (tmp_path / "cli.db").exists()


def test_a_route_or_a_check_naming_a_huge_id_is_refused_at_load(tmp_path: Path):
    (tmp_path / "routes.yaml").write_text(f"routes:\n  - name: pay\n    owners: 'U0A,{'x' * 400}'\n")
    with pytest.raises(ConfigError, match=r"route 'pay'.*owners names an id of 400 characters, which is not a pers"):
        load_routes(tmp_path / "routes.yaml")
    (tmp_path / "checks.yaml").write_text(
        "checks:\n  - name: conv\n    sql: SELECT 1\n    threshold: 1\n    direction: above\n"
        f"    schedule: 5m\n    database: x.db\n    facilitator: {'x' * 400}\n"
    )
    _, problems = read(tmp_path / "checks.yaml")
    assert [p for p in problems if "facilitator names an id of 400 characters" in str(p)], problems


@pytest.mark.parametrize(("option", "given"), [("-f", "x" * 5000), ("-p", "bob,U0A\x1b[2J")])
def test_the_chat_command_refuses_no_persons_id_and_writes_nothing(tmp_path: Path, flows: Path, option, given):
    result = cli(tmp_path, flows, "chat", "post_meeting", option, given)
    assert result.exit_code == 1
    assert "which is not a person's id" in result.output and len(result.output) < 600
    assert not (tmp_path / "cli.db").exists()
