"""``routes validate`` and ``checks validate``: every problem of ``routes.yaml`` and
``checks.yaml`` named with its file, its route or check, and the fix, before deploying. Nothing
is stored and no query runs: no ledger, no server, no database is needed.

Beyond what loading refuses (which stops ``serve``), a route or a check whose flow is not in the
flows folder, or is refused, and a check whose channel is not one to post in are problems here:
``serve`` takes them, and each trigger they take is recorded unrouted, starting nothing.
:func:`unrouted_fix` is what the server's warning for such a trigger says to fix."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot import texts, yaml_text
from bot.admission import Admission
from bot.engine.model import Flow
from bot.errors import ConfigError, FlowError
from bot.flow_catalog import BOT_STARTED, review_flows
from bot.triggers import parse_channel
from bot.triggers.checks_file import Check, read, refusal
from bot.triggers.router import DEFAULT_FLOW, Router, read_routes


@dataclass
class Report:
    """One file checked: ``count`` its good routes or checks, ``problems`` one line each."""

    path: Path
    count: int = 0
    enabled: int = 0
    default_channel: str | None = None
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Flows:
    """The flows folder as ``serve`` loads it: the flows that load, and those refused."""

    current: Mapping[str, Flow]
    refused: Mapping[str, FlowError]

    def reviews(self) -> set[str]:
        return review_flows(self.current)

    def problem(self, flow: str) -> tuple[str, str] | None:
        """Why a route's or a check's flow would start nothing, if it would not."""
        if flow in self.refused:
            return texts.validate_refused_flow(flow)
        if flow not in self.current:
            return texts.validate_unknown_flow(flow, sorted(set(self.current) - BOT_STARTED - self.reviews()))
        return None


def routes(folder: Path, env: Mapping[str, str], flows: Flows) -> Report:
    """``folder/routes.yaml`` and DECISIONBOT_DEFAULT_CHANNEL (the default route's channel)."""
    path = folder / "routes.yaml"
    report = Report(path)
    try:
        report.default_channel = Router(folder, env, lambda: set(flows.current)).default_channel
    except ConfigError as exc:
        report.problems.append(str(exc))
    if not yaml_text.present(path):
        return report
    good, problems = read_routes(path, flows.reviews())
    report.problems += [str(p) for p in problems]
    for route in good:
        if problem := flows.problem(route.flow):
            report.problems.append(texts.routes_error(str(path), route.name, *problem))
    report.count = len(good)
    return report


def checks(folder: Path, flows: Flows) -> Report:
    """``folder/checks.yaml``, each check against the routes of ``folder/routes.yaml``."""
    path, routes_path = folder / "checks.yaml", folder / "routes.yaml"
    report = Report(path)
    loaded, problems = read(path)
    report.problems += [str(p) for p in problems]
    good_routes, routes_problems = (
        read_routes(routes_path, flows.reviews()) if yaml_text.present(routes_path) else ([], [])
    )
    names = [r.name for r in good_routes]
    for check in loaded.checks:
        if problem := _check_problem(check, path, routes_path, names, flows):
            report.problems.append(problem)
    missing = any(c.hints.get("route") and str(c.hints["route"]) not in names for c in loaded.checks)
    if routes_problems and missing:  # a route it names may be one of the broken ones
        report.problems.append(texts.validate_routes_broken(str(routes_path), len(routes_problems)))
    report.count = len(loaded.checks)
    report.enabled = sum(c.enabled for c in loaded.checks)
    return report


def _check_problem(check: Check, path: Path, routes_path: Path, names: list[str], flows: Flows) -> str | None:
    if error := refusal(check, path, routes_path, names, flows.reviews()):
        return str(error)
    if check.hints.get("route"):  # its route's flow and channel are the route's
        return None
    if problem := flows.problem(str(check.hints.get("flow") or DEFAULT_FLOW)):
        return texts.checks_error(str(path), check.name, *problem)
    if check.hints.get("channel"):
        try:
            parse_channel(str(check.hints["channel"]))
        except ValueError as exc:
            return texts.checks_error(str(path), check.name, *texts.validate_bad_channel(str(exc)))
    return None


def unrouted_fix(router: Router, admission: Admission) -> str:
    """What to do about a trigger that started no run: its flow's file, the flow, route or channel
    it names (a route or the default channel would not help: its own wins), or a route."""
    flow, named = admission.trigger.flow, admission.trigger.data.get("decision") or {}
    if admission.problem and flow in router.refused_flows():
        return texts.unrouted_fix_flow_file()
    if admission.problem and (flow in BOT_STARTED or flow in router.review_flows()):
        return texts.unrouted_fix_flow_label()  # routes naming them are refused at load: a label's
    if admission.problem and admission.route is None:  # the route it names is not in routes.yaml
        return texts.unrouted_fix_route_name()
    if admission.problem and flow and flow not in router.known_flows():
        return texts.unrouted_fix_flow_name()
    if admission.problem and admission.trigger.conversation is None and named.get("channel"):
        return texts.unrouted_fix_channel()
    return texts.unrouted_fix_route(str(router.path))
