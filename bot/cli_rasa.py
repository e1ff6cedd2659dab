"""``decisionbot rasa-actions``: rasa-sdk's action server with decisionbot's Rasa actions."""

from __future__ import annotations

import os
from pathlib import Path

import click

from bot import config, store, texts
from bot.cli import main
from bot.cli_context import Context
from bot.cli_listen import PORT, listening, loopback, try_port
from bot.errors import BotError


@main.command("rasa-actions")
@click.option("--port", "-p", default=5055, show_default=True, type=PORT, help="Port Rasa's endpoints.yml points at.")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (0.0.0.0: every interface, needs DECISIONBOT_RASA_TOKEN).",
)
@click.pass_obj
def rasa_actions(obj: Context, port: int, host: str) -> None:
    """Serve the Rasa actions: action_decision_start, action_decision_answer,
    action_decision_status, action_my_actions and validate_decision_form.

    This is rasa-sdk's own action server (POST /webhook, GET /health, GET /actions) with
    decisionbot's actions, and every action call checked first (400 naming what is missing).
    Point Rasa's endpoints.yml at it: action_endpoint: {url: "http://HOST:PORT/webhook"}.
    With DECISIONBOT_RASA_TOKEN set, every call must carry it: add token: "<the same value>"
    under action_endpoint (Rasa sends it as ?token=). Another --host than a loopback address
    needs the token.
    Set ACTION_SERVER_SANIC_WORKERS for more than one worker process.

    \b
    Example:
      decisionbot --db data/decisions.db rasa-actions --port 5055
    """
    if not config.get("rasa_token") and not loopback(host):
        raise BotError(texts.rasa_open_without_token(host))
    try:
        from bot.channels import rasa_server
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in ("rasa_sdk", "sanic"):
            raise
        raise BotError(texts.rasa_not_installed()) from exc
    os.environ[config.BY_NAME["db"].env] = os.path.abspath(obj.db_path)  # the workers' hints name them whole
    os.environ[config.BY_NAME["flows"].env] = os.path.abspath(obj.flows_dir)
    store.refuse_read_only(obj.db_path)
    obj.require_flows()  # a flows folder with no flows: said before the port
    try_port(host, port)  # a busy port: refused before the ledger is made (Sanic binds it again)
    new = not Path(obj.db_path).exists()
    bot = obj.dispatcher()  # refuse a bad flow file, time zone or ledger now, not at the first call
    for twin in bot.catalog.twin_warnings():  # 'post_meeting.yml' beside the flow file: never read
        click.echo(texts.cli_warning(twin), err=True)
    click.echo(texts.rasa_listening(host, port, obj.db_path, str(obj.flows_dir)), err=True)
    click.echo(store.in_use(obj.db, obj.db_path, new), err=True)
    with listening(host, port):  # the bind fails before any worker starts
        rasa_server.serve(host, port)
