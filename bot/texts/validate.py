"""What ``routes validate`` and ``checks validate`` say: each problem of routes.yaml and
checks.yaml found before deploying, and a short summary when there is none."""

from __future__ import annotations

from bot.texts._common import _join, command


def validate_unknown_flow(flow: str, known: list[str]) -> tuple[str, str]:
    """A route's (or a check's) flow that is not in the flows folder: each trigger it takes would
    be recorded unrouted, starting nothing."""
    return (
        f"its flow '{flow}' is not in the flows folder (flows: {_join(known)}): its triggers would start nothing",
        "name one of them, or add the flow file",
    )


def validate_refused_flow(flow: str) -> tuple[str, str]:
    return (
        f"its flow '{flow}' is refused until its file is fixed: its triggers would start nothing",
        f"correct the flow file (check it with: {command()} flows validate)",
    )


def validate_bad_channel(problem: str) -> tuple[str, str]:
    return problem, "give a channel's ID, such as slack:C0123ABCD, teams:<conversation> or console"


def validate_routes_broken(routes: str, count: int) -> str:
    return f"{routes} has {count} problem(s) too, so its routes may be missing here (see: {command()} routes validate)"


def validate_problems(path: str, problems: list[str]) -> str:
    return f"{path}: {len(problems)} problem(s):\n" + "\n".join(f"  {p}" for p in problems)


def routes_valid(path: str, count: int, default_channel: str | None) -> str:
    if default_channel:
        rest = f"goes to metric_breach in {default_channel} (DECISIONBOT_DEFAULT_CHANNEL)"
    else:
        rest = "is recorded, unrouted (DECISIONBOT_DEFAULT_CHANNEL is not set)"
    if count == 0:
        return f"{path}: no routes; a trigger without its own decision_channel {rest}."
    return f"{path}: {count} route(s) valid; a trigger no route matches {rest}."


def checks_valid(path: str, count: int, enabled: int) -> str:
    if count == 0:
        return f"{path}: no checks."
    return f"{path}: {count} check(s) valid, {enabled} enabled."
