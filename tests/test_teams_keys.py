"""The Bot Framework's signing keys: botbuilder fetched them with a blocking ``requests.get`` and
no timeout, so an endpoint that never answered stopped the start (and, once a day, the running
server) for good. Now the fetch runs off the event loop with a time limit: the start goes on with a
warning, a request that needs the keys gets 503 with nothing stored (an endpoint silent, slow, or
answering something that is not keys), the server answers everything else meanwhile, and a token
signed with a newly rotated key fetches the keys again."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from botframework.connector.auth import JwtTokenExtractor

from bot.channels import REGISTRY, teams_keys
from tests.fakes.bot_connector import OpenIdServer
from tests.fakes.loopback import QuietJsonHandler
from tests.teams_support import ALICE, Harness, LocalKeysTeams, personal
from tests.test_teams_auth import APP_ID, ENV, nothing_stored


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


async def test_a_token_signed_with_a_rotated_key_is_accepted_once_the_keys_are_an_hour_old(
    tmp_path: Path,
    openid: OpenIdServer,
) -> None:
    """docs/teams.md: the keys are fetched 'again once a day and for a key they do not know yet'
    (botbuilder: once an hour at most). Microsoft rotates its signing key: the new kid appears in
    the JWKS and tokens are signed with it."""
    async with Harness(tmp_path, ENV) as h:
        metadata = JwtTokenExtractor.get_open_id_metadata(openid.metadata_url)
        metadata.last_updated = datetime.now() - timedelta(hours=2)  # fetched 2 h ago: past the hour
        rotated = OpenIdServer(kid="k2")  # the new key (its own HTTP server unused)
        rotated.httpd.server_close()
        openid.jwks = {"keys": [*openid.jwks["keys"], *rotated.jwks["keys"]]}
        body = personal(h.url, ALICE, "start post_meeting Weekly sync")
        resp = await h.post(body, {"Authorization": f"Bearer {rotated.token(APP_ID, h.url)}"})
        assert resp.status == 201, (resp.status, await resp.text())


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """An OpenID metadata URL served on 127.0.0.1 by ``handler``, from a thread."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/openid"
    finally:
        httpd.shutdown()
        httpd.server_close()


@contextmanager
def trickling(seconds: float) -> Iterator[str]:
    """An OpenID metadata URL that answers at once, then sends its body a byte every 0.3 s for
    ``seconds`` (a slow endpoint: never ``KEYS_TIMEOUT`` between two bytes)."""

    class Handler(QuietJsonHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            ends = time.monotonic() + seconds
            try:
                while time.monotonic() < ends:
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.3)
                self.wfile.write(b"{}")
            except OSError:
                pass

    with serving(Handler) as url:
        yield url


@pytest.mark.usefixtures("login")
async def test_a_slow_keys_endpoint_does_not_hold_the_start_past_the_time_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An endpoint that answers a byte at a time is never silent for KEYS_TIMEOUT: the wait is cut
    at twice that all the same."""
    monkeypatch.setattr(teams_keys, "KEYS_TIMEOUT", 1.0)
    monkeypatch.setitem(REGISTRY, "teams", LocalKeysTeams)
    with trickling(8.0) as url:
        LocalKeysTeams.openid_url = url
        began = time.monotonic()
        async with Harness(tmp_path, ENV):
            took = time.monotonic() - began
            assert took < 5, f"the start waited {took:.1f} s for the keys (KEYS_TIMEOUT 1 s)"


@contextmanager
def metadata_without_jwks_uri() -> Iterator[str]:
    """An OpenID metadata URL answering 200 with JSON that names no ``jwks_uri``."""

    class Handler(QuietJsonHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_json(200, {"error": "temporarily unavailable"})

    with serving(Handler) as url:
        yield url


@pytest.mark.usefixtures("login")
async def test_keys_that_cannot_be_had_answer_503_not_401(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An answer that is not OpenID metadata: the keys cannot be had, 503 (Teams does not send a
    message again after a 401)."""
    monkeypatch.setitem(REGISTRY, "teams", LocalKeysTeams)
    with metadata_without_jwks_uri() as url, OpenIdServer() as signer:
        LocalKeysTeams.openid_url = url
        async with Harness(tmp_path, ENV) as h:
            body = personal(h.url, ALICE, "list")
            resp = await h.post(body, {"Authorization": f"Bearer {signer.token(APP_ID, h.url)}"})
            assert resp.status == 503, (resp.status, await resp.text())
