"""Teams cards as questions: a card answered before it got out, left behind by back, moved past,
claimed, or for someone else answers nothing and shows why. Helpers in tests/teams_support.py and
tests/test_teams.py."""

from __future__ import annotations

from pathlib import Path

from bot.admission import Admission
from bot.model import Trigger
from tests.teams_support import ALICE, BOB, CAROL, Harness, at, in_channel, installed, personal, submit, wait_for
from tests.test_teams import _routed, card_text, with_vote


async def test_a_question_answered_before_its_card_got_out_is_shown_answered(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        h.fake.refusals = [(503, None)]  # the first card is held back for a retry ...
        await h.send(personal(h.url, ALICE, "start post_meeting Weekly sync"))
        await wait_for(lambda: len(h.fake.calls) == 1)
        await h.send(personal(h.url, ALICE, "We ship in March"))  # ... and answered meanwhile
        await h.settle()
        first, second = h.fake.posts()[1:3]
        assert card_text(first.card) == "What was decided in Weekly sync?"
        # it goes out answered: one call, not a post then an update
        assert first.card["body"][-1]["text"] == "Alice Example answered: We ship in March"
        assert first.card["actions"] == [] and not [b for b in first.card["body"] if "id" in b]
        assert card_text(second.card) == "Action 1: What is the action?"
        assert h.fake.of("update") == []
        assert h.db("SELECT count(answered_at) FROM teams_cards") == [(1,)]


async def test_a_card_left_behind_by_back_is_no_longer_open(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        await h.send(personal(h.url, ALICE, "start post_meeting Weekly sync"))
        await h.next_post(0)
        await h.send(personal(h.url, ALICE, "We ship in March"))
        what = await h.next_post(1)
        await h.send(personal(h.url, ALICE, "back"))
        again = await h.next_post(2)
        assert card_text(again.card).startswith("What was decided in Weekly sync?")
        await h.send(submit(h.url, ALICE, what, {"answer": "Draft the plan"}))  # the older card
        note = await h.next_post(3)
        assert note.text == "That card is no longer open. Type your answer instead, or say 'help'."
        assert h.db("SELECT step, raw FROM answers") == [("decision", "We ship in March")]
        await h.send(submit(h.url, ALICE, again, {"say": "ok"}))
        await h.next_post(4)
        assert h.db("SELECT step, kind FROM answers ORDER BY id") == [("decision", "answer"), ("decision", "kept")]


async def test_a_card_of_a_question_the_run_moved_past_answers_nothing_even_before_its_successor_is_sent(
    tmp_path: Path,
) -> None:
    async with Harness(tmp_path) as h:
        await h.send(personal(h.url, ALICE, "start post_meeting Weekly sync"))
        await h.next_post(0)
        await h.send(personal(h.url, ALICE, "We ship in March"))
        what = await h.next_post(1)  # "Action 1: What is the action?"
        await h.settle()
        h.fake.refusals = [(503, "5")]
        await h.send(personal(h.url, ALICE, "back"))  # asks the decision again; its card waits in the outbox
        await wait_for(lambda: len(h.fake.calls) == 3)
        await h.send(submit(h.url, ALICE, what, {"answer": "Draft the plan"}))  # the older card
        await wait_for(lambda: any("something newer since" in (c.text or "") for c in h.fake.calls))
        assert h.db("SELECT step, raw FROM answers ORDER BY id") == [("decision", "We ship in March")]


async def test_the_first_card_of_a_claimed_run_is_closed_once_answered_and_cannot_answer_again(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        trigger = _routed(Trigger(flow="post_meeting", source="alertmanager", title="Disk full"))  # no facilitator
        h.services.dispatcher.admit([Admission(trigger)])
        h.services.notify("teams")
        first = await h.next_post(0)  # to the placeholder facilitator: whoever answers first takes the role
        await h.send(submit(h.url, ALICE, first, {"answer": "Add a disk"}))
        second = await h.next_post(1)
        assert "Action 1: What is the action?" in card_text(second.card)
        await h.settle()
        assert h.db("SELECT answered_at IS NOT NULL FROM teams_cards WHERE activity_id = ?", first.answer_id) == [(1,)]
        updates = [c for c in h.fake.of("update") if c.activity_id == first.answer_id]
        assert updates  # the card shows its answer, without its inputs
        await h.send(submit(h.url, ALICE, first, {"answer": "Buy a bigger disk"}))  # the same card again
        await h.settle()
        assert h.db("SELECT step, field, raw FROM answers ORDER BY id") == [("decision", None, "Add a disk")]


async def test_a_card_for_someone_else_answers_nothing_and_stays_open_for_them(tmp_path: Path) -> None:
    async with Harness(tmp_path, flows=with_vote(tmp_path)) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB, CAROL)))
        await h.send(in_channel(h.url, ALICE, f"start vote {at(BOB)} {at(CAROL)} Plan", BOB, CAROL))
        cards = [await h.next_post(0), await h.next_post(1)]
        await h.settle()
        to = {c.card["msteams"]["entities"][0]["mentioned"]["id"]: c for c in cards}
        bobs, carols = to[BOB["id"]], to[CAROL["id"]]
        mistake = submit(h.url, CAROL, bobs, {"answer": "yes"})  # Carol clicks Bob's card by mistake
        await h.send(mistake)
        await wait_for(lambda: any("asks someone else" in (c.text or "") for c in h.fake.calls))
        assert h.db("SELECT count(*) FROM answers") == [(0,)]
        await h.send(mistake)  # Teams delivers it again: kept and told once
        await h.settle()
        kept = "SELECT actor_id, kind, text, json_extract(payload, '$.widget') FROM messages WHERE kind = 'refused'"
        assert h.db(kept) == [("teams:29:1carol", "refused", "yes", "not_theirs")]  # the attempt, in the transcript
        assert sum("asks someone else" in (c.text or "") for c in h.fake.calls) == 1
        await h.send(submit(h.url, BOB, bobs, {"answer": "no"}))  # Bob's card still takes his answer
        await h.send(submit(h.url, CAROL, carols, {"answer": "yes"}))
        await h.settle()
        assert sorted(h.db("SELECT actor_id, value FROM answers")) == [
            ("teams:29:1bob", "false"),
            ("teams:29:1carol", "true"),
        ]


async def test_a_card_moved_past_by_back_in_a_list_is_not_drawn_with_the_next_answer(tmp_path: Path) -> None:
    """The due date's card, left open when 'back' asked the owner again, was redrawn with the owner
    answered after it ("answered: Alice Example" on a date question), its inputs gone."""
    async with Harness(tmp_path) as h:
        await h.send(personal(h.url, ALICE, "start post_meeting Weekly sync"))
        for n, said in enumerate(("We ship in March", "Draft the plan", "me")):
            await h.next_post(n)
            await h.send(personal(h.url, ALICE, said))
        due = await h.next_post(3)
        assert "By when should 'Draft the plan' be done?" in card_text(due.card)
        await h.send(personal(h.url, ALICE, "back"))
        await h.next_post(4)  # the owner asked again
        await h.send(personal(h.url, ALICE, "me"))
        await h.settle()
        [redrawn] = [c for c in h.fake.of("update") if c.activity_id == due.answer_id]
        last = redrawn.card["body"][-1]["text"]
        assert "something newer since" in last and "answered" not in last, last


SKIPPABLE = """id: skippable
title: Skippable
steps:
  - id: note
    ask: "Any note?"
    type: text
    optional: true
  - id: more
    ask: "Anything else?"
    type: text
"""


async def test_a_card_skipped_shows_it_was_skipped_not_that_it_closed(tmp_path: Path) -> None:
    """Its Skip pressed, the card said "That card is no longer open. Type your answer instead": read
    as her press refused, though the skip was taken."""
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "skippable.yaml").write_text(SKIPPABLE)
    async with Harness(tmp_path, flows=flows) as h:
        await h.send(personal(h.url, ALICE, "start skippable Notes"))
        note = await h.next_post(0)
        await h.send(submit(h.url, ALICE, note, {"say": "skip"}))
        await h.next_post(1)
        await h.settle()
        [redrawn] = [c for c in h.fake.of("update") if c.activity_id == note.answer_id]
        assert redrawn.card["body"][-1]["text"] == "Alice Example answered: skipped"
        assert h.db("SELECT step, kind FROM answers") == [("note", "skip")]
