"""The fake Slack's ``response_url``s: ``POST /response/<id>`` takes what the bot tells a slash
command's caller later than Slack's 3 s. Each post is recorded as a call of the method
``response`` (its JSON body, and ``id``), and is answered as Slack does: ``200 ok``. ``refuse``
and ``slow_down`` of ``response`` apply to them as to a Web API method: ``status=429,
retry_after="1"``, ``status=503``, or ``status=404, error="expired_url"`` (Slack's answer to a URL
older than 30 minutes or used 5 times)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from tests.fakes.slack_api import Call, Refusal


class ResponseUrls:
    """Mixed into FakeSlack (which has ``port``, ``calls``, ``delays`` and ``refusals``)."""

    port: int
    calls: list[Call]
    delays: dict[str, float]
    refusals: dict[str, list[Refusal | None]]

    def response_url(self, rid: str = "1") -> str:
        """A response_url of this fake (on the origin of its Web API, as SLACK_API_URL names it)."""
        return f"http://127.0.0.1:{self.port}/response/{rid}"

    def responses(self, rid: str | None = None) -> list[dict[str, Any]]:
        """What was posted to the response_urls (``rid``'s alone) and taken, in order."""
        return [
            {k: v for k, v in c.args.items() if k != "id"}
            for c in self.calls
            if c.method == "response" and c.result.get("ok") and rid in (None, c.args["id"])
        ]

    async def _response(self, request: web.Request) -> web.Response:
        from tests.fakes.slack_api import Call

        body = await request.read()
        args = {**json.loads(body or b"{}"), "id": request.match_info["rid"]}
        call = Call("response", args, None, time.monotonic())
        self.calls.append(call)
        if self.delays.get("response"):
            await asyncio.sleep(self.delays["response"])
        queued = self.refusals.get("response")
        refusal = queued.pop(0) if queued else None
        if refusal is not None:
            call.result = {"ok": False, "error": refusal.error or f"HTTP {refusal.status}"}
            headers = {"Retry-After": refusal.retry_after} if refusal.retry_after is not None else {}
            return web.Response(status=refusal.status, text=refusal.error or "refused", headers=headers)
        call.result = {"ok": True}
        return web.Response(text="ok")
