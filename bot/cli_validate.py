"""``routes validate`` and ``checks validate``: the routes and checks files checked before
deploying, every problem named with its file, its route or check, and the fix."""

from __future__ import annotations

import os

import click

from bot import texts
from bot.cli_context import Context
from bot.cli_triggers import checks_group, routes_group
from bot.errors import BotError
from bot.triggers import validate


def _flows(obj: Context) -> validate.Flows:
    from bot.engine.reader import load_folder

    return validate.Flows(*load_folder(obj.require_flows()))


def _report(report: validate.Report, summary: str) -> None:
    if report.problems:
        raise BotError(texts.validate_problems(str(report.path), report.problems))
    click.echo(summary)


@routes_group.command("validate")
@click.pass_obj
def routes_validate(obj: Context) -> None:
    """Check flows/routes.yaml and DECISIONBOT_DEFAULT_CHANNEL before deploying: name every
    problem with its file, route and fix, and exit 1 if there is one. Nothing is stored.

    Beyond what stops `serve` (a bad key, channel or regex; a flow no trigger can start), a route
    whose flow is not in the flows folder, or is refused, is a problem: its triggers would start
    nothing.

    \b
    Example:
      decisionbot routes validate
    """
    report = validate.routes(obj.flows_dir, os.environ, _flows(obj))
    _report(report, texts.routes_valid(str(report.path), report.count, report.default_channel))


@checks_group.command("validate")
@click.pass_obj
def checks_validate(obj: Context) -> None:
    """Check flows/checks.yaml before deploying, without running a query: name every problem
    with its file, check and fix, and exit 1 if there is one. Nothing is stored.

    Beyond what stops `serve` (a bad key, threshold or schedule; a route not in routes.yaml; a
    flow no trigger can start), a check whose flow is not in the flows folder, or whose channel
    is not one to post in, is a problem: its breaches would start nothing.

    \b
    Example:
      decisionbot checks validate
    """
    report = validate.checks(obj.flows_dir, _flows(obj))
    _report(report, texts.checks_valid(str(report.path), report.count, report.enabled))
