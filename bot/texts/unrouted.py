"""What the log says of a trigger that started no run (no route, no channel, a flow or route it
names that does not exist), and the fix for each reason."""

from __future__ import annotations

from bot.texts._common import _one_line, command


def trigger_unrouted(title: str, source: str, event_id: int, problem: str, fix: str, alike: int) -> str:
    """``fix``: :func:`unrouted_fix_route`, or :func:`unrouted_fix_flow_file` for a refused flow,
    whose problem (the file's own file, step and fix) is said whole. ``alike``: the other triggers
    of the same body that started none for the same reason (one line for an alert storm)."""
    more = f" (and {alike} more of this notification, for the same reason)" if alike else ""
    return (
        f"Trigger '{_one_line(title)}' ({source}, event {event_id}){more} started no run:"
        f" {_one_line(problem, limit=1000)}. Fix: {fix}; its next notification starts a run."
    )


def unrouted_fix_route(routes: str) -> str:
    return (
        f"add a route to {routes} or set DECISIONBOT_DEFAULT_CHANNEL (try it with: {command()} routes test"
        " PAYLOAD_FILE)"
    )


def unrouted_fix_flow_label() -> str:
    """The fix of a trigger that names a flow no trigger can start itself (routes naming one are
    refused at load): an alert's ``decision_flow``, the generic hook's ``flow``."""
    return "name another flow in the alert's decision_flow label (the event's flow), or leave it out for the route's"


def unrouted_fix_flow_name() -> str:
    return (
        "name one of those flows (the alert's decision_flow label, the event's flow, or its route's flow),"
        " or add the flow file to the flows folder"
    )


def unrouted_fix_route_name() -> str:
    return "name a route of routes.yaml (the alert's decision_route label, the event's route), or add it there"


def unrouted_fix_channel() -> str:
    return (
        "correct the channel it names (the alert's decision_channel label or annotation, the event's channel),"
        " or leave it out for its route's"
    )


def unrouted_fix_flow_file() -> str:
    return f"correct the flow file as said (check it with: {command()} flows validate)"
