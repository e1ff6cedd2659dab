"""What every fake platform server shares: serving its app on 127.0.0.1, and stopping; and, for
the fakes served by http.server (token and key endpoints), a handler that answers JSON quietly."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from typing import Any, Self

from aiohttp import web


class LoopbackServer:
    """Mixed into a fake: ``start()`` serves ``self.app()`` on 127.0.0.1 (port 0: a free one)
    and sets ``self.port``; ``stop()`` closes what ``before_stop()`` names, then the server."""

    runner: web.AppRunner | None
    port: int

    def app(self) -> web.Application:
        raise TypeError(f"{type(self).__name__} must define app()")

    async def start(self, port: int = 0) -> Self:
        self.runner = web.AppRunner(self.app(), access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def before_stop(self) -> None:
        """Close long-lived connections (websockets) before the server goes."""

    async def stop(self) -> None:
        await self.before_stop()
        if self.runner is not None:
            await self.runner.cleanup()


class QuietJsonHandler(BaseHTTPRequestHandler):
    """An http.server handler that answers with JSON (``send_json``) and logs nothing."""

    def send_json(self, status: int, data: Any) -> None:
        raw = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args: Any) -> None:
        pass
