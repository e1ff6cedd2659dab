"""Why inbound JSON is refused, on every platform and hook (:mod:`bot.inbound_json`): each is the
end of a 400's message."""

from __future__ import annotations

from bot.texts._common import _left_out

SHOWN = 40  # the characters of a number shown: a number may be any length


def body_too_slow(seconds: float) -> str:
    return f"The request body did not arrive within {seconds:g} s of its headers."


def http_client_fault(what: str, fault: str, left_out: int = 0) -> str:
    """aiohttp's "Error handling request from ADDRESS" for a client's fault, as one line."""
    return f"{what}: refused, the client's fault ({fault}).{_left_out(left_out)}"


def body_cut() -> str:
    return "The connection closed before the request body's end."


def json_not_a_number(name: str) -> str:
    return f"{name} is not a JSON number"


def json_number_too_large(text: str) -> str:
    shown = text if len(text) <= SHOWN else text[: SHOWN - 3] + "..."
    return f"the number {shown} is too large (beyond about 1.8e308): send it as a string"


def json_nested_too_deeply() -> str:
    return "nested too deeply"


def json_not_text(reason: str) -> str:
    return f"the body is not UTF-8 text ({reason})"


def json_lone_surrogate() -> str:
    return "a string holds a lone surrogate (an unpaired \\ud800-\\udfff escape)"
