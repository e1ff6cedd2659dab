"""Message text both ways. Slack delivers what people type with ``&``, ``<`` and ``>`` escaped and
with its own markup for links, channels, mentions and dates; the ledger keeps the text as typed,
and what is posted back is escaped exactly once, a person answer still names its person, and no
participant can make the bot ping @channel or show a disguised link."""

from __future__ import annotations

import json
import re

from bot.channels import slack_blocks as blocks
from bot.channels import slack_messages as messages
from bot.model import Actor, ConversationKey, Reply
from tests.dates import JAN15
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, message, wait_for

#: What Slack sends for "Ship v2 if p95 < 200ms & errors > 0, per <link> and <the plan link>,
#: ask #ops @channel" typed with a pasted link, a named link, a channel and a special mention.
DECIDED = (
    "Ship v2 if p95 &lt; 200ms &amp; errors &gt; 0, per <https://dash.example/x?a=1&amp;b=2>"
    " and <https://wiki.example/plan|the plan>, ask <#C9|ops> <!channel>"
)
DECIDED_TYPED = (
    "Ship v2 if p95 < 200ms & errors > 0, per https://dash.example/x?a=1&b=2"
    " and the plan (https://wiki.example/plan), ask #ops @channel"
)


def everything_sent(fake: FakeSlack) -> str:
    return json.dumps([call.args for call in fake.calls if call.method.startswith("chat.")])


async def test_typed_text_is_stored_as_typed_and_posted_escaped_once(slack: Harness, fake: FakeSlack) -> None:
    await slack.slash("UA", "start post_meeting <@UB> Q&amp;A sync")
    root, first = await slack.posts(2)
    assert root["text"].startswith("<@UA> started *Post-meeting decision check*: Q&amp;A sync.")
    assert first["text"] == "<@UA> What was decided in Q&amp;A sync?"
    thread = root["ts"]

    await slack.event(message("UA", DECIDED, thread_ts=thread))
    await slack.event(message("UA", "Fix R&amp;D backlog", thread_ts=thread))
    owner_prompt = (await slack.posts(4))[3]
    assert owner_prompt["text"] == "<@UA> Action 1: Who owns 'Fix R&amp;D backlog'?"
    await slack.event(message("UA", "<@UB>&lt;!channel&gt;", thread_ts=thread))  # a mention, then typed "<!channel>"
    due_prompt = (await slack.posts(5))[4]
    answered = await wait_for(lambda: [u for u in fake.of("chat.update") if u.args["ts"] == owner_prompt["ts"]])
    assert "<!" not in answered[0].args["text"]
    await slack.click("UA", due_prompt, {"type": "datepicker", "selected_date": JAN15})
    await slack.click("UA", (await slack.posts(6))[5], {"type": "button", "value": "done"})
    dm = (await slack.posts(7))[6]
    assert dm["text"] == (
        f"Alice assigned you an action from 'Q&amp;A sync': 'Fix R&amp;D backlog', due {JAN15}. Do you accept it?"
    )
    await slack.click("UB", dm, {"type": "button", "value": "yes"})
    await slack.click("UA", (await slack.posts(8))[7], {"type": "button", "value": "default"})
    summary = (await slack.posts(9))[8]

    assert slack.rows("SELECT title, text FROM decisions") == [("Q&A sync", DECIDED_TYPED)]
    assert slack.rows("SELECT what, owner_id, owner_name FROM actions") == [("Fix R&D backlog", "slack:UB", "Bob")]
    assert summary["text"].startswith(
        "Decision recorded: Q&amp;A sync\nDecided: Ship v2 if p95 &lt; 200ms &amp; errors &gt; 0, per"
        " https://dash.example/x?a=1&amp;b=2 and the plan (https://wiki.example/plan), ask #ops @channel\n"
    )
    sent = everything_sent(fake)
    assert "&amp;amp;" not in sent and "&amp;lt;" not in sent  # escaped once, never twice
    assert "<!" not in sent and "<https://" not in sent  # no live @channel, no link in disguise


async def test_a_long_question_keeps_its_end(slack: Harness, fake: FakeSlack) -> None:
    """An owner's question echoing a long title and action: the section loses their middle, not
    the question (which its Yes/No buttons answer)."""
    await slack.slash("UA", "start post_meeting <@UB> " + "Q&amp;A review " * 45)  # 495 characters: 500 at most
    thread = (await slack.posts(2))[0]["ts"]
    for text in ("We ship", "Fix R&amp;D item " * 160, "<@UB>", JAN15, "done"):
        await slack.event(message("UA", text, thread_ts=thread))
    dm = (await slack.posts(7))[6]
    assert dm["channel"] == "DUB" and len(dm["text"]) > blocks.SECTION_LIMIT
    section = dm["blocks"][0]["text"]["text"]
    assert len(section) <= blocks.SECTION_LIMIT
    assert section.startswith("Alice assigned you an action from 'Q&amp;A review Q&amp;A review")
    assert section.endswith(f"Fix R&amp;D item', due {JAN15}. Do you accept it?")
    assert not re.search(r"&(?!amp;|lt;|gt;)", section)  # no escaped character cut in two
    assert [e["value"] for e in dm["blocks"][1]["elements"]] == ["yes", "no"]


def test_slack_markup_reads_as_typed() -> None:
    cases = {
        "a &amp; b &lt;c&gt;": "a & b <c>",
        "typed &amp;lt; stays &amp;lt;": "typed &lt; stays &lt;",  # unescaped once
        "<https://x.example/a?b=1&amp;c=2>": "https://x.example/a?b=1&c=2",
        "<https://x.example|the dashboard>": "the dashboard (https://x.example)",
        "<http://x.example|x.example> and <mailto:bo@x.example|bo@x.example>": "x.example and bo@x.example",
        "<#C123|general> and <#C456>": "#general and #C456",
        "<!here> <!channel> <!everyone|everyone>": "@here @channel @everyone",
        "<!subteam^S1|@leads> <!subteam^S2>": "@leads @S2",
        "<!date^1392734382^{date_num}|2014-02-18> ok": "2014-02-18 ok",
        "<@UB> and <@W2|bob> stay": "<@UB> and <@W2|bob> stay",
    }
    for slack_text, typed in cases.items():
        assert messages.typed(slack_text) == typed, slack_text
    form = {"user_id": "UA", "channel_id": "C1", "trigger_id": "t", "text": " start x Q&amp;A <!here> "}
    assert messages.slash(form).text == "start x Q&A @here"
    said = messages.said({"type": "message", "user": "UA", "channel": "C1", "ts": "1.0", "text": "R&amp;D"}, "UBOT")
    assert said is not None and said.text == "R&D"


def test_mentions_are_stored_as_names_and_still_name_their_person() -> None:
    bob, other_bob = Actor("slack:UB", "Bob Smith"), Actor("slack:UC", "Bob Smith")
    carol = Actor("slack:UD", "Carol")
    text = "<@UB> leads, <@UD|carol> helps"
    named, people = messages.named(text, messages.mentions(text, {"UB": bob, "UD": carol}))
    assert (named, people) == ("@Bob_Smith leads, @Carol helps", {"@Bob_Smith": bob, "@Carol": carol})
    both = "<@UB> or <@UC>"
    assert messages.named(both, messages.mentions(both, {"UB": bob, "UC": other_bob})) == (
        both,
        {"<@UB>": bob, "<@UC>": other_bob},
    )


def test_only_a_lone_user_mention_stays_live_in_the_answered_line() -> None:
    assert blocks.answer_text("<@UB>") == "<@UB>"
    assert blocks.answer_text("<@W2|bob>") == "<@W2|bob>"
    assert blocks.answer_text("<@UB><!channel>") == "&lt;@UB&gt;&lt;!channel&gt;"
    disguised = "<@UB><!channel><https://evil.example/login|https://intranet.example/approve>"
    assert "<" not in blocks.answer_text(disguised)
    line = blocks.answered("Who owns it?", "UA", "<@UB><!here>")["blocks"][1]["elements"][0]["text"]
    assert line == "Answered by <@UA>: &lt;@UB&gt;&lt;!here&gt;"


def test_a_section_too_long_loses_its_middle_never_its_last_line() -> None:
    text = "<@UA> Context: " + "R&amp;D " * 600 + "\nWhat was decided?"
    fitted = blocks.fit(text)
    assert len(fitted) <= blocks.SECTION_LIMIT
    assert fitted.startswith("<@UA> Context: R&amp;D") and fitted.endswith("R&amp;D \nWhat was decided?")
    assert " … " in fitted and not re.search(r"&(?!amp;|lt;|gt;)", fitted.replace(" … ", ""))
    question = "Is it y" + "e" * 2000 + "s?"
    reply = Reply(1, ConversationKey("slack", "C1", "1.0"), "x" * 2000 + "\n" + question, expects={"type": "yes_no"})
    section = blocks.message(reply, 1, to_user="UA")["blocks"][0]["text"]["text"]
    assert len(section) <= blocks.SECTION_LIMIT and section.startswith("<@UA> xxx")
    assert section.endswith("x … \n" + question)  # the last line whole
    assert blocks.fit("short") == "short"


async def test_a_person_whose_id_starts_with_the_bots_is_an_answer_not_a_mention_of_the_bot(
    slack: Harness, fake: FakeSlack
) -> None:
    """Before, a thread reply naming <@UBOTA> (the bot is UBOT) was taken for a mention of the bot,
    left to an ``app_mention`` twin Slack never sends: the owner's answer was dropped, unstored and
    unanswered."""
    fake.add_user("UBOTA", "Bea")
    await slack.slash("UA", "start post_meeting Weekly sync")
    thread = (await slack.posts(2))[0]["ts"]
    for text in ("We ship in March", "Draft the plan", "<@UBOTA>"):
        await slack.event(message("UA", text, thread_ts=thread))
    owner = await wait_for(lambda: slack.rows("SELECT value FROM answers WHERE field = 'owner'"))
    assert json.loads(owner[0][0]) == {"id": "slack:UBOTA", "name": "Bea"}
    asked = await slack.posts(5)
    assert "By when should 'Draft the plan' be done?" in asked[-1]["text"]


async def test_a_thumbs_up_is_a_yes_as_slack_writes_it(slack: Harness, fake: FakeSlack) -> None:
    """Bob answers his question with 👍 from Slack's emoji picker (a skin tone of his): Slack sends
    ``:+1::skin-tone-3:``. Before, "Please answer yes or no." (a third one handed his question to
    Alice), though 👍 is a yes typed in Teams. Now Slack's shortcodes for 👍 👎 ✅ ❌ are read as
    those emoji; other emoji stay as Slack writes them."""
    thread = await slack.started()
    for text in ("We ship :rocket:", "Draft the plan", "<@UB>", JAN15, "done"):
        await slack.event(message("UA", text, thread_ts=thread))
    await wait_for(lambda: any(p["channel"] == "DUB" for p in fake.posted()))
    await slack.event(message("UB", ":+1::skin-tone-3:", channel="DUB"))
    answered = await wait_for(lambda: slack.rows("SELECT raw, value FROM answers WHERE step = 'owner_accepts'"))
    assert answered == [("👍🏼", "true")]
    assert slack.rows("SELECT raw FROM answers WHERE step = 'decision'") == [("We ship :rocket:",)]


def test_slacks_shortcodes_for_the_emoji_that_answer_are_read_as_those_emoji() -> None:
    assert messages.typed(":+1: :thumbsup: :-1::skin-tone-6: :thumbsdown: :white_check_mark: :x:") == (
        "👍 👍 👎🏿 👎 ✅ ❌"
    )
    assert messages.typed("ship it :rocket: at 10:30") == "ship it :rocket: at 10:30"  # the rest as written
