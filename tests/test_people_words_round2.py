"""More of what people type as they type it: dates in short or loose words ("2w", "friday next
week", "mid december", "january"), "no problem" or "can't" to an owner's question, a correction
refused while a question waits, and a list gone back into. In the terminal (piped), on Slack (the
real server and slack_sdk against the fake Web API, requests signed for real) and through Rasa;
each asserts on what the bot says back and on the ledger."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.dates import JAN10, JAN12
from tests.fakes.slack_api import FakeSlack
from tests.rasa_support import Server, running_actions, texts
from tests.slack_support import ALICE_IN_PARIS_BOB_IN_NEW_YORK, SlackPeople, harness, message, wait_for
from tests.test_people_words import MEETING, chat, ledger

KIRITIMATI = "Pacific/Kiritimati"  # UTC+14: its day is ahead of UTC's for ten hours of each day
OWNED = ["We ship in March", "Draft the plan", "@bob"]


def _today(tz: str) -> date:
    return datetime.now(ZoneInfo(tz)).date()


def _typed_dates(today: date) -> dict[str, date]:
    """What each phrase means, said on ``today`` (worked out here, not by the bot's reader)."""
    mid_december = date(today.year, 12, 15)
    return {
        "2w": today + timedelta(days=14),
        "3d": today + timedelta(days=3),
        "friday next week": today + timedelta(days=7 - today.weekday() + 4),
        "mid december": mid_december if mid_december >= today else date(today.year + 1, 12, 15),
        "january": date(today.year + 1, 1, 1),  # the 1st of the next January to start
    }


@pytest.mark.parametrize("typed", ["2w", "3d", "friday next week", "mid december", "january"])
def test_a_due_date_in_short_or_loose_words_is_read_on_the_speakers_calendar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, typed: str
) -> None:
    monkeypatch.setenv("DECISIONBOT_TIMEZONE", KIRITIMATI)
    due = _typed_dates(_today(KIRITIMATI))[typed]
    out = chat(tmp_path, [*OWNED, typed, "done", "/as bob", "yes", "/as alice", "ok"], *MEETING)
    assert out.returncode == 0, out.stdout + out.stderr  # not "I can't read that as a date"
    assert f"1. Draft the plan - bob, due {due.isoformat()} (accepted)" in out.stdout
    assert ledger(tmp_path, "SELECT due FROM actions") == [(due.isoformat(),)]


@pytest.mark.parametrize(("said", "accepted"), [("No problem!", 1), ("Can’t, sorry", 0), ("not me", 0)])
def test_an_owner_saying_no_problem_or_cant_is_understood(tmp_path: Path, said: str, accepted: int) -> None:
    lines = [*OWNED, JAN10, "done", "/as bob", said]
    out = chat(tmp_path, [*lines, "/as alice", "ok"] if accepted else lines, *MEETING)
    after = out.stdout.split(f"bob> {said}\n")[1]
    assert not after.startswith("bot -> bob: Please answer yes or no."), out.stdout
    if accepted:
        assert f"1. Draft the plan - bob, due {JAN10} (accepted)" in out.stdout
    else:
        assert after.startswith("bot -> bob: Noted. I'll ask alice to reassign it.")


@pytest.mark.parametrize("said", ["Yes. No.", "Sure, but no"])
def test_yes_then_no_is_still_neither(tmp_path: Path, said: str) -> None:
    out = chat(tmp_path, [*OWNED, JAN10, "done", "/as bob", said], *MEETING)
    assert f"bob> {said}\nbot -> bob: Please answer yes or no." in out.stdout
    assert ledger(tmp_path, "SELECT count(*) FROM answers WHERE step = 'owner_accepts'") == [(0,)]


REVIEW_QUESTION = "When should we review this decision?\n    (default: in 4 weeks; say 'ok' to take it)"


@pytest.mark.parametrize(
    ("correction", "refusal"),
    [
        (
            "change budget to 5",
            "I can't find 'budget' to change. Answers so far: the decision, the actions, the owners' answers to take their actions.",
        ),
        ("change the due date of action 1 to yesterday", "That date is too early: it can't be before "),
    ],
)
def test_a_refused_correction_shows_the_question_still_waiting(tmp_path: Path, correction: str, refusal: str) -> None:
    lines = [*OWNED, JAN10, "done", "/as bob", "yes", "/as alice", correction]
    out = chat(tmp_path, lines, *MEETING)
    after = out.stdout.split(f"alice> {correction}\n")[1]
    assert after.startswith(f"bot -> alice: {refusal}"), out.stdout
    assert after.splitlines()[1:3] == [
        f"bot -> alice: Back to: {REVIEW_QUESTION}".splitlines()[0],
        REVIEW_QUESTION.splitlines()[1],
    ]
    assert ledger(tmp_path, "SELECT count(*) FROM answers WHERE kind = 'correction'") == [(0,)]


def test_a_list_gone_back_into_shows_its_items_with_the_question(tmp_path: Path) -> None:
    lines = [*OWNED, JAN10, "Book the venue", "me", JAN12, "done", "back", "ok", "done"]
    out = chat(tmp_path, [*lines, "/as bob", "yes", "/as alice", "yes", "ok"], *MEETING)
    assert out.returncode == 0, out.stdout + out.stderr
    assert (
        "alice> back\n"
        "bot -> alice: Listed so far:\n"
        f"      Action 1: Draft the plan (owner: bob, due: {JAN10})\n"
        f"      Action 2: Book the venue (owner: alice, due: {JAN12})\n"
        "bot -> alice: Action 2: By when should 'Book the venue' be done?\n"
        f"    (currently: {JAN12}; say 'ok' to keep it)\n"
    ) in out.stdout
    assert ledger(tmp_path, "SELECT what, due FROM actions ORDER BY id") == [
        ("Draft the plan", JAN10),
        ("Book the venue", JAN12),
    ]


@pytest.fixture
def slack_people() -> SlackPeople:
    return ALICE_IN_PARIS_BOB_IN_NEW_YORK


async def test_on_slack_dates_are_alices_no_problem_is_bobs_yes_and_a_refused_correction_reasks(
    tmp_path: Path, fake: FakeSlack
) -> None:
    sunday_night = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)  # already Monday 00:30 in Paris
    slack = await harness(tmp_path, fake, clock=lambda: sunday_night)
    try:
        await slack.slash("UA", "start post_meeting <@UB> Weekly sync")
        thread = (await slack.posts(2))[0]["ts"]
        for answer in ("We ship in March", "Draft the plan", "<@UB>", "friday next week", "done"):
            await slack.event(message("UA", answer, thread_ts=thread))
        asked = (await slack.posts(7))[6]
        assert asked["channel"] == "DUB" and "due 2026-12-11" in asked["text"]  # Paris' next week, not UTC's
        await slack.event(message("UB", "No problem!", channel="DUB"))
        review = (await slack.posts(8))[7]
        assert review["text"].startswith("<@UA> When should we review this decision?"), review
        await slack.event(message("UA", "change budget to 5", thread_ts=thread))
        again = await wait_for(lambda: [p for p in fake.posted() if "Back to: When should we review" in p["text"]])
        assert again[0]["thread_ts"] == thread
        assert slack.rows("SELECT value FROM answers WHERE step = 'owner_accepts'") == [("true",)]
    finally:
        await slack.client.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    yield from running_actions(tmp_path_factory)


@pytest.mark.parametrize(("said", "accepted"), [("no problem", True), ("I can't", False)])
def test_through_rasa_an_owner_saying_no_problem_or_i_cant_is_understood(
    server: Server, said: str, accepted: bool
) -> None:
    alice, bob = f"rw_alice_{accepted}", f"rw_bob_{accepted}"
    slots = {"decision_flow": "post_meeting", "decision_title": "Weekly", "decision_participants": [bob]}
    server.act("action_decision_start", alice, "/decision_start", slots=slots)
    for answer in ("We ship in March", "Draft the plan", bob, "2099-01-15", "done"):
        server.act("action_decision_answer", alice, answer, slots=slots)
    _, seen = server.act("action_decision_status", bob, "/decision_status")  # his question, on his next call
    assert any("Do you accept it?" in t for t in texts(seen)), texts(seen)
    _, body = server.act("action_decision_answer", bob, said)
    said_back = texts(body)
    assert not any("Please answer yes or no" in t for t in said_back), said_back
    stored = server.sql("SELECT value FROM answers WHERE step = 'owner_accepts' AND actor_id = ?", f"rasa:{bob}")
    assert stored == [("true" if accepted else "false",)]


@pytest.mark.parametrize("taker", ["Me!", "I'll take it.", "I got it"])
def test_who_takes_it_answered_me_or_ill_take_it_is_the_speaker(tmp_path: Path, taker: str) -> None:
    out = chat(tmp_path, [taker, "ignore", "known flake"], "metric_breach", "-f", "alice", "--data", "title=Conv")
    assert out.returncode == 0, out.stdout + out.stderr  # not "I don't know 'Me'"
    assert f"alice> {taker}\nbot -> alice: What do we do about it?" in out.stdout
    assert ledger(tmp_path, "SELECT value FROM answers WHERE step = 'acknowledge'") == [
        ('{"id": "console:alice", "name": "alice"}',)
    ]


def test_a_phones_apostrophe_ends_the_list_and_a_day_with_eod_is_that_day(tmp_path: Path) -> None:
    tomorrow = (_today("UTC") + timedelta(days=1)).isoformat()
    lines = [*OWNED, "tomorrow EOD", "that’s all", "/as bob", "no sorry"]
    out = chat(tmp_path, lines, *MEETING)
    assert "alice> tomorrow EOD\nbot -> alice: Action 2: What is the action?" in out.stdout  # a date, not refused
    assert "alice> that’s all\nbot -> bob: alice assigned you an action" in out.stdout  # not an action 'that’s all'
    assert "bob> no sorry\nbot -> bob: Noted. I'll ask alice to reassign it." in out.stdout
    assert ledger(tmp_path, "SELECT value FROM answers WHERE field = 'due'") == [(f'"{tomorrow}"',)]


@pytest.mark.parametrize("agreed", ["sounds good", "ok thanks", "Perfect!", "that works", "keep it"])
def test_a_default_is_taken_with_more_ways_to_agree(tmp_path: Path, agreed: str) -> None:
    lines = [*OWNED, JAN10, "done", "/as bob", "yes", "/as alice", agreed]
    out = chat(tmp_path, lines, *MEETING)
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"alice> {agreed}\nbot: Decision recorded: Weekly sync" in out.stdout  # not "I can't read that as a date"
    assert ledger(tmp_path, "SELECT kind FROM answers WHERE step = 'review_at'") == [("default",)]


def test_i_can_to_an_owner_question_gone_back_to_is_the_speaker_not_the_owner_kept(tmp_path: Path) -> None:
    lines = [*OWNED, "back", "I can"]
    out = chat(tmp_path, lines, *MEETING)
    assert "(currently: bob; say 'ok' to keep it)\nalice> I can\nbot -> alice: Action 1: By when" in out.stdout
    assert ledger(tmp_path, "SELECT value FROM answers WHERE field = 'owner' ORDER BY id DESC LIMIT 1") == [
        ('{"id": "console:alice", "name": "alice"}',)
    ]
