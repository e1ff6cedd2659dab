"""The Bot Framework's signing keys, fetched off the event loop, with a time limit.

botbuilder checks an activity's token against the keys of the Bot Framework's OpenID metadata,
which its ``_OpenIdMetadata`` fetches with a blocking ``requests.get`` and no timeout, inside the
coroutine that checks the token: on the first request, once a day after, and when a token names a
key it does not know (once an hour at most). A slow endpoint stopped the whole server for as long
as it took; one that took the connection and never answered stopped it for good.

:func:`off_the_loop` replaces that fetch (for every metadata URL botbuilder uses) with one that
runs in a worker thread, each request waiting ``KEYS_TIMEOUT`` seconds at most for an answer, and
shared by the requests that need the keys meanwhile. While the keys cannot be had, those requests
are answered 503 and nothing is stored (``requests.RequestException``, see ``TeamsChannel``); the
event loop serves everything else.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import requests
from botframework.connector.auth.jwt_token_extractor import _OpenIdMetadata

#: Seconds to connect to, and then between bytes of, each of the two answers (the metadata, the keys).
KEYS_TIMEOUT = 5.0


def off_the_loop() -> None:
    """Make every ``_OpenIdMetadata`` fetch its keys as :func:`refresh` does (once per process)."""
    if _OpenIdMetadata._refresh is not refresh:
        _OpenIdMetadata._refresh = refresh


async def refresh(metadata: Any) -> None:
    """Fetch the metadata's keys in a worker thread; requests arriving meanwhile wait for the same
    fetch. Raises ``requests.RequestException`` when they cannot be had (the old keys stay)."""
    pending: asyncio.Future[list[dict[str, Any]]] | None = getattr(metadata, "_decisionbot_fetch", None)
    if pending is None or pending.done():
        pending = asyncio.ensure_future(asyncio.to_thread(fetch, metadata.url, KEYS_TIMEOUT))
        metadata._decisionbot_fetch = pending
    keys = await asyncio.shield(pending)
    metadata.keys, metadata.last_updated = keys, datetime.now()


def fetch(url: str, timeout: float) -> list[dict[str, Any]]:
    """The OpenID metadata at ``url``, then the keys its ``jwks_uri`` names (blocking: a thread's)."""
    response = requests.get(url, timeout=timeout)
    response.raise_for_status()
    keys_url = response.json()["jwks_uri"]
    answer = requests.get(keys_url, timeout=timeout)
    answer.raise_for_status()
    return list(answer.json()["keys"])
