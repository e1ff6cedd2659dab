"""Routes: which flow a trigger starts, in which channel, with whom (``flows/routes.yaml``).

Routes are tried in order and the first that matches wins; a route without ``match`` or
``match_re`` matches everything (a catch-all). ``match`` compares exactly, ``match_re`` with a
regular expression that must match the whole value, on ``source``, ``kind``, ``title``,
``labels.<name>`` (``labels: {...}``) and trigger fields (``fields: {...}``). The trigger's own
``decision_*`` labels (or the generic hook's fields) override the route's choices. Without a
routes file, or when nothing matches, the default route starts ``metric_breach`` in
``DECISIONBOT_DEFAULT_CHANNEL``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from bot import texts, yaml_text
from bot.admission import Admission
from bot.errors import ConfigError
from bot.flow_catalog import BOT_STARTED, not_triggered
from bot.model import GROUPING_SOURCES, Trigger, group_key
from bot.triggers import parse_channel, parse_duration, people, person, person_hints_refused
from bot.triggers.alert_groups import merge_groups, tell_apart
from bot.triggers.alertmanager import PEOPLE

DEFAULT_FLOW = "metric_breach"
DEFAULT_COOLDOWN = timedelta(hours=1)
ROUTE_KEYS = {
    "name", "match", "match_re", "flow", "channel", "facilitator", "participants", "owners", "backup", "dedup",
    "cooldown",
}  # fmt: skip
MATCH_KEYS = {"source", "kind", "title", "labels", "fields"}
#: Sources whose senders drop a refused (4xx) notification, or that no sender sees: a trigger of
#: theirs that names a flow it cannot start is recorded as unrouted (200), never refused.
RECORDED_SOURCES = frozenset({"alertmanager", "grafana", "check"})


@dataclass(frozen=True)
class Route:
    name: str
    flow: str = DEFAULT_FLOW
    channel: str | None = None
    facilitator: str | None = None
    participants: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    backup: str | None = None
    dedup: str = "fingerprint"  # fingerprint | group (the groupKey of Alertmanager or Grafana)
    cooldown: timedelta = DEFAULT_COOLDOWN
    exact: dict[str, str] = field(default_factory=dict)  # "source", "labels.team", "fields.metric" -> value
    regex: dict[str, re.Pattern[str]] = field(default_factory=dict)

    def matches(self, trigger: Trigger) -> bool:
        for key, want in self.exact.items():
            if lookup(trigger, key) != want:
                return False
        for key, pattern in self.regex.items():
            got = lookup(trigger, key)
            if got is None or not pattern.fullmatch(got):
                return False
        return True


def lookup(trigger: Trigger, key: str) -> str | None:
    if key in ("source", "kind", "title"):
        return str(getattr(trigger, key))
    area, _, name = key.partition(".")
    value = (trigger.data.get("labels") or {}).get(name) if area == "labels" else trigger.data.get(name)
    return None if value is None else str(value)


#: A file as looked at for a change: its modification time (ns) and size; None while it is missing.
Stamp = tuple[int, int] | None


def file_stamp(path: Path) -> Stamp:
    """``path``'s :data:`Stamp` now: what tells the routes' and the checks' files changed (read again)."""
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_mtime_ns, found.st_size


class Router:
    """Reads ``routes.yaml`` from the flows folder (again whenever it changes)."""

    def __init__(
        self,
        folder: Path,
        env: Mapping[str, str],
        known_flows: Callable[[], set[str]],
        refused_flows: Callable[[], Mapping[str, Exception]] = dict,
        review_flows: Callable[[], Set[str]] = frozenset,
    ):
        """Raises ConfigError when DECISIONBOT_DEFAULT_CHANNEL is not a channel to post in.
        ``refused_flows``: the flows whose files are refused, with why (the event names it);
        ``review_flows``: those that review a recorded decision, which no alert names."""
        self.path = folder / "routes.yaml"
        self.default_channel = default_channel(env)
        self.known_flows = known_flows
        self.refused_flows = refused_flows
        self.review_flows = review_flows
        self._loaded: tuple[Stamp, list[Route]] | None = None

    def routes(self) -> list[Route]:
        """The routes, in order; raises ConfigError naming the file, the route and the fix."""
        if not yaml_text.present(self.path):
            return []
        stamp = file_stamp(self.path)
        if self._loaded is None or self._loaded[0] != stamp:
            self._loaded = (stamp, load_routes(self.path, self.review_flows()))
        return self._loaded[1]

    def default(self) -> Route:
        return Route(name="default", channel=self.default_channel)

    def choose(self, trigger: Trigger) -> Route | str:
        """The route a trigger takes, or the problem when it names an unknown one."""
        hints = trigger.data.get("decision") or {}
        routes = self.routes()
        if hints.get("route"):
            named = next((r for r in routes if r.name == hints["route"]), None)
            return named or texts.unknown_route(hints["route"], [r.name for r in routes])
        return next((r for r in routes if r.matches(trigger)), None) or self.default()

    def route(self, trigger: Trigger) -> Admission:
        """Fill in the trigger's flow, conversation and people; an Admission with a problem
        when it has nowhere to go."""
        chosen = self.choose(trigger)
        if isinstance(chosen, str):
            return Admission(trigger, None, DEFAULT_COOLDOWN, chosen)
        hints = trigger.data.get("decision") or {}
        trigger.flow = hints.get("flow") or chosen.flow
        alert_keys: tuple[str, ...] = ()
        if chosen.dedup == "group" and trigger.source in GROUPING_SOURCES and trigger.data.get("group_key"):
            alert_keys = (trigger.dedup_key,) if trigger.dedup_key else ()
            trigger.dedup_key = group_key(trigger.source, trigger.data["group_key"])
            trigger.status = trigger.data.get("group_status") or trigger.status
        if problem := self._flow_problem(trigger):
            return Admission(trigger, chosen.name, chosen.cooldown, problem, alert_keys=alert_keys)
        problem = self._fill(trigger, chosen, hints)
        return Admission(trigger, chosen.name, chosen.cooldown, problem, problem is not None, alert_keys)

    def route_all(self, triggers: Sequence[Trigger]) -> list[Admission]:
        """Route the triggers of one body. The alerts of an Alertmanager or Grafana group keyed by its
        ``groupKey`` (``dedup: group``) are one admission: one notification is one event of the
        group, titled by its first alert and how many more (Alertmanager's own says ``[FIRING:3]``)."""
        statuses = [t.status for t in triggers]  # each alert's own: routing gives them the group's
        admissions = merge_groups([self.route(t) for t in triggers], statuses)
        tell_apart([a.trigger for a in admissions if a.trigger.source in GROUPING_SOURCES and not a.trigger.grouped])
        return admissions

    def _flow_problem(self, trigger: Trigger) -> str | None:
        """Why the trigger's flow cannot start from a trigger, if it cannot."""
        known = self.known_flows()  # a server whose whole folder broke keeps its last good flows
        if trigger.flow in BOT_STARTED:  # its data would hand any action to whomever it names
            return texts.handover_not_triggered(trigger.flow)
        if trigger.source in RECORDED_SOURCES and trigger.flow in self.review_flows():
            return texts.review_not_triggered(trigger.flow)  # an alert's decision_flow label: recorded, not a 400
        if trigger.flow not in known:
            refused = self.refused_flows().get(trigger.flow)
            if refused is not None:
                return texts.refused_flow_routed(trigger.flow, str(refused))
            return texts.unknown_flow_routed(trigger.flow, sorted(known - BOT_STARTED))  # those it may start
        return None

    def _fill(self, trigger: Trigger, route: Route, hints: Mapping[str, Any]) -> str | None:
        """The trigger's conversation and people, from its hints and route; the problem with
        where to post, if any."""
        spec = hints.get("channel") or route.channel or self.default_channel
        if not spec:
            return texts.no_channel()
        try:
            trigger.conversation = conversation = parse_channel(str(spec))
        except ValueError as exc:
            return str(exc)
        channel = conversation.channel
        fac = _given(hints.get("facilitator")) or route.facilitator
        trigger.facilitator = person(fac, channel) if fac else None
        owners = people(hints.get("owners") or list(route.owners), channel)
        everyone = people(hints.get("participants") or list(route.participants), channel)
        trigger.participants = [p for p in everyone + owners if p != trigger.facilitator]
        trigger.participants = list(dict.fromkeys(trigger.participants))
        if owners:
            trigger.data["owners"] = ", ".join(o.name for o in owners)
        backup = _given(hints.get("backup")) or route.backup
        if backup:
            trigger.data["escalate_to"] = person(backup, channel).to_dict()
        return None


def load_routes(path: Path, review_flows: Set[str] = frozenset()) -> list[Route]:
    """The routes of ``path``; ConfigError naming the file, the route and the fix (the first
    problem: :func:`read_routes` gives them all). A route may not name a flow no trigger can
    start (``review_flows``, or the handover)."""
    routes, problems = read_routes(path, review_flows)
    if problems:
        raise problems[0]
    return routes


def read_routes(path: Path, review_flows: Set[str] = frozenset()) -> tuple[list[Route], list[ConfigError]]:
    """The good routes of ``path``, and a ConfigError for each problem (a file that is not
    YAML, or not a list of routes, is one problem)."""
    try:
        doc = yaml_text.safe_load(yaml_text.read_file(path, "the routes")) or {}
    except yaml_text.Unreadable as exc:
        return [], [ConfigError(texts.routes_error(str(path), None, *exc.args))]
    except yaml.YAMLError as exc:
        return [], [ConfigError(texts.routes_error(str(path), None, *texts.file_not_yaml(exc)))]
    if not isinstance(doc, dict) or not isinstance(doc.get("routes", []), list):
        return [], [ConfigError(texts.routes_error(str(path), None, *texts.routes_not_a_list()))]
    if unknown := sorted(set(map(str, doc)) - {"routes"}):  # route: was read as a file of no routes
        return [], [ConfigError(texts.routes_error(str(path), None, *texts.keys_unknown(unknown, ["routes"])))]
    out: list[Route] = []
    problems: list[ConfigError] = []
    for i, raw in enumerate(doc.get("routes") or []):
        try:
            route = _route(path, i, raw)
            if problem := not_triggered(route.flow, review_flows):
                raise ConfigError(texts.routes_error(str(path), route.name, *problem))
            if any(r.name == route.name for r in out):
                raise ConfigError(texts.routes_error(str(path), route.name, *texts.name_used_twice()))
        except ConfigError as exc:
            problems.append(exc)
            continue
        out.append(route)
    return out, problems


def _route(path: Path, index: int, raw: Any) -> Route:
    given = raw.get("name") if isinstance(raw, dict) else None
    name = given if isinstance(given, str) and given else f"#{index + 1}"

    def fail(problem: str, fix: str) -> ConfigError:
        return ConfigError(texts.routes_error(str(path), name, problem, fix))

    if not isinstance(raw, dict):
        raise fail(*texts.route_not_a_mapping())
    unknown = sorted(set(raw) - ROUTE_KEYS)
    if unknown:
        raise fail(*texts.keys_unknown(unknown, ROUTE_KEYS))
    if "name" in raw and not isinstance(raw["name"], str):  # name: no -> False; name: 1 -> 1
        raise fail(*texts.name_not_text(raw["name"]))
    if raw.get("dedup", "fingerprint") not in ("fingerprint", "group"):
        raise fail(*texts.route_dedup_bad(raw["dedup"]))
    if refused := person_hints_refused(raw, PEOPLE):
        raise fail(*refused)
    try:
        cooldown = parse_duration(raw["cooldown"]) if "cooldown" in raw else DEFAULT_COOLDOWN
        if raw.get("channel"):
            parse_channel(str(raw["channel"]))
        regex = {k: re.compile(v) for k, v in _flatten(raw.get("match_re"), fail, "match_re").items()}
    except (ValueError, re.error) as exc:
        raise fail(*texts.value_bad(exc)) from exc
    return Route(
        name=name,
        flow=str(raw.get("flow") or DEFAULT_FLOW),
        channel=raw.get("channel"),
        facilitator=raw.get("facilitator"),
        participants=tuple(_list(raw.get("participants"))),
        owners=tuple(_list(raw.get("owners"))),
        backup=raw.get("backup"),
        dedup=raw.get("dedup", "fingerprint"),
        cooldown=cooldown,
        exact=_exact(raw.get("match"), fail),
        regex=regex,
    )


#: Where triggers come from: what ``match: {source: ...}`` compares with.
SOURCES = ("alertmanager", "grafana", "generic", "check", "cli")


def _exact(spec: Any, fail: Callable[[str, str], ConfigError]) -> dict[str, str]:
    """``match``, flattened: a source no trigger comes from refused (the route would never match)."""
    exact = _flatten(spec, fail)
    if "source" in exact and exact["source"] not in SOURCES:
        raise fail(*texts.route_source_unknown(exact["source"], list(SOURCES)))
    return exact


def _flatten(spec: Any, fail: Callable[[str, str], ConfigError], section: str = "match") -> dict[str, str]:
    """``{source: x, labels: {team: y}}`` -> ``{"source": "x", "labels.team": "y"}``; a value YAML
    read as a boolean or as nothing (``severity: yes``) refused: it says to quote it."""
    if spec is None:
        return {}
    if not isinstance(spec, dict) or set(spec) - MATCH_KEYS:
        raise fail(*texts.route_match_keys())
    flat: dict[str, Any] = {}
    for key, value in spec.items():
        if key in ("labels", "fields"):
            if not isinstance(value, dict):
                raise fail(*texts.route_match_not_a_mapping(key))
            flat.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            flat[key] = value
    for key, value in flat.items():
        if value is None or isinstance(value, bool):
            raise fail(*texts.route_match_not_text(f"{section} {key}", value))
    return {key: str(value) for key, value in flat.items()}


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [s for s in str(value).split(",") if s.strip()]


def default_channel(env: Mapping[str, str]) -> str | None:
    """``DECISIONBOT_DEFAULT_CHANNEL`` (None: not set); ConfigError when it is not a channel to post in."""
    channel = (env.get("DECISIONBOT_DEFAULT_CHANNEL") or "").strip() or None
    if channel:
        try:
            parse_channel(channel)
        except ValueError as exc:
            raise ConfigError(texts.default_channel_error(str(exc))) from exc
    return channel


def _given(value: Any) -> Any:
    """A person hint as given: blanks (an annotation a template rendered empty) are none."""
    return None if isinstance(value, str) and not value.strip() else value
