"""Inbound JSON as the bot takes it, from every platform and hook: standard JSON only (no NaN or
Infinity, nor a number too large for a float, which Python reads as infinity: SQLite's JSON
functions refuse them later), text that can be stored (no lone surrogate from a ``\\ud800``
escape), nesting Python's parser can follow. Each problem is a ValueError whose message names
it (``bot.texts``), for the caller's 400."""

from __future__ import annotations

import asyncio
import json
import math
import re
from collections.abc import Awaitable
from typing import Any, TypeVar

from aiohttp import web

from bot import texts

#: Once the bytes are strict UTF-8, only a JSON escape of a surrogate (\ud800-\udfff) can put a lone one in the text read.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
#: A surrogate's own UTF-8 bytes (ED A0 80 - ED BF BF), which strict UTF-8 refuses.
_RAW_SURROGATE = re.compile(rb"\xed[\xa0-\xbf][\x80-\xbf]")


#: Seconds a client has to send a request's whole body once its headers came (Slack, Teams, the
#: hooks): a body trickled byte by byte would hold a connection, and the hooks' room, for good.
BODY_WITHIN = 10.0

T = TypeVar("T")


class BodyUnread(Exception):
    """The body could not be read whole: the caller answers ``status`` with the message."""

    status = 400


class BodyTooSlow(BodyUnread):
    """The body did not arrive within BODY_WITHIN: 408."""

    status = 408


class BodyCut(BodyUnread):
    """The client closed the connection before its body's end (a crashed sender, anyone): 400, no
    traceback (it is no fault of the server's, and anyone can send one)."""


async def body_within(read: Awaitable[T]) -> T:
    try:
        async with asyncio.timeout(BODY_WITHIN):  # no task of its own (wait_for makes one on 3.11)
            return await read
    except TimeoutError as exc:
        raise BodyTooSlow(texts.body_too_slow(BODY_WITHIN)) from exc
    except ConnectionResetError as exc:  # aiohttp's "Connection lost" mid-body
        raise BodyCut(texts.body_cut()) from exc


async def read_body(request: web.BaseRequest) -> bytes:
    """``request``'s body within BODY_WITHIN (:func:`body_within`). One received whole already (an
    event's few kilobytes come in the packets of its headers) is read at once, no timer set (a
    timer and its cancelling: ~33,000 instructions, most of a request's reading)."""
    if request.content.is_eof():
        return await request.read()
    return await body_within(request.read())


def _refuse_constant(name: str) -> Any:
    raise ValueError(texts.json_not_a_number(name))


def _finite(text: str) -> float:
    """A JSON number with a fraction or an exponent; ``1e400`` overflows to infinity: refused."""
    value = float(text)
    if math.isinf(value):
        raise ValueError(texts.json_number_too_large(text))
    return value


#: The parser of :func:`loads`, made once (``json.loads`` given hooks makes one a call).
_PARSER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite)


def loads(body: bytes) -> Any:
    """``body`` parsed; ValueError naming what is wrong with it. The bytes are decoded strictly
    first: ``json.loads`` given bytes decodes UTF-8 with ``surrogatepass``, which lets the raw bytes
    of a lone surrogate (ED A0 80) through."""
    try:
        text = body.decode(json.detect_encoding(body))
    except UnicodeDecodeError as exc:
        surrogate = _RAW_SURROGATE.match(body, exc.start) is not None
        raise ValueError(texts.json_lone_surrogate() if surrogate else texts.json_not_text(str(exc))) from None
    try:
        value = _PARSER.decode(text)
    except RecursionError:
        raise ValueError(texts.json_nested_too_deeply()) from None
    if _SURROGATE_ESCAPE.search(body):  # rare (emoji escaped as pairs): checked only then
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(texts.json_lone_surrogate()) from None
    return value
