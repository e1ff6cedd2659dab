"""Teams' limits and what people type, end to end: a card kept under the 100 KB Teams takes (the
fake connector answers 413 MessageSizeTooBig above it, as Teams does), and text people typed
repeated back without turning into links, emphasis or HTML."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from bot.channels import teams_cards as cards
from bot.channels.teams_cards import MAX_ACTIVITY_BYTES
from tests.dates import JAN15
from tests.fakes.bot_connector import Call
from tests.teams_support import ALICE, BOB, CHANNEL, Harness, at, in_channel, installed, personal, submit, wait_for


def choice_flow(tmp_path: Path, options: int, label_chars: int, ask: str = "Which one?") -> Path:
    flows = tmp_path / "flows"
    flows.mkdir()
    lines = [
        "id: pick_one",
        "title: Pick one",
        "roles: {facilitator: trigger.facilitator, participants: trigger.participants}",
        "steps:",
        "  - id: pick",
        "    to: facilitator",
        f"    ask: {json.dumps(ask)}",
        "    type: choice",
        "    options:",
    ]
    for i in range(1, options + 1):
        label = f"Option {i}: keep the enterprise pricing for the EU region " + "x" * label_chars
        lines.append(f"      - {{value: v{i}, label: {json.dumps(label[:label_chars])}}}")
    lines += ["record: {decision: pick}", "on_complete:", "  - post_summary: conversation", ""]
    (flows / "pick_one.yaml").write_text("\n".join(lines))
    return flows


def size(call: Call) -> int:
    return len(json.dumps(call.body, ensure_ascii=False).encode("utf-16-le"))


async def test_a_choice_of_many_long_options_lists_each_label_once_and_fits_a_card(tmp_path: Path) -> None:
    h = Harness(tmp_path, flows=choice_flow(tmp_path, 100, 195))
    async with h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await h.send(in_channel(h.url, ALICE, "start pick_one Pricing"))
        first = await h.next_post(0)
        card = first.card
        assert card is not None and size(first) < MAX_ACTIVITY_BYTES
        assert len(card["body"][2]["choices"]) == 100
        # the card's input lists the options: its question and fallback do not again
        assert card["body"][1]["text"] == "<at>Alice Example</at> Which one?" and card["fallbackText"] == "Which one?"
        await h.send(submit(h.url, ALICE, first, {"answer": "v42"}))
        summary = await h.next_post(1)
        assert summary.text.startswith("Decision recorded: Pricing\n\nDecided: Option 42: keep")  # its label
        await h.settle()
        assert h.db("SELECT status FROM runs") == [("completed",)]
        assert h.db("SELECT count(*) FROM messages WHERE failed_at IS NOT NULL") == [(0,)]


async def test_a_question_too_big_for_a_card_is_asked_as_text_and_answered_by_typing(tmp_path: Path) -> None:
    ask = "Which one? " + "Background of this choice, read it first. " * 600  # about 25,000 characters
    h = Harness(tmp_path, flows=choice_flow(tmp_path, 100, 60, ask))
    async with h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await h.send(in_channel(h.url, ALICE, "start pick_one Pricing"))
        first = await h.next_post(0)
        assert first.card is None and size(first) < MAX_ACTIVITY_BYTES  # not a card Teams would refuse
        assert first.text.startswith("<at>Alice Example</at> Which one? Background")
        assert "1) Option 1: keep" in first.text and "100) Option 100: keep" in first.text
        root = first.answer_id
        await h.send(in_channel(h.url, ALICE, "v7", root=root))
        summary = await h.next_post(1)
        assert summary.conversation == f"{CHANNEL};messageid={root}"
        assert summary.text.startswith("Decision recorded: Pricing\n\nDecided: Option 7: keep")  # its label
        await h.settle()
        assert h.db("SELECT status FROM runs") == [("completed",)]
        assert h.db("SELECT count(*) FROM messages WHERE failed_at IS NOT NULL") == [(0,)]


async def test_links_emphasis_and_html_people_type_are_repeated_as_typed(tmp_path: Path) -> None:
    decision = "[Approved by CFO](https://evil.example/login) **ship now**"
    action = '<a href="https://evil.example/x">https://intranet.example/plan</a> & review'
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB))
        root = (await h.next_post(0)).answer_id
        # Teams delivers typed text HTML-escaped
        await h.send(in_channel(h.url, ALICE, html.escape(decision, quote=False), root=root))
        await h.next_post(1)
        await h.send(in_channel(h.url, ALICE, html.escape(action, quote=False), root=root))
        owner = await h.next_post(2)
        shown = '&lt;a href="https://evil.example/x"&gt;https://intranet.example/plan&lt;/a&gt; &amp; review'
        assert owner.card is not None
        # a card's TextBlock takes markdown, no HTML: shown as typed (an entity would show as written)
        assert owner.card["body"][1]["text"] == f"<at>Alice Example</at> Action 1: Who owns '{action}'?"
        await h.send(submit(h.url, ALICE, owner, {"answer": "29:1bob"}))
        when = await h.next_post(3)
        await h.send(submit(h.url, ALICE, when, {"answer": JAN15}))
        more = await h.next_post(4)
        await h.send(submit(h.url, ALICE, more, {"say": "done"}))
        confirm = await h.next_post(5)
        assert confirm.conversation == "a:chat-with-29:1bob" and confirm.card is not None
        assert f"'{action}', due {JAN15}" in confirm.card["body"][1]["text"]
        await h.send(personal(h.url, BOB, "yes"))
        review = await h.next_post(6)
        await h.send(submit(h.url, ALICE, review, {"say": "ok"}))
        summary = await h.next_post(7)
        body: dict[str, Any] = summary.activity
        assert body["textFormat"] == "markdown"
        assert r"Decided: \[Approved by CFO\](https://evil.example/login) \*\*ship now\*\*" in body["text"]
        assert f"  1. {shown} - Bob Builder" in body["text"]
        assert "<a " not in body["text"] and "](" not in body["text"].replace(r"\](", "")
        # stored as typed
        assert h.db("SELECT text FROM decisions") == [(decision,)]
        assert h.db("SELECT what FROM actions") == [(action,)]


LONG = ("We ship in March & keep <the> EU price. " * 1600)[:60_000].strip()  # 60,000 characters: 120 KB as Teams counts


async def test_a_60_000_character_answer_is_kept_whole_and_every_message_repeating_it_fits(tmp_path: Path) -> None:
    """A decision and an action of 60,000 characters each typed in a channel thread: stored whole; the answered card shows
    its start, the questions repeating it keep their question (and their card), the summary goes
    in parts; Teams refuses none of it."""
    typed = html.escape(LONG, quote=False)  # Teams delivers typed text HTML-escaped
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB))
        root = (await h.next_post(0)).answer_id
        await h.send(in_channel(h.url, ALICE, typed, root=root))
        await h.next_post(1)
        await h.send(in_channel(h.url, ALICE, typed, root=root))
        owner = await h.next_post(2)
        assert owner.card is not None and size(owner) < MAX_ACTIVITY_BYTES  # still a card with its picker
        question = owner.card["body"][1]["text"]
        assert question.startswith("<at>Alice Example</at> Action 1: Who owns 'We ship in March")
        assert question.endswith(" EU price.'?") and " … " in question
        await h.send(submit(h.url, ALICE, owner, {"answer": "29:1bob"}))
        when = await h.next_post(3)
        await h.send(submit(h.url, ALICE, when, {"answer": JAN15}))
        more = await h.next_post(4)
        await h.send(submit(h.url, ALICE, more, {"say": "done"}))
        confirm = await h.next_post(5)
        assert confirm.card is not None and size(confirm) < MAX_ACTIVITY_BYTES
        await h.send(personal(h.url, BOB, "yes"))
        review = await h.next_post(6)
        await h.send(submit(h.url, ALICE, review, {"say": "ok"}))
        await h.next_post(8)
        await h.settle()
        summary = h.fake.posts()[7:]
        assert len(summary) >= 2 and summary[0].text.startswith("Decision recorded: Weekly sync")
        assert "Review on " in summary[-1].text and all(size(part) < MAX_ACTIVITY_BYTES for part in summary)
        assert all(part.conversation == f"{CHANNEL};messageid={root}" for part in summary)
        shown = sum(part.text.count("EU price") for part in summary)
        assert shown == 2 * LONG.count("EU price")  # the decision and the action, whole
        updates = h.fake.of("update")
        assert updates and all(size(update) < MAX_ACTIVITY_BYTES for update in updates)
        answered = updates[0].card
        assert answered is not None and answered["body"][-1]["text"].startswith("Alice Example answered: We ship")
        assert h.db("SELECT text FROM decisions") == [(LONG,)] and h.db("SELECT what FROM actions") == [(LONG,)]
        assert h.db("SELECT count(*) FROM messages WHERE failed_at IS NOT NULL") == [(0,)]
        assert h.db("SELECT status FROM runs") == [("completed",)]


async def test_the_list_of_a_busy_channel_is_answered_in_parts(tmp_path: Path) -> None:
    from bot.model import Actor, ConversationKey, Trigger

    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        alice = Actor("teams:29:1alice", "Alice Example")
        titles = [f"Run {n}: " + "the quarterly pricing review of the EU region " * 90 for n in range(25)]
        for title in titles:  # 25 open runs of long titles: about 210 KB to list, as Teams counts
            trigger = Trigger("post_meeting", facilitator=alice, title=title)
            h.services.dispatcher.start(trigger, ConversationKey("teams", CHANNEL))
        h.services.notify("teams")
        await h.settle()
        before = len(h.fake.posts())
        await h.send(in_channel(h.url, ALICE, "list"))
        await wait_for(lambda: len(h.fake.posts()) >= before + 3)
        said = h.fake.posts()[before:]
        assert all(size(call) < MAX_ACTIVITY_BYTES for call in said)
        listed = "\n\n".join(call.text for call in said)
        assert said[0].text.startswith("Open decision runs here:")
        assert all(cards.markdown(title.strip()) in listed for title in titles)


async def test_a_title_longer_than_500_characters_starts_nothing_and_says_why(tmp_path: Path) -> None:
    """A request's worth of title (900,000 characters) started a run and was stored again with each
    question repeating it: a MB a question, from one message."""
    async with Harness(tmp_path) as h:
        await h.send(personal(h.url, ALICE, "start post_meeting " + "T" * 900_000))
        refused = await h.next_post(0)
        assert refused.text == "Nothing started: that title is too long (900000 characters; 500 at most)."
        assert h.db("SELECT count(*) FROM runs") == [(0,)] and h.db("SELECT count(*) FROM events") == [(0,)]
        await h.send(personal(h.url, ALICE, "start post_meeting " + "T" * 500))
        await h.next_post(1)
        assert h.db("SELECT length(title) FROM events") == [(500,)]
