"""The Rasa action server: rasa-sdk's own, with each action call checked at the edge before
rasa-sdk reads it, and the flows folder loaded again when its files change
(``decisionbot rasa-actions``)."""

from __future__ import annotations

import functools
import zlib
from pathlib import Path
from typing import Any

from bot import config, log_lines, texts
from bot.channels import rasa_edge as edge
from bot.channels import rasa_replies as rr
from bot.channels.rasa_call import dispatcher
from bot.channels.rasa_edge import InflatedTooLarge, call_refusal, decoded, inflated, log_refusals
from bot.flow_catalog import watch_flows
from bot.texts import _common


def build_app(executor: Any) -> Any:
    """rasa-sdk's own Sanic app, plus the check of every /webhook body before rasa-sdk reads it
    and the flows folder loaded again when its files change."""
    from rasa_sdk.endpoint import create_app_for_serve
    from sanic import response

    edge.CHECKED = True
    app = create_app_for_serve(executor, cors_origins=None, endpoints=tracing_endpoints())
    edge.refuse_calls_without(config.get("rasa_token"), app)  # before the body is read
    log_refusals(app)  # Rasa's log says "check the logs of your action server"

    @app.before_server_start
    async def log_as_the_primary(_: Any) -> None:
        configure_logging()  # a worker process is spawned: its INFO lines were lost
        # and its hints (flows validate, slack retry) lost the ledger and flows the command named
        _common.typed_options[:] = ["--db", str(config.get("db")), "--flows", str(config.get("flows"))]

    @app.after_server_start
    async def reload_flows_when_changed(running: Any) -> None:
        """As ``decisionbot serve`` does: each worker looks at its flows folder once a second and
        loads it again when it changed (the reading in a thread; runs in flight keep their
        version). Sanic cancels the task at shutdown."""
        running.add_task(watch_flows(dispatcher().catalog), name="decisionbot-flows")

    @app.on_request
    async def refuse_bad_calls(request: Any) -> Any:
        if edge.token_refused(request) or request.method != "POST" or request.path.rstrip("/") != "/webhook":
            return None  # refused already (a 401), or no call (rasa-sdk serves /webhook/ too)
        try:
            body = inflated(request, app.config.REQUEST_MAX_SIZE)  # as large as a plain body may be
        except InflatedTooLarge as exc:
            return response.json({"error": texts.rasa_bad_call(str(exc)), "action_name": None}, 413)
        except zlib.error:  # "deflated" but not
            return response.json({"error": texts.rasa_bad_call(texts.rasa_not_json(None)), "action_name": None}, 400)
        try:
            found = call_refusal(decoded(request, body))
        except ValueError as exc:  # not JSON, NaN, a number too large, a lone surrogate, nested too deeply
            found = (rr.action_named(body), texts.rasa_not_json(str(exc)))
        if found is None:
            return None
        name, problem = found
        return response.json({"error": texts.rasa_bad_call(problem), "action_name": name}, status=400)

    return app


def tracing_endpoints() -> str | None:
    """Where rasa-sdk reads its tracing from: ``endpoints.yml`` in the folder the server starts in,
    as ``python -m rasa_sdk`` does, when there is one. None without it: rasa-sdk would log "Failed
    to read endpoint configuration ... No such file." in every worker, an error about a file the
    action server does not need (Rasa's endpoints.yml points at it, not the other way)."""
    from rasa_sdk.constants import DEFAULT_ENDPOINTS_PATH

    return DEFAULT_ENDPOINTS_PATH if Path(DEFAULT_ENDPOINTS_PATH).is_file() else None


def serve(host: str, port: int) -> None:
    """Run the action server with these actions until stopped (what ``python -m rasa_sdk`` runs)."""
    from rasa_sdk import utils
    from rasa_sdk.executor import ActionExecutor
    from sanic import Sanic
    from sanic.worker.loader import AppLoader

    configure_logging()
    executor = ActionExecutor()
    executor.register_package("bot.channels.rasa")
    loader = AppLoader(factory=functools.partial(build_app, executor))
    app = loader.load()
    app.prepare(host=host, port=port, workers=utils.number_of_sanic_workers())
    Sanic.serve(primary=app, app_loader=loader)


def configure_logging() -> None:
    """rasa-sdk's logging (INFO and up, Sanic's own at LOG_LEVEL_LIBRARIES), in every process,
    its lines kept as ``serve``'s are (:mod:`bot.log_lines`): what a caller sent cannot start one."""
    import logging

    from rasa_sdk import utils
    from sanic.log import access_logger, error_logger, logger

    utils.configure_colored_logging("INFO")
    utils.update_sanic_log_level()
    log_lines.contain(logging.getLogger(), logger, error_logger, access_logger)
