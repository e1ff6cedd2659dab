"""The Bot Framework's signing keys, fetched off the event loop, with a time limit.

botbuilder checks an activity's token against the keys of the Bot Framework's OpenID metadata,
which its ``_OpenIdMetadata`` fetches with a blocking ``requests.get`` and no timeout, inside the
coroutine that checks the token: on the first request, once a day after, and when a token names a
key it does not know (once an hour at most). A slow endpoint stopped the whole server for as long
as it took; one that took the connection and never answered stopped it for good.

:func:`off_the_loop` replaces that fetch (for every metadata URL botbuilder uses) with one that
runs in a worker thread, shared by the requests that need the keys meanwhile, each waiting
``2 * KEYS_TIMEOUT`` seconds at most; and botbuilder's key lookup with one that lets a token
signed with a key not known yet fetch the keys again (once an hour at most: a rotation). While the keys cannot be had, those requests
are answered 503 and nothing is stored (``requests.RequestException``, see ``TeamsChannel``); the
event loop serves everything else.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

import requests
from botframework.connector.auth import AuthenticationConstants, JwtTokenExtractor
from botframework.connector.auth.jwt_token_extractor import _OpenIdMetadata

from bot import texts

log = logging.getLogger("decisionbot.teams")

#: Seconds to connect to, and then between bytes of, each of the two answers (the metadata, the keys).
KEYS_TIMEOUT = 5.0


def off_the_loop() -> None:
    """Make every ``_OpenIdMetadata`` fetch its keys as :func:`refresh` does, and find a key as
    :func:`find` does (once per process)."""
    if _OpenIdMetadata._refresh is not refresh:
        _OpenIdMetadata._refresh = refresh
        _OpenIdMetadata._find = find
        _OpenIdMetadata.get = known


async def refresh(metadata: Any) -> None:
    """Fetch the metadata's keys in a worker thread; requests arriving meanwhile wait for the same
    fetch, each ``2 * KEYS_TIMEOUT`` at most (an endpoint that answers a byte at a time is never
    silent for ``KEYS_TIMEOUT``; the thread finishes on its own). Raises
    ``requests.RequestException`` when they cannot be had (the old keys stay)."""
    pending: asyncio.Future[list[dict[str, Any]]] | None = getattr(metadata, "_decisionbot_fetch", None)
    if pending is None or pending.done() or pending.get_loop() is not asyncio.get_running_loop():
        pending = asyncio.ensure_future(asyncio.to_thread(fetch, metadata.url, KEYS_TIMEOUT))
        metadata._decisionbot_fetch = pending
    try:
        keys = await asyncio.wait_for(asyncio.shield(pending), 2 * KEYS_TIMEOUT)
    except TimeoutError as exc:
        raise requests.Timeout(f"no keys from {metadata.url} within {2 * KEYS_TIMEOUT:g} s") from exc
    metadata.keys, metadata.last_updated = keys, datetime.now()


def find(metadata: Any, key_id: str) -> Any:
    """botbuilder's own lookup, but None for a key it does not know (botbuilder's raised
    IndexError, so a token signed with a newly rotated key was refused before its ``get``
    fetched the keys again, once an hour at most, as it means to)."""
    if not any(key.get("kid") == key_id for key in metadata.keys or ()):
        return None
    return _FIND(metadata, key_id)


_FIND = _OpenIdMetadata._find


async def known(metadata: Any, key_id: str) -> Any:
    """botbuilder's ``get``, but a key still unknown after it fetched the keys again (or may not yet)
    is a ``PermissionError`` saying so: botbuilder read the None it gave as a key, and the request
    was refused as ``AttributeError: 'NoneType' object has no attribute 'endorsements'``."""
    key = await _GET(metadata, key_id)
    if key is None:
        raise PermissionError(texts.teams_unknown_signing_key(key_id))
    return key


_GET = _OpenIdMetadata.get


def fetch(url: str, timeout: float) -> list[dict[str, Any]]:
    """The OpenID metadata at ``url``, then the keys its ``jwks_uri`` names (blocking: a thread's).
    An answer that names no keys is ``requests.RequestException`` too: they cannot be had."""
    try:
        response = requests.get(url, timeout=timeout)
        response.raise_for_status()
        keys_url = response.json()["jwks_uri"]
        answer = requests.get(keys_url, timeout=timeout)
        answer.raise_for_status()
        return list(answer.json()["keys"])
    except (KeyError, TypeError, ValueError) as exc:  # 200, but not OpenID metadata or a JWKS
        raise requests.RequestException(f"{url}: no signing keys in the answer ({type(exc).__name__}: {exc})") from exc


async def prefetch(config: Any) -> None:
    """Fetch the signing keys of ``config``'s OpenID metadata now, off the event loop and within a
    time limit, as every later fetch is: a failure is one warning, and the first request tries again."""
    off_the_loop()
    url = getattr(config, "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL", None)
    default = AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL
    metadata = JwtTokenExtractor.get_open_id_metadata(url or default)
    try:
        await refresh(metadata)
    except Exception as exc:  # the first request tries again (503 while the keys cannot be had)
        log.warning(texts.teams_keys_prefetch_failed(str(exc)))
