"""Chat answers fuzzed: generated text (date phrases, numbers, people, option words, commands,
any unicode, pieces of each run together) typed at a question of each answer type, through the
dispatcher as every channel drives it, against a real SQLite ledger. Never an exception: the
answer is taken (the run moves on), or refused with a reply to its writer saying what is
expected (the question stays), or it is a command (help, skip, back, cancel) that says what it did."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from bot.dispatch import Dispatcher
from bot.model import Message, Trigger
from bot.store import Database
from tests.fuzz_support import ODD_TEXT, fuzz
from tests.test_engine_turns import ALICE, BOB, CAROL, ConversationKey, make_bot

#: One flow per answer type, its question first (a fresh run is at it), then a text step.
QUESTIONS = {
    "date": "{id: q, ask: 'By when?', type: date, not_before: today, not_after: in 1 year}",
    "person": "{id: q, ask: 'Who owns it?', type: person}",
    "choice": "{id: q, ask: 'Which?', type: choice, options: [keep, change, drop]}",
    "number": "{id: q, ask: 'How many?', type: number, min: 0, max: 100}",
    "yes_no": "{id: q, ask: 'Agreed?', type: yes_no}",
    "list": (
        "{id: q, type: repeat, min_items: 1, fields: [{id: owner, ask: 'Who?', type: person},"
        " {id: due, ask: 'By when?', type: date}]}"
    ),
}
AFTER = "  - {id: after, ask: 'Anything else?', type: text, optional: true}\n"

WORDS = st.sampled_from(
    [
        # dates, good and bad
        "tomorrow",
        "next friday",
        "in 2 weeks",
        "end of month",
        "2027-02-30",
        "2026-12-31",
        "31/12",
        "12/31/2026",
        "in 99999999999 weeks",
        "in -3 days",
        "yesterday",
        "10:00",
        "friday 25:00",
        "1e9 days",
        "the 32nd",
        "0000-01-01",
        "9999-12-31",
        "next year",
        "in 1 year and 1 day",
        "Q3",
        "week 53",
        "noon",
        # numbers
        "0",
        "-1",
        "100",
        "101",
        "1e400",
        "nan",
        "inf",
        "1,5",
        "½",
        "٣",
        "0x10",
        "12 apples",
        "99999999999999999999999",
        # people
        "@bob",
        "bob",
        "Bob and Carol",
        "me",
        "myself",
        "@nobody",
        "<@U1>",
        "<@UB>",
        "alice, bob",
        "someone else",
        # options, yes/no
        "keep",
        "1",
        "4",
        "change",
        "drop it",
        "kep",
        "yes",
        "no",
        "yes and no",
        "nope",
        "👍",
        "y",
        "n",
        # commands and list words
        "help",
        "skip",
        "back",
        "done",
        "no more",
        "that's all",
        "status",
        "undo",
        "change the owner of action 2",
        # odd
        "",
        " ",
        "\n",
        "\t",
        "\x00",
        "\u202e",
        "🙂",
        "#99",
        "#99 yes",
        "a" * 5000,
    ]  # fmt: skip
)
ANSWERS = st.one_of(
    WORDS,
    WORDS,  # twice as likely: the words each type reads (or nearly) reach further than random text
    ODD_TEXT,
    st.lists(st.one_of(WORDS, st.text(max_size=6)), min_size=2, max_size=4).map(" ".join),
)
_conversations = itertools.count(1)


@pytest.fixture
def asked(tmp_path: Path, db: Database) -> Dispatcher:
    folder = tmp_path / "flows"
    folder.mkdir()
    for kind, step in QUESTIONS.items():
        (folder / f"ask_{kind}.yaml").write_text(f"id: ask_{kind}\ntitle: T\nsteps:\n  - {step}\n{AFTER}")
    return make_bot(db, flows=folder)


def where(bot: Dispatcher, run_id: int) -> tuple[Any, ...]:
    """The run's state and status, and how many answers it holds."""
    state, status = bot.db.conn.execute("SELECT state, status FROM runs WHERE id = ?", [run_id]).fetchone()
    (answers,) = bot.db.conn.execute("SELECT count(*) FROM answers WHERE run_id = ?", [run_id]).fetchone()
    return state, status, answers


@fuzz(120)
@given(kind=st.sampled_from(sorted(QUESTIONS)), text=ANSWERS)
def test_any_answer_is_taken_or_refused_saying_what_is_expected(asked: Dispatcher, kind: str, text: str) -> None:
    conversation = ConversationKey("console", f"fuzz-{next(_conversations)}")
    started = asked.start(
        Trigger(flow=f"ask_{kind}", title="T", facilitator=ALICE, participants=[BOB, CAROL]), conversation
    )
    before = where(asked, started.run_id)
    result = asked.handle(Message(conversation, ALICE, text))
    assert result is not None
    if result.run_id != started.run_id:  # '#12 yes' names another run of Alice's: placed there
        assert re.match(r"\s*#\s*\d", text), text
        return
    replies = [r for r in result.outcome.replies if r.text.strip()]
    assert replies, "no reply at all"
    assert all(len(r.text) < 4000 and "Traceback" not in r.text for r in replies)
    after = where(asked, started.run_id)
    if after == before:  # neither taken nor a command that moved the run: told why, to its writer
        told = [r for r in replies if r.to == ALICE and r.kind in ("error", "info", "prompt")]
        assert told, [(r.kind, r.text) for r in replies]
        event(f"{kind}: refused ({told[0].kind})")
    else:
        event(f"{kind}: taken or a command")


# --- what the fuzzing found, kept as explicit cases ----------------------------------------


@pytest.mark.parametrize("kind", ["person", "list"])
def test_an_unknown_person_is_quoted_short(asked: Dispatcher, kind: str) -> None:
    """'I don't know ...' repeated the answer whole: 5,000 characters typed, a 5,087-character reply."""
    conversation = ConversationKey("console", f"long-{kind}")
    asked.start(Trigger(flow=f"ask_{kind}", title="T", facilitator=ALICE, participants=[BOB, CAROL]), conversation)
    result = asked.handle(Message(conversation, ALICE, "bob " * 1500))
    assert result is not None
    [reply] = result.outcome.replies
    assert reply.kind == "error" and reply.text.startswith("I don't know 'bob bob bob"), reply.text[:100]
    assert "Name a participant (alice, bob, carol), say 'me', or @mention someone." in reply.text
    assert len(reply.text) < 200, len(reply.text)
