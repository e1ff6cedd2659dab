"""The Bot Framework's signing keys from an endpoint that takes the connection and never answers:
botbuilder fetched them with a blocking ``requests.get`` and no timeout, so the start (and, once a
day, the running server) stopped for good. Now the fetch runs off the event loop within
``KEYS_TIMEOUT``: the start goes on with a warning, a request that needs the keys gets 503 with
nothing stored, and the server answers everything else meanwhile."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from bot.channels import REGISTRY, teams_keys
from tests.fakes.bot_connector import OpenIdServer
from tests.teams_support import ALICE, Harness, personal
from tests.test_teams_auth import APP_ID, ENV, LocalKeysTeams, login, nothing_stored  # noqa: F401 - login: a fixture


@contextmanager
def silent() -> Iterator[str]:
    """An OpenID metadata URL whose server takes connections (the kernel's backlog) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/openid"


async def timed(coro: Any) -> tuple[Any, float]:
    began = time.monotonic()
    result = await coro
    return result, time.monotonic() - began


@pytest.mark.usefixtures("login")  # Microsoft's login faked: the start checks the bot's credentials
async def test_a_silent_keys_endpoint_neither_holds_the_start_nor_stops_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(teams_keys, "KEYS_TIMEOUT", 1.0)
    monkeypatch.setitem(REGISTRY, "teams", LocalKeysTeams)
    with silent() as url, OpenIdServer() as signer:
        LocalKeysTeams.openid_url = url
        began = time.monotonic()
        async with Harness(tmp_path, ENV) as h:
            assert time.monotonic() - began < 5  # the start waited the time limit, not for ever
            body = personal(h.url, ALICE, "list")
            token = {"Authorization": f"Bearer {signer.token(APP_ID, h.url)}"}
            posting = asyncio.ensure_future(timed(h.post(body, token)))
            await asyncio.sleep(0.2)
            assert h.client is not None
            health, health_took = await timed(h.client.get("/healthz"))
            assert health.status == 200 and health_took < 0.5, health_took  # the loop serves meanwhile
            resp, took = await posting
            assert resp.status == 503 and took < 4, took
            assert (await resp.json())["error"].startswith("Cannot check the token now")
            assert nothing_stored(h)
