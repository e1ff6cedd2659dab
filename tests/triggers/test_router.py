"""Routes: first match wins, exact and regex matches, a catch-all, decision_* overrides, the
default route, grouping and refusals of bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.model import Actor, ConversationKey
from bot.triggers import alertmanager, generic
from bot.triggers.router import Router

FLOWS = {"metric_breach", "post_meeting", "decision_review"}
ROUTES = """\
routes:
  - name: payments
    match: {source: alertmanager, labels: {team: payments}}
    match_re: {labels: {severity: "critical|page"}}
    channel: slack:C0PAY
    facilitator: U0LEAD
    participants: [U0A]
    owners: U0B
    backup: U0BOSS
    dedup: group
  - name: models
    match: {source: generic}
    match_re: {title: "(?i).*drift.*"}
    flow: post_meeting
    channel: console:models
  - name: rest
    channel: "teams:19:general@thread.tacv2"
"""


def router(tmp_path: Path, text: str | None = ROUTES, env: dict[str, str] | None = None) -> Router:
    if text is not None:
        (tmp_path / "routes.yaml").write_text(text)
    return Router(tmp_path, env or {}, lambda: FLOWS)


def am(labels: dict[str, str], annotations: dict[str, str] | None = None):
    body = {"version": "4", "status": "firing", "groupKey": "{}:{team}", "alerts": [
        {"status": "firing", "labels": labels, "annotations": annotations or {}, "fingerprint": "fp1"}]}  # fmt: skip
    return alertmanager.parse(body)[0]


def test_the_first_matching_route_wins_with_its_people_and_grouping(tmp_path: Path) -> None:
    admission = router(tmp_path).route(am({"alertname": "Errors", "team": "payments", "severity": "page"}))
    t = admission.trigger
    assert (admission.route, t.flow, t.conversation) == ("payments", "metric_breach", ConversationKey("slack", "C0PAY"))
    assert t.facilitator == Actor("slack:U0LEAD", "U0LEAD")
    assert t.participants == [Actor("slack:U0A", "U0A"), Actor("slack:U0B", "U0B")]
    assert t.data["escalate_to"] == {"id": "slack:U0BOSS", "name": "U0BOSS"}
    assert t.dedup_key == "alertmanager:group:{}:{team}"


def test_a_regex_must_match_the_whole_value_and_the_catch_all_takes_the_rest(tmp_path: Path) -> None:
    r = router(tmp_path)
    assert r.route(am({"alertname": "E", "team": "payments", "severity": "critical-ish"})).route == "rest"
    drift = generic.parse({"title": "Churn DRIFT on EU"})[0]
    assert r.route(drift).route == "models" and drift.flow == "post_meeting"
    other = generic.parse({"title": "Nightly load failed"})[0]
    admission = r.route(other)
    assert admission.route == "rest" and other.conversation == ConversationKey("teams", "19:general@thread.tacv2")


def test_decision_labels_override_the_route(tmp_path: Path) -> None:
    trigger = am({"alertname": "E", "team": "payments", "severity": "page", "decision_channel": "console:war-room"},
                 {"decision_facilitator": "slack:U0OTHER", "decision_flow": "post_meeting"})  # fmt: skip
    admission = router(tmp_path).route(trigger)
    assert (admission.route, trigger.flow, str(trigger.conversation)) == (
        "payments",
        "post_meeting",
        "console:war-room",
    )
    assert trigger.facilitator == Actor("slack:U0OTHER", "U0OTHER")


def test_without_routes_the_default_route_uses_the_default_channel(tmp_path: Path) -> None:
    r = router(tmp_path, None, {"DECISIONBOT_DEFAULT_CHANNEL": "slack:C0DEC"})
    trigger = am({"alertname": "E"})
    admission = r.route(trigger)
    assert (admission.route, admission.problem, trigger.flow) == ("default", None, "metric_breach")
    assert trigger.conversation == ConversationKey("slack", "C0DEC") and trigger.facilitator is None
    empty = tmp_path / "empty"
    empty.mkdir()
    assert router(empty, None).route(am({"alertname": "E"})).problem == (
        "no channel to post in: no route matched and DECISIONBOT_DEFAULT_CHANNEL is not set"
    )


def test_unknown_flows_channels_and_routes_are_problems_not_crashes(tmp_path: Path) -> None:
    r = router(tmp_path)
    assert r.route(am({"alertname": "E", "decision_flow": "nope"})).problem.startswith("there is no flow 'nope'")
    assert r.route(am({"alertname": "E", "decision_channel": "slak:C1"})).problem.startswith(
        "'slak:C1' is not a channel"
    )
    assert r.route(am({"alertname": "E", "decision_channel": "slack:#ops"})).problem.startswith(
        "'slack:#ops' names a Slack channel by its name: use its ID"
    )
    for spec in ("slack:U0ALICE", "slack:c0123abcd"):  # an ID, but not a channel's
        assert r.route(am({"alertname": "E", "decision_channel": spec})).problem.startswith(
            f"'{spec}' is not the ID of a Slack channel: a channel's ID starts with C"
        )
    assert r.route(generic.parse({"title": "x", "route": "zzz"})[0]).problem == (
        "there is no route 'zzz' (routes: payments, models, rest)"
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("routes:\n  - name: a\n    chanel: console\n", "route 'a': unknown key(s) chanel. Fix: use only"),
        ("routes:\n  - name: a\n    dedup: title\n", "route 'a': dedup is 'title'. Fix: use fingerprint or group"),
        ("routes:\n  - name: a\n    match_re: {title: '('}\n", "route 'a': missing ), unterminated subpattern"),
        ("routes:\n  - name: a\n    cooldown: soon\n", "route 'a': 'soon' is not a duration"),
        ("routes:\n  - name: a\n    cooldown: 2027-02-30\n", "route 'a': '2027-02-30' is not a duration"),
        ("routes:\n  - name: a\n  - name: a\n", "route 'a': the name is used twice"),
        ("routes: [\n", "routes.yaml: it is not valid YAML"),
        ("routes:\n  - name: no\n", "route '#1': the name is read as false, not as text. Fix: put the name in quotes"),
    ],
)
def test_bad_routes_files_are_refused_naming_the_route_and_the_fix(tmp_path: Path, text: str, says: str) -> None:
    with pytest.raises(ConfigError) as err:
        router(tmp_path, text).routes()
    assert says in str(err.value)
