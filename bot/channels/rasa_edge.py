"""What the Rasa action server checks at its edge, before rasa-sdk reads a call: the token, and
the body (inflated within a limit when Rasa deflated it, then parsed as every inbound body is)."""

from __future__ import annotations

import hmac
import json
import logging
import zlib
from typing import Any

from bot import inbound_json, texts
from bot.channels import rasa_replies as rr
from bot.refusals import RefusalLog

ACTION_NAMES = (
    "action_decision_start",
    "action_decision_answer",
    "action_decision_status",
    "action_my_actions",
    "validate_decision_form",
)


#: The statuses of a call refused before any action ran (449, "send the domain", is Rasa's protocol;
#: rasa-sdk logs its own 404). Rasa's log says "check the logs of your action server": they say why.
REFUSED = (400, 401, 413)


def log_refusals(app: Any) -> None:
    """Log each refused call at most once a minute per status, naming who sent it and why (never
    the URL: the token is in its query string). Rasa only logs that the action failed."""
    refused = RefusalLog(logging.getLogger("decisionbot.rasa"))

    @app.on_response
    async def tell_refused(request: Any, answer: Any) -> None:
        if answer.status in REFUSED and not token_refused(request):  # that one is logged already
            refused.tell(answer.status, texts.rasa_call_refused, request.ip, answer.status, _error_of(answer.body))


def _error_of(body: bytes | None) -> str:
    """The ``error`` of a refusal's JSON body (what the caller was told)."""
    try:
        found = json.loads(body or b"").get("error")
    except (ValueError, AttributeError):
        found = None
    return str(found or "")


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


def call_refusal(call: Any) -> tuple[str | None, str] | None:
    """The action name and the problem of an action call that should get a 400, or None to let
    rasa-sdk answer (a good call, or an action that is not ours: 404)."""
    name = call.get("next_action") if isinstance(call, dict) else None
    if isinstance(call, dict) and name and name not in ACTION_NAMES:
        return None
    problem = rr.call_problem(call, needs_text=name == "action_decision_answer")
    return (name if isinstance(name, str) else None, problem) if problem else None


class TokenRefused(Exception):
    """A call without DECISIONBOT_RASA_TOKEN (or with another): answered 401."""


def token_refused(request: Any) -> bool:
    """Whether :func:`refuse_calls_without` refused ``request`` (Sanic still runs the request
    middleware on the way to the 401, with no body read: it has nothing to check)."""
    return bool(getattr(request.ctx, "token_refused", False))


def refuse_calls_without(token: str | None, app: Any) -> None:
    """Check ``token`` as soon as Sanic has routed a request (its ``http.routing.after`` signal):
    Sanic reads a body (up to ``REQUEST_MAX_SIZE``) before any request middleware runs, so a call
    without the token is refused before its body is read. ``/health`` stays open for the
    orchestrator's probe."""
    from sanic import response
    from sanic.exceptions import MethodNotAllowed, NotFound

    refusals = RefusalLog(logging.getLogger("decisionbot.rasa"))  # a line a minute: anyone can send them

    @app.exception(NotFound, MethodNotAllowed)
    async def no_such_call(request: Any, exc: Exception) -> Any:
        """A path or method the action server has not (routing failed before the token's check):
        401 without the token, else 404 or 405; not rasa-sdk's 500 with a traceback each."""
        if token and not token_matches(token, request.args.getlist("token")):
            if not token_refused(request):  # Sanic may hand one request's failure here twice: told once
                request.ctx.token_refused = True
                refusals.tell(
                    401, texts.rasa_call_refused, request.remote_addr or request.ip, 401, texts.rasa_bad_token()
                )
            return response.json({"error": texts.rasa_bad_token(), "action_name": None}, status=401)
        status = 405 if isinstance(exc, MethodNotAllowed) else 404
        return response.json(
            {"error": texts.rasa_no_such_call(request.method, request.path), "action_name": None}, status
        )

    if not token:
        return

    @app.signal("http.routing.after")
    async def check_token(request: Any, **_: Any) -> None:
        if request.path != "/health" and not token_matches(token, request.args.getlist("token")):
            request.ctx.token_refused = True
            remote = request.remote_addr or request.ip
            refusals.tell(401, texts.rasa_call_refused, remote, 401, texts.rasa_bad_token())
            raise TokenRefused

    @app.exception(TokenRefused)
    async def refused(request: Any, exc: TokenRefused) -> Any:
        return response.json({"error": texts.rasa_bad_token(), "action_name": None}, status=401)


#: True in a process serving :func:`bot.channels.rasa_server.build_app`'s app: the token and each
#: call are checked at the edge. Under plain ``python -m rasa_sdk`` nothing checks the token, so
#: the actions refuse to run.
CHECKED = False
