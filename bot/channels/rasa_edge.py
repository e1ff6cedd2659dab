"""What the Rasa action server checks at its edge, before rasa-sdk reads a call: the token, and
the body (inflated within a limit when Rasa deflated it, then parsed as every inbound body is)."""

from __future__ import annotations

import hmac
import zlib
from typing import Any

from bot import inbound_json, texts


def token_matches(token: str, given: list[str] | None) -> bool:
    """Rasa sends endpoints.yml's ``token`` as the query parameter ``token``."""
    found = given or []
    return len(found) == 1 and hmac.compare_digest(found[0].encode(), token.encode())


class InflatedTooLarge(ValueError):
    """A deflated call that inflates past the size Sanic allows a plain body."""


def inflated(request: Any, limit: int) -> bytes:
    """The body as rasa-sdk reads it: inflated when Rasa deflated it (zlib.error when it is not),
    ``limit`` bytes at most (:class:`InflatedTooLarge`: a few hundred KB of zeros inflate to GBs,
    which rasa-sdk's own ``zlib.decompress`` would hold in memory whole)."""
    if request.headers.get("Content-Encoding") != "deflate":
        return bytes(request.body)
    inflater = zlib.decompressobj()
    body = inflater.decompress(request.body, limit + 1)
    if len(body) > limit:
        raise InflatedTooLarge(texts.rasa_inflated_too_large(limit))
    if not inflater.eof:
        raise zlib.error("incomplete or truncated stream")
    return body


def decoded(request: Any, body: bytes) -> Any:
    """``body`` (:func:`inflated`) parsed as every inbound body is (:mod:`bot.inbound_json`: a
    ValueError naming NaN, a number too large, a lone surrogate); a plain body's parse is handed
    to Sanic, so rasa-sdk reads the same value without parsing again."""
    call = inbound_json.loads(body)
    if request.headers.get("Content-Encoding") != "deflate":
        request.parsed_json = call
    return call
