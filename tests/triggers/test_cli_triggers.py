"""The trigger, routes, checks, jobs and invite commands as a user runs them."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from tests.dates import FEB1, JAN10
from tests.triggers.conftest import ROOT
from tests.triggers.test_grafana import TEST_ALERT

SAMPLES = ROOT / "data" / "samples"


def cli(tmp_path: Path, flows: Path, *args: str, input: str | None = None, env: dict[str, str] | None = None):
    base = ["--db", str(tmp_path / "cli.db"), "--flows", str(flows)]
    return CliRunner().invoke(main, [*base, *args], input=input, env=env or {}, catch_exceptions=False)


def rows(tmp_path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(tmp_path / "cli.db")
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_trigger_starts_a_run_in_the_channel_and_counts_repeats(tmp_path: Path, flows: Path) -> None:
    out = cli(tmp_path, flows, "trigger", "post_meeting", "--channel", "console", "-f", "alice", "-p", "bob",
              "--data", "title=Weekly sync", "--dedup-key", "weekly")  # fmt: skip
    assert out.exit_code == 0, out.output
    assert out.output == (
        "Started run #1 (post_meeting) in console:triggers. Follow it with:"
        f" decisionbot --db {tmp_path / 'cli.db'} --flows {flows} runs show 1\n"
        "bot -> alice: What was decided in Weekly sync?\n"
    )
    again = cli(
        tmp_path, flows, "trigger", "post_meeting", "--channel", "console", "-f", "alice", "--dedup-key", "weekly"
    )
    assert again.output == (
        "Counted as a repeat of event 1 (run #1 is still open); no new run. "
        "Once run #1 completes or is cancelled, the same key starts a new one.\n"
    )
    slack = cli(tmp_path, flows, "trigger", "metric_breach", "-c", "slack:C0123", "-f", "U0ALICE", "-d", "metric=nps")
    assert slack.output.startswith("Started run #2 (metric_breach) in slack:C0123.")
    assert rows(tmp_path, "SELECT r.conversation, facilitator_id, delivered_at IS NULL FROM runs r"
                          " JOIN messages m ON m.run_id = r.id WHERE r.id = 2") == [("slack:C0123", "slack:U0ALICE", 1)]  # fmt: skip
    bad = cli(tmp_path, flows, "trigger", "post_meeting", "--channel", "slak:C1")
    assert bad.exit_code == 1 and "No run started: 'slak:C1' is not a channel to post in" in bad.output
    assert "teams). Try: --channel slack:C0123" in bad.output and ".." not in bad.output


def test_a_dedup_key_of_a_completed_run_starts_a_new_run(tmp_path: Path, flows: Path) -> None:
    trigger = ("trigger", "post_meeting", "-c", "console", "-f", "alice", "-p", "bob", "--dedup-key", "K1")
    assert cli(tmp_path, flows, *trigger).output.startswith("Started run #1 ")
    answers = ["We ship", "Plan", "@bob", "next friday", "done"]
    script = [json.dumps({"text": a}) for a in answers]
    script += [json.dumps({"as": "bob", "text": "yes"}), json.dumps({"as": "alice", "text": "ok"})]
    done = cli(tmp_path, flows, "chat", "--run", "1", "--jsonl", input="\n".join(script) + "\n")
    assert done.exit_code == 0, done.output
    assert cli(tmp_path, flows, *trigger).output.startswith("Started run #2 (post_meeting)")
    assert cli(tmp_path, flows, *trigger).output.startswith("Counted as a repeat of event 2 (run #2 is still open)")
    assert rows(tmp_path, "SELECT e.id, e.status, e.repeat_count, r.id, r.status FROM events e"
                          " JOIN runs r ON r.event_id = e.id ORDER BY e.id") == [
        (1, "firing", 0, 1, "completed"), (2, "firing", 1, 2, "active")
    ]  # fmt: skip


def test_trigger_of_an_unknown_flow_names_the_known_ones(tmp_path: Path, flows: Path) -> None:
    out = cli(tmp_path, flows, "trigger", "nope", "--channel", "console")
    assert out.exit_code == 1
    assert "No flow 'nope' in " in out.output and "post_meeting" in out.output and "--channel" not in out.output


def test_routes_test_shows_the_route_and_the_first_message_and_stores_nothing(tmp_path: Path) -> None:
    out = cli(tmp_path, ROOT / "flows", "routes", "test", str(SAMPLES / "grafana_firing.json"))
    assert out.exit_code == 0, out.output
    assert out.output == (
        "grafana: 'Checkout conversion fell below 2.5%' (firing, key grafana:57c6d9296de2ad39)\n"
        "  route checkout-conversion: flow metric_breach in slack:C0CHECKOUT, facilitator slack:U0CHECKOUTLEAD, "
        "participants slack:U0GROWTHPM\n"
        "  first message to U0CHECKOUTLEAD:\n"
        "    Checkout conversion fell below 2.5%: Checkout conversion is 1.9 (threshold 2.5%).\n"
        "    Details: https://grafana.example/d/shop-kpis\n"
        "    Who takes this one?\n"
    )
    data = json.loads(
        cli(tmp_path, ROOT / "flows", "routes", "test", str(SAMPLES / "alertmanager_firing.json"), "--json").output
    )
    assert [(d["route"], d["conversation"], d["dedup_key"]) for d in data] == [
        ("payments-critical", "teams:19:payments-oncall@thread.tacv2",
         'alertmanager:group:{}/{team="payments"}:{alertname="CheckoutErrorRate"}')
    ]  # fmt: skip
    assert not (tmp_path / "cli.db").exists()


def test_jobs_run_due_fires_what_is_due_at_the_given_moment(tmp_path: Path, flows: Path) -> None:
    cli(tmp_path, flows, "trigger", "post_meeting", "--channel", "console", "-f", "alice")
    due = rows(tmp_path, "SELECT due_at FROM jobs")[0][0]
    early = cli(tmp_path, flows, "jobs", "run-due", "--now", "2000-01-01T00:00:00+00:00")
    assert early.output == "0 job(s) run.\n"
    out = cli(tmp_path, flows, "jobs", "run-due", "--now", due.replace("Z", "+00:00"), "--json")
    assert [(j["kind"], j["run"], j["outcome"]) for j in json.loads(out.output)] == [("remind", 1, "done")]
    assert rows(tmp_path, "SELECT text FROM messages WHERE kind = 'prompt' ORDER BY id DESC LIMIT 1") == [
        ("Reminder: What was decided in Post-meeting decision check?",)
    ]
    bad = cli(tmp_path, flows, "jobs", "run-due", "--now", "tomorrow")
    assert bad.exit_code == 2 and "'tomorrow' is not an ISO-8601 moment" in bad.output
    for edge in ("9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z"):  # were an OverflowError's traceback
        bad = cli(tmp_path, flows, "jobs", "run-due", "--now", edge)
        assert bad.exit_code == 2 and f"'{edge}' is outside the years 1970 to 9000" in bad.output, bad.output


def test_checks_run_once_evaluates_and_records(tmp_path: Path, flows: Path) -> None:
    shop = tmp_path / "shop.db"
    conn = sqlite3.connect(shop)
    conn.execute("CREATE TABLE t (v)")
    conn.execute("INSERT INTO t VALUES (7)")
    conn.commit()
    conn.close()
    (flows / "checks.yaml").write_text(
        f"checks:\n  - {{name: refunds, sql: SELECT v FROM t, threshold: 5, direction: above, schedule: 1h,"
        f" database: '{shop}', channel: console, facilitator: alice}}\n"
    )
    out = cli(tmp_path, flows, "checks", "run", "--once")
    assert out.output == "refunds: 7 (breach) -> started\n"
    assert rows(tmp_path, "SELECT check_name, value, breached FROM check_evaluations") == [("refunds", 7.0, 1)]
    assert rows(tmp_path, "SELECT source, title FROM events") == [("check", "refunds")]


def test_a_flow_can_attach_a_calendar_invitation_for_the_review(tmp_path: Path, flows: Path) -> None:
    text = (flows / "post_meeting.yaml").read_text()
    (flows / "post_meeting.yaml").write_text(
        text.replace("  - post_summary: conversation\n",
                     "  - post_summary: conversation\n  - calendar_invite: {at: review_at, time: '14:30', duration: 45m}\n")
    )  # fmt: skip
    script = [("alice", "We ship in March"), ("alice", "Draft the plan"), ("alice", "@bob"), ("alice", JAN10),
              ("alice", "done"), ("bob", "yes"), ("alice", FEB1)]  # fmt: skip
    lines = "".join(json.dumps({"as": who, "text": t}) + "\n" for who, t in script)
    env = {"DECISIONBOT_TIMEZONE": "Europe/Paris"}
    done = cli(
        tmp_path, flows, "chat", "post_meeting", "-f", "alice", "-p", "bob,carol", "--jsonl", input=lines, env=env
    )
    assert done.exit_code == 0, done.output
    out = cli(tmp_path, flows, "runs", "invite", "1", env=env)
    assert out.exit_code == 0, out.output
    body = out.output.replace("\n ", "").splitlines()  # unfolded
    assert body[:5] == [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//decisionbot//review//EN",
        "METHOD:REQUEST",
        "BEGIN:VEVENT",
    ]
    assert f"UID:decision-1-review-{FEB1}@decisionbot" in body
    day = FEB1.replace("-", "")
    assert f"DTSTART:{day}T133000Z" in body and f"DTEND:{day}T141500Z" in body  # 14:30 Paris, 45 minutes
    assert "SUMMARY:Review: Post-meeting decision check" in body
    assert "ORGANIZER;CN=alice:urn:decisionbot:console:alice" in body
    attendees = [line for line in body if line.startswith("ATTENDEE")]
    assert attendees == [
        f"ATTENDEE;CN={n};ROLE=REQ-PARTICIPANT;RSVP=TRUE:urn:decisionbot:console:{n}" for n in ("alice", "bob", "carol")
    ]
    assert body[-2:] == ["END:VEVENT", "END:VCALENDAR"]
    saved = cli(tmp_path, flows, "runs", "invite", "1", "-o", str(tmp_path / "review.ics"))
    assert saved.output == f"Invitation written to {tmp_path / 'review.ics'}.\n"
    raw = (tmp_path / "review.ics").read_bytes()
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n") and all(len(line) <= 75 for line in raw.split(b"\r\n"))
    kinds = rows(
        tmp_path,
        "SELECT kind, json_extract(payload, '$.attachments[0].filename') FROM messages WHERE payload IS NOT NULL AND direction = 'out'",
    )
    assert kinds == [("summary", f"review-{FEB1}.ics")]
    none = cli(tmp_path, flows, "runs", "invite", "99")  # no such run: said so, as runs show says it
    assert none.exit_code == 1 and none.output.startswith("Error: No run #99. Try: ")
    assert cli(tmp_path, flows, "trigger", "post_meeting", "--channel", "console", "-f", "alice").exit_code == 0
    none = cli(tmp_path, flows, "runs", "invite", "2")  # a run under way: no invitation yet
    assert none.exit_code == 1 and "Run #2 has no calendar invitation" in none.output


def test_a_title_people_gave_is_text_in_the_invitation_not_a_template(tmp_path: Path, flows: Path) -> None:
    text = (flows / "post_meeting.yaml").read_text()
    (flows / "post_meeting.yaml").write_text(
        text.replace(
            "  - post_summary: conversation\n", "  - post_summary: conversation\n  - calendar_invite: {at: review_at}\n"
        )
    )
    script = [("alice", "We ship in March"), ("alice", "Draft the plan"), ("alice", "@alice"), ("alice", JAN10),
              ("alice", "done"), ("alice", "yes"), ("alice", FEB1)]  # fmt: skip
    lines = "".join(json.dumps({"as": who, "text": t}) + "\n" for who, t in script)
    title = "Fix {% the thing {{ decision }}"  # before: a crash on the last turn, so the run never completed
    done = cli(
        tmp_path, flows, "chat", "post_meeting", "-f", "alice", "--data", f"title={title}", "--jsonl", input=lines
    )
    assert done.exit_code == 0, done.output
    body = cli(tmp_path, flows, "runs", "invite", "1").output.replace("\n ", "")
    assert "SUMMARY:Review: Fix {% the thing {{ decision }}" in body


def test_routes_test_shows_an_alert_group_as_the_one_run_it_starts(tmp_path: Path) -> None:
    body = json.loads((SAMPLES / "alertmanager_firing.json").read_text())
    for fingerprint in ("2b41cc0000000001", "2b41cc0000000002"):
        body["alerts"].append({**body["alerts"][0], "fingerprint": fingerprint})
    (tmp_path / "group.json").write_text(json.dumps(body))
    out = cli(tmp_path, ROOT / "flows", "routes", "test", str(tmp_path / "group.json"), "--json")
    assert out.exit_code == 0, out.output
    assert [(d["title"], d["route"], d["outcome"]) for d in json.loads(out.output)] == [
        ("Checkout error rate above 5% (+2 more)", "payments-critical", "started")
    ]


def test_routes_test_of_a_payload_without_alerts_says_so(tmp_path: Path) -> None:
    body = {**json.loads((SAMPLES / "alertmanager_firing.json").read_text()), "alerts": []}
    (tmp_path / "empty.json").write_text(json.dumps(body))
    out = cli(tmp_path, ROOT / "flows", "routes", "test", str(tmp_path / "empty.json"))
    assert (out.exit_code, out.output) == (
        0, f"{tmp_path / 'empty.json'}: the alertmanager payload has no alerts: nothing to route.\n"
    )  # fmt: skip
    assert cli(tmp_path, ROOT / "flows", "routes", "test", str(tmp_path / "empty.json"), "--json").output == "[]\n"


def test_trigger_names_people_as_the_server_learnt_them(tmp_path: Path, flows: Path) -> None:
    """People given by id (-f U0ALICE) are named as the ledger knows them: Slack's users.info as
    `serve` kept it in `people`; one it never met keeps their id."""
    assert cli(tmp_path, flows, "trigger", "post_meeting", "-c", "console", "-f", "alice").exit_code == 0  # the ledger
    conn = sqlite3.connect(tmp_path / "cli.db")
    with conn:
        conn.execute("INSERT INTO people (id, name, tz, fetched_at) VALUES ('slack:U0ALICE', 'Alice Example',"
                     " 'Asia/Tokyo', '2026-11-29T00:00:00.000Z')")  # fmt: skip
    conn.close()
    out = cli(tmp_path, flows, "trigger", "post_meeting", "-c", "slack:C0123", "-f", "U0ALICE", "-p", "U0BOB")
    assert out.exit_code == 0, out.output
    [(context,)] = rows(tmp_path, "SELECT context FROM runs WHERE id = 2")
    roles = json.loads(context)["roles"]
    assert roles["facilitator"] == {"id": "slack:U0ALICE", "name": "Alice Example"}
    assert roles["participants"] == [{"id": "slack:U0BOB", "name": "U0BOB"}]
    assert json.loads(context)["trigger"]["facilitator"] == "Alice Example"


def test_trigger_leaves_out_a_bot_user_and_a_person_who_left_as_the_server_learnt_them(
    tmp_path: Path, flows: Path
) -> None:
    """`serve` kept Jira as a bot user and Dan as deactivated: `decisionbot trigger -f U0JIRA -p
    U0BOB,U0DAN` starts the run without them (before, it asked Jira and waited on it), the run
    led by whoever answers first, saying so in its thread."""
    assert cli(tmp_path, flows, "trigger", "post_meeting", "-c", "console", "-f", "alice").exit_code == 0  # the ledger
    conn = sqlite3.connect(tmp_path / "cli.db")
    with conn:
        conn.executemany(
            "INSERT INTO people (id, name, tz, fetched_at, is_bot, deactivated) VALUES (?, ?, 'UTC', ?, ?, ?)",
            [("slack:U0JIRA", "Jira", "2026-11-29T00:00:00.000Z", 1, 0),
             ("slack:U0DAN", "Dan", "2026-11-29T00:00:00.000Z", 0, 1)],
        )  # fmt: skip
    conn.close()
    out = cli(tmp_path, flows, "trigger", "post_meeting", "-c", "slack:C0123", "-f", "U0JIRA", "-p", "U0BOB,U0DAN")
    assert out.exit_code == 0, out.output
    [(context,)] = rows(tmp_path, "SELECT context FROM runs WHERE id = 2")
    roles = json.loads(context)["roles"]
    assert roles["facilitator"]["id"] == "slack:facilitator"  # the placeholder: the first to answer leads
    assert roles["participants"] == [{"id": "slack:U0BOB", "name": "U0BOB"}]
    told = rows(tmp_path, "SELECT kind, text FROM messages WHERE run_id = 2 AND direction = 'out' ORDER BY id")
    assert told == [
        ("prompt", "What was decided in Post-meeting decision check?"),
        ("info", "Jira was named to lead this run but cannot be asked: Jira is an app's bot user, not a person."
                 " Whoever answers first here leads it."),
    ]  # fmt: skip
    assert "names slack:U0DAN, who has a deactivated account: left out of its run" in out.output


def test_routes_test_reads_a_payload_as_the_hooks_do(tmp_path: Path) -> None:
    """The dry run gives a body's verdict as the live hook does: a NaN, a lone surrogate or a body
    nested too deeply refused with the hook's reason (before: a route shown for NaN, a traceback for
    the others), a legacy Grafana body with the Grafana hook's own refusal (before: the generic
    hook's schema error). Exit status 1, the file named, nothing else printed."""
    bodies = {
        "nan.json": ('{"title": "n", "value": NaN}', "NaN is not a JSON number"),
        "surrogate.json": ('{"title": "\\ud800"}', "lone surrogate"),
        "deep.json": ('{"title": "deep", "data": {"x": ' + "[" * 100_000 + "]" * 100_000 + "}}", "nested too deeply"),
        "legacy.json": (
            json.dumps(
                {"title": "[Alerting] Checkout", "ruleName": "Checkout", "state": "alerting", "evalMatches": []}
            ),
            "this is legacy Grafana alerting's body (ruleName, evalMatches)",
        ),
    }
    for name, (body, says) in bodies.items():
        (tmp_path / name).write_text(body)
        out = CliRunner().invoke(main, ["--db", str(tmp_path / "cli.db"), "routes", "test", str(tmp_path / name)])
        assert out.exit_code == 1, (name, out.output)
        assert out.exception is None or isinstance(out.exception, SystemExit), (name, out.exception)
        assert out.output.startswith(f"Error: {tmp_path / name}: ") and says in out.output, (name, out.output)


def test_routes_test_of_grafanas_contact_point_test_says_it_starts_no_run(tmp_path: Path) -> None:
    (tmp_path / "test.json").write_text(json.dumps(TEST_ALERT))
    head = "grafana: 'Notification test' (firing, key grafana:57c6d9296de2ad39)\n"
    env = {"DECISIONBOT_DEFAULT_CHANNEL": "console"}
    out = cli(tmp_path, ROOT / "flows", "routes", "test", str(tmp_path / "test.json"), env=env)
    assert (out.exit_code, out.output) == (
        0, head + "  Grafana's contact-point test: no run; the hook answers {\"test\": true} and says so in console:triggers\n"
    )  # fmt: skip
    out = cli(tmp_path, ROOT / "flows", "routes", "test", str(tmp_path / "test.json"))  # no route, no default channel
    assert out.output == head + (
        '  Grafana\'s contact-point test: no run; the hook answers {"test": true} and names the problem:'
        " no channel to post in: no route matched and DECISIONBOT_DEFAULT_CHANNEL is not set\n"
    )
    [row] = json.loads(cli(tmp_path, ROOT / "flows", "routes", "test", str(tmp_path / "test.json"), "--json").output)
    assert (row["hook"], row["outcome"], row["first_message"]) == ("grafana", "test", None)


@pytest.mark.parametrize(
    ("option", "said"),
    [
        (["-t", "   "], "Invalid value for --title:"),
        (["--dedup-key", "k\x1b"], "Invalid value for --dedup-key: must be printable text, not blank: a stable name"),
        (["--data", "decision=1"], "Invalid value for --data: decision is a name decisionbot reads itself"),
    ],
    ids=["blank title", "control in key", "reserved data"],
)
def test_the_command_line_refuses_what_the_hook_refuses(tmp_path: Path, flows: Path, option, said) -> None:
    """A blank title started 'What was decided in    ?'; a control character in a key, and --data
    decision=1 (dropped without a word), were taken, though the generic hook answers them 400."""
    result = CliRunner().invoke(
        main,
        [
            "--db",
            str(tmp_path / "cli.db"),
            "--flows",
            str(flows),
            "trigger",
            "post_meeting",
            "--channel",
            "console",
            "-f",
            "alice",
            *option,
        ],  # fmt: skip
    )
    assert result.exit_code == 2, result.output
    assert said in " ".join(result.output.split()), result.output
    assert not (tmp_path / "cli.db").exists()
