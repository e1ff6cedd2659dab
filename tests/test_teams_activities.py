"""The pure translators: Teams activities to neutral messages, replies to activities and cards."""

from __future__ import annotations

import pytest

from bot import texts
from bot.channels import teams_activities as acts
from bot.channels import teams_cards as cards
from bot.model import Actor, ConversationKey, Reply
from tests.teams_support import ALICE, BOB, BOT, CAROL, CHANNEL, TENANT, at, in_channel, installed, personal

URL = "https://smba.trafficmanager.net/emea/"


def test_the_bots_mention_is_stripped_and_other_mentions_become_people() -> None:
    body = in_channel(
        URL, ALICE, f"start post_meeting {at(BOB)} {at(CAROL)} Launch &amp; review", BOB, CAROL, root="17"
    )
    inbound = acts.parse(body)
    assert inbound.kind == "message" and inbound.addressed
    assert (inbound.base_id, inbound.thread, inbound.conversation_type) == (CHANNEL, "17", "channel")
    assert inbound.tenant_id == TENANT and inbound.service_url == URL and inbound.bot == BOT
    message = inbound.message
    assert message is not None
    assert message.text == "start post_meeting @Bob_Builder @Carol_Chen Launch & review"
    assert message.mentions == {
        "@Bob_Builder": Actor("teams:29:1bob", "Bob Builder"),
        "@Carol_Chen": Actor("teams:29:1carol", "Carol Chen"),
    }
    assert message.actor == Actor("teams:29:1alice", "Alice Example")
    assert message.conversation == ConversationKey("teams", CHANNEL, "17")
    assert inbound.activity_id == body["id"]  # replies are threaded to it
    assert message.platform_id == inbound.delivery_id == f"{CHANNEL}|{body['id']}"  # ids are unique per conversation


def test_without_the_bots_mention_a_channel_message_is_not_addressed_but_a_personal_one_is() -> None:
    body = in_channel(URL, ALICE, "hi")
    body["entities"] = []
    assert not acts.parse(body).addressed
    assert acts.parse(personal(URL, ALICE, "hi")).addressed


def test_installs_submits_and_invokes_are_told_apart() -> None:
    assert acts.parse(installed(URL, "channel", (ALICE,))).kind == "install"
    sub = personal(URL, ALICE, "")
    sub["value"] = {"answer": "yes", "decisionbot": {"run": 3, "message": 9}}
    inbound = acts.parse(sub)
    assert inbound.kind == "submit" and acts.card_ref(inbound.value or {}) == (3, 9)
    sub.update(
        type="invoke",
        name="adaptiveCard/action",
        value={"action": {"type": "Action.Execute", "data": {"answer": "no"}}},
    )
    inbound = acts.parse(sub)
    assert (inbound.kind, inbound.name, inbound.value) == ("invoke", "adaptiveCard/action", {"answer": "no"})
    sub["type"] = "typing"
    assert acts.parse(sub).kind == "ignore"
    with pytest.raises(acts.ActivityError, match="serviceUrl is missing"):
        acts.parse({"type": "message", "channelId": "msteams", "conversation": {"id": "a:1"}})


def test_conversation_ids_round_trip_through_keys() -> None:
    for cid in ("a:1AbC/dEf+g==", "19:x@thread.tacv2;messageid=1700", "%weird/id%2F"):
        base, thread = acts.split_conversation(cid)
        key = acts.key_for(base, thread)
        assert "/" not in key.conversation
        assert ConversationKey.parse(str(key)) == key
        assert acts.conversation_id(key) == cid


@pytest.mark.parametrize(
    ("value", "expects", "typed"),
    [
        ({"answer": "watch"}, {"type": "choice"}, "watch"),
        ({"answer": "no"}, {"type": "yes_no"}, "no"),
        ({"answer": "2026-12-04"}, {"type": "date"}, "2026-12-04"),
        ({"answer": " Ship it \n"}, {"type": "text"}, "Ship it"),
        ({"answer": 42}, {"type": "number"}, "42"),
        ({"answer": "x", "say": "done"}, {"type": "text"}, "done"),
        ({}, {"type": "text"}, ""),
        ({"answer": ["a", "b"]}, {"type": "text"}, ""),  # no card input submits these: no answer, never a repr
        ({"answer": {"x": 1}}, {"type": "choice"}, ""),
        ({"answer": True}, {"type": "yes_no"}, ""),
    ],
)
def test_a_submitted_value_reads_as_the_answer_a_person_would_type(value: dict, expects: dict, typed: str) -> None:
    assert acts.submitted_answer(value, expects, {}) == (typed, {})


def test_a_picked_person_becomes_a_mention() -> None:
    bob = Actor("teams:29:1bob", "Bob Builder")
    assert acts.submitted_answer({"answer": "29:1bob"}, {"type": "person"}, {"29:1bob": bob}) == (
        "@Bob_Builder",
        {"@Bob_Builder": bob},
    )


def reply(expects: dict | None, kind: str = "prompt", to: Actor | None = None) -> Reply:
    return Reply(7, ConversationKey("teams", CHANNEL), "Pick one", to=to, step="s", expects=expects, kind=kind)


def inputs(expects: dict, people: tuple[Actor, ...] = ()) -> list[dict]:
    activity = cards.reply_activity(reply(expects), bot=BOT, conversation=CHANNEL, message_id=5, people=people)
    card = activity["attachments"][0]["content"]
    assert card["type"] == "AdaptiveCard" and card["actions"][0] == {
        "type": "Action.Submit",
        "title": "Send",
        "data": {"decisionbot": {"run": 7, "message": 5}},
    }
    return card["body"][2:]


def test_each_answer_type_gets_its_input() -> None:
    choice = inputs({"type": "choice", "options": [{"value": "a", "label": "Alpha"}, {"value": "b", "label": "Beta"}]})
    assert choice[0]["type"] == "Input.ChoiceSet" and choice[0]["choices"][1] == {"title": "Beta", "value": "b"}
    yes_no = inputs({"type": "yes_no"})
    assert yes_no[0]["choices"] == [{"title": "Yes", "value": "yes"}, {"title": "No", "value": "no"}]
    date = inputs({"type": "date", "not_before": "2026-11-28", "not_after": None})
    assert date[0]["type"] == "Input.Date" and date[0]["min"] == "2026-11-28" and "max" not in date[0]
    number = inputs({"type": "number", "min": 1, "max": None})
    assert number[0]["type"] == "Input.Number" and number[0]["min"] == 1 and "max" not in number[0]
    person = inputs({"type": "person"}, (Actor("teams:29:1bob", "Bob Builder"),))
    assert person[0]["choices"] == [{"title": "Bob Builder", "value": "29:1bob"}]
    assert person[0]["choices.data"] == {"type": "Data.Query", "dataset": "graph.microsoft.com/users"}
    assert person[1]["text"] == "Pick someone, or type their @mention in a reply."
    text = inputs({"type": "text", "optional": True})
    assert text[0]["type"] == "Input.Text" and text[0]["isRequired"] is False
    assert all(i.get("id") == "answer" for i in (choice[0], yes_no[0], date[0], number[0], person[0], text[0]))


def test_plain_replies_mention_the_person_asked_in_group_conversations() -> None:
    alice = Actor("teams:29:1alice", "Alice Example")
    out = cards.reply_activity(reply(None, "error", alice), bot=BOT, conversation=CHANNEL, message_id=1, mention=True)
    assert out["text"] == "<at>Alice Example</at> Pick one" and out["textFormat"] == "markdown"
    assert out["entities"] == [
        {"type": "mention", "text": "<at>Alice Example</at>", "mentioned": {"id": "29:1alice", "name": "Alice Example"}}
    ]
    summary = Reply(7, ConversationKey("teams", CHANNEL), "Decision recorded: x\nDecided: y", kind="summary")
    assert (
        cards.reply_activity(summary, bot=BOT, conversation=CHANNEL, message_id=2)["text"]
        == "Decision recorded: x\n\nDecided: y"
    )


def test_an_answered_card_keeps_its_question_and_shows_the_answer() -> None:
    activity = cards.reply_activity(reply({"type": "yes_no"}), bot=BOT, conversation=CHANNEL, message_id=5)
    card = activity["attachments"][0]["content"]
    done = cards.answered_card(card, "Bob Builder", cards.answer_display(True, {"type": "yes_no"}, "y"))
    assert [b["text"] for b in done["body"]] == ["Decision run #7", "Pick one", "Bob Builder answered: Yes"]
    assert done["actions"] == [] and card["actions"] != []
    options = {"options": [{"value": "act", "label": "Act now"}]}
    assert cards.answer_display("act", options, "act") == "Act now"
    assert cards.answer_display({"id": "teams:29:1bob", "name": "Bob"}, None, "@Bob") == "Bob"
    assert cards.answer_display(None, None, "done") == "done"


def test_what_people_typed_is_escaped_and_only_the_bots_mentions_are_live() -> None:
    assert cards.escape("[x](https://e.example) **b** _i_ `c` ~~s~~ a*b") == (
        r"\[x\](https://e.example) \*\*b\*\* \_i\_ \`c\` \~\~s\~\~ a\*b"
    )
    # inside a word (URLs, mention tokens) an underscore is no emphasis and stays as it is
    assert cards.escape("https://x.example/a_b_c @Bob_Builder") == "https://x.example/a_b_c @Bob_Builder"
    assert cards.escape('<a href="u">t</a> & <at>Eve</at>\n# Title\n> quote') == (
        '&lt;a href="u"&gt;t&lt;/a&gt; &amp; &lt;at&gt;Eve&lt;/at&gt;\n\\# Title\n&gt; quote'
    )
    alice = Actor("teams:29:1alice", "Alice Example")
    typed = Reply(7, ConversationKey("teams", CHANNEL), "Who owns '<b>x</b>'?", to=alice, expects={"type": "person"})
    card = cards.reply_activity(typed, bot=BOT, conversation=CHANNEL, message_id=5, mention=True)["attachments"][0]
    question = card["content"]["body"][1]["text"]
    assert question == "<at>Alice Example</at> Who owns '<b>x</b>'?"  # a card renders no HTML: as typed
    done = cards.answered_card(card["content"], "Eve [admin](https://e.example)", "**yes**")
    assert done["body"][-1]["text"] == r"Eve \[admin\](https://e.example) answered: \*\*yes\*\*"


def test_a_card_too_big_for_teams_goes_as_text_with_its_options() -> None:
    options = [{"value": f"v{i}", "label": f"Option {i} " + "y" * 60} for i in range(1, 101)]
    expects = {"type": "choice", "options": options}
    labels = texts.options_line([o["label"] for o in options])
    small = Reply(7, ConversationKey("teams", CHANNEL), f"Which one?\n{labels}", step="s", expects=expects)
    card = cards.reply_activity(small, bot=BOT, conversation=CHANNEL, message_id=5)["attachments"][0]["content"]
    assert card["body"][1]["text"] == card["fallbackText"] == "Which one?"  # the input lists the options
    big = Reply(7, ConversationKey("teams", CHANNEL), "Which one? " + "z" * 30_000 + f"\n{labels}", expects=expects)
    out = cards.reply_activity(big, bot=BOT, conversation=CHANNEL, message_id=6)
    assert "attachments" not in out and cards.utf16_size(out) < cards.MAX_ACTIVITY_BYTES
    assert out["text"].endswith(cards.escape(labels)) and out["textFormat"] == "markdown"
