"""The hooks take HTTP basic auth with the hook token as its password, as Grafana's webhook
contact point (its Username and Password fields) and Alertmanager's ``http_config.basic_auth``
send it. Before, only ``Bearer`` was taken: a contact point set up with basic auth got 401 on
every alert, which Alertmanager and Grafana drop without retrying, and no run ever started. A
wrong password, or a header that is not basic auth, is still 401 with nothing stored."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.server import SERVICES
from tests.triggers.test_alertmanager_e2e import alertmanager, inject, stamp, until
from tests.triggers.test_hooks import TOKEN, counts, post, sample, serve


@pytest.fixture
async def client(tmp_path: Path, flows: Path):
    c = await serve(tmp_path, flows)
    yield c
    await c.close()


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.mark.parametrize("user", ["grafana", "", "alertmanager"])
async def test_basic_auth_with_the_token_as_password_is_taken(client, user: str) -> None:
    status, body = await post(client, "grafana", sample("grafana_firing.json"), headers=basic(user, TOKEN))
    assert status == 200, body
    assert len(body["started"]) == 1
    assert counts(client)["runs"] == 1


@pytest.mark.parametrize(
    "header",
    [
        basic("grafana", "wrong"),
        basic(TOKEN, ""),  # the token as the user name is not its password
        basic("grafana", TOKEN + "x"),
        {"Authorization": "Basic not-base64!!"},
        {"Authorization": "Basic " + base64.b64encode(TOKEN.encode()).decode()},  # no colon
        {"Authorization": "Basic " + base64.b64encode(b"u:\xff\xfe").decode()},  # not UTF-8
        {"Authorization": f"Token {TOKEN}"},
    ],
)
async def test_wrong_basic_auth_gets_401_and_stores_nothing(client, header: dict[str, str]) -> None:
    status, body = await post(client, "alertmanager", sample("alertmanager_firing.json"), headers=header)
    assert status == 401
    assert "basic auth" in body["error"]
    assert counts(client) == {"events": 0, "runs": 0, "messages": 0, "jobs": 0}


async def test_real_alertmanager_with_basic_auth_starts_the_run(tmp_path: Path, flows: Path) -> None:
    """Debian's Alertmanager 0.25 with ``http_config.basic_auth`` instead of ``authorization``."""
    env = {"DECISIONBOT_HOOK_TOKEN": TOKEN, "DECISIONBOT_DEFAULT_CHANNEL": "console:alerts"}

    def config(port: int) -> str:
        return (
            "route: {receiver: decisionbot, group_by: [alertname], group_wait: 1s, group_interval: 1s,"
            " repeat_interval: 1h}\n"
            "receivers:\n  - name: decisionbot\n    webhook_configs:\n"
            f"      - url: http://127.0.0.1:{port}/hooks/alertmanager\n"
            f"        http_config: {{basic_auth: {{username: alertmanager, password: {TOKEN}}}}}\n"
        )

    async with alertmanager(tmp_path, flows, env, config=config) as (client, api):
        db = client.server.app[SERVICES].db
        await inject(api, [{"labels": {"alertname": "DiskFull"}, "annotations": {"summary": "Disk full"},
                            "startsAt": stamp(datetime.now(UTC))}])  # fmt: skip
        await until(lambda: db.execute("SELECT count(*) FROM runs").fetchone()[0] == 1, "the run")
        assert db.execute("SELECT title, source FROM events").fetchall() == [("Disk full", "alertmanager")]
