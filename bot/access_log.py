"""The access log of ``decisionbot serve``: aiohttp's own line (``aiohttp.access``, INFO), with
the query string left out. No route of the server reads one, so what a client puts there is
either a mistake or a secret sent where it does not belong: a hook or ``/metrics`` configured
with ``?token=...`` (as Rasa sends its own) is refused with 401, and its token stays out of the
journal."""

from __future__ import annotations

import logging

from aiohttp.abc import AbstractAccessLogger
from aiohttp.web import BaseRequest, StreamResponse

from bot import texts


class AccessLog(AbstractAccessLogger):
    """``REMOTE "METHOD PATH HTTP/x.y" STATUS SIZE "REFERER" "USER-AGENT"``, as aiohttp's default
    format (less its time: the log line has it), the query string written as left out."""

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        version = request.version
        self.logger.info(
            '%s "%s %s HTTP/%d.%d" %d %d "%s" "%s"',
            request.remote or "-",
            request.method,
            logged_target(request),
            version.major,
            version.minor,
            response.status,
            response.body_length,
            request.headers.get("Referer", "-"),
            request.headers.get("User-Agent", "-"),
        )

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)


def logged_target(request: BaseRequest) -> str:
    """The request's path as sent; its query string, if any, said to be left out."""
    path = request.rel_url.raw_path
    return f"{path}?{texts.query_not_logged()}" if request.rel_url.raw_query_string else path
