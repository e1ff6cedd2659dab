"""Who `/decision start` and `@decisionbot start` take as participants: the leading person
mentions, listed with spaces, commas or semicolons; a user group, a channel, `@here` or the bot
itself in their place is refused, privately, saying what is valid, and nothing starts."""

from __future__ import annotations

import json

import pytest

from bot.channels import rasa_replies
from bot.control import start_arguments
from bot.model import Actor
from tests.fakes.slack_api import BOT_USER, FakeSlack
from tests.slack_support import Harness, message, wait_for


def participants(slack: Harness, run_id: int) -> list[str]:
    [(context,)] = slack.rows("SELECT context FROM runs WHERE id = ?", run_id)
    return [p["id"] for p in json.loads(context)["roles"]["participants"]]


def title(slack: Harness, run_id: int) -> str:
    [(context,)] = slack.rows("SELECT context FROM runs WHERE id = ?", run_id)
    return str(json.loads(context)["trigger"]["title"])


def mention_start(text: str) -> dict[str, object]:
    mention = message("UA", f"<@{BOT_USER}> {text}", type="app_mention")
    del mention["channel_type"]
    return mention


async def test_participants_listed_with_commas_are_all_participants(slack: Harness, fake: FakeSlack) -> None:
    """`/decision start post_meeting @bob, @carol Weekly sync`, as people write lists (and with no
    space after the comma, or a semicolon): both are participants, none of it is in the title."""
    fake.add_user("UC", "Carol")
    for run_id, listed in enumerate(("<@UB|bob>, <@UC|carol>", "<@UB>,<@UC>", "<@UB>; <@UC>;"), start=1):
        answer = await slack.slash("UA", f"start post_meeting {listed} Weekly sync")
        assert answer["text"] == f"Started run #{run_id} (post_meeting): 'Weekly sync', with Bob, Carol.", listed
        assert participants(slack, run_id) == ["slack:UB", "slack:UC"], listed
        assert title(slack, run_id) == "Weekly sync", listed
    roots = [p["text"] for p in fake.posted() if "thread_ts" not in p]
    assert len(roots) == 3 and all("*Post-meeting decision check*: Weekly sync. The" in r for r in roots), roots


async def test_a_mention_start_with_participants_listed_with_commas(slack: Harness, fake: FakeSlack) -> None:
    fake.add_user("UC", "Carol")
    assert (await slack.event(mention_start("start post_meeting <@UB>, <@UC> Launch"))).status == 200
    await slack.posts(1)
    assert participants(slack, 1) == ["slack:UB", "slack:UC"]
    assert title(slack, 1) == "Launch"


async def test_a_mention_in_the_title_stays_in_it_and_is_a_participant(slack: Harness, fake: FakeSlack) -> None:
    """The title starts at the first word that is not a mention; a person mentioned in it takes
    part all the same, and a channel there is only words."""
    fake.add_user("UC", "Carol")
    answer = await slack.slash("UA", "start post_meeting Retro with <@UB|bob>, <@UC|carol> about <#C0DESIGN|design>")
    assert answer["text"] == "Started run #1 (post_meeting): 'Retro with @Bob, @Carol about #design', with Bob, Carol."
    assert participants(slack, 1) == ["slack:UB", "slack:UC"]
    assert title(slack, 1) == "Retro with @Bob, @Carol about #design"


@pytest.mark.parametrize(
    "named",
    [
        "<!subteam^S0DESIGN|@design-team>",
        "<#C0DESIGN|design>",
        "<!here>",
        "<!channel>",
        "<!everyone>",
        "<@UB|bob>, <!subteam^S0DESIGN|@design-team>",
    ],
)
async def test_a_user_group_or_channel_as_participant_is_refused_saying_what_is_valid(
    slack: Harness, fake: FakeSlack, named: str
) -> None:
    """`/decision start post_meeting @design-team Weekly` (a user group), `#design` (a channel) or
    `@here`: refused in an ephemeral reply that says what is valid; no run, no root posted."""
    answer = await slack.slash("UA", f"start post_meeting {named} Weekly")
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].startswith("Nothing started: "), answer["text"]
    assert "not a person" in answer["text"] and "one by one with @person" in answer["text"]
    assert "groups and channels cannot be participants" in answer["text"]
    assert slack.rows("SELECT count(*) FROM runs") == [(0,)]
    assert fake.of("chat.postMessage") == []


async def test_a_mention_start_naming_a_user_group_is_refused_to_its_writer_alone(
    slack: Harness, fake: FakeSlack
) -> None:
    mention = mention_start("start post_meeting <!subteam^S0DESIGN|@design-team> Launch")
    assert (await slack.event(mention)).status == 200
    [refusal] = await wait_for(lambda: fake.of("chat.postEphemeral"))
    assert refusal.args["user"] == "UA"
    assert refusal.args["text"].startswith("Nothing started: @design-team is not a person (a user group:")
    assert slack.rows("SELECT count(*) FROM runs") == [(0,)]
    assert fake.posted() == []


async def test_the_bot_named_as_a_participant_is_refused(slack: Harness, fake: FakeSlack) -> None:
    """The bot cannot answer its own questions: named as a participant, by `/decision start` or
    again after the mention that addresses it, nothing starts."""
    answer = await slack.slash("UA", f"start post_meeting <@UB|bob> <@{BOT_USER}|decisionbot> Weekly")
    assert answer["text"].startswith("Nothing started: ")
    assert "I cannot answer my own questions" in answer["text"] and "@person" in answer["text"]
    assert (await slack.event(mention_start(f"start post_meeting <@{BOT_USER}> Launch"))).status == 200
    [refusal] = await wait_for(lambda: fake.of("chat.postEphemeral"))
    assert "I cannot answer my own questions" in refusal.args["text"]
    assert slack.rows("SELECT count(*) FROM runs") == [(0,)]
    assert fake.posted() == []


def test_every_platform_lists_participants_the_same_way() -> None:
    """Slack and Teams write a mention as `@Name`, Rasa as `@sender`: `start` reads the same list
    the same way (commas and semicolons between or after the mentions; Teams pads its tokens)."""
    bob, carol = Actor("x:b", "Bob"), Actor("x:c", "Carol")
    mentions = {"@Bob": bob, "@Carol": carol}
    for text in ("@Bob @Carol Weekly sync", "@Bob, @Carol Weekly sync", "@Bob,@Carol; Weekly sync",
                 "@Bob , @Carol , Weekly sync", "@Bob @Bob, @Carol Weekly sync"):  # fmt: skip
        parsed = start_arguments(text.split(), mentions, {})
        assert (parsed.people, parsed.title, parsed.refused) == ([bob, carol], "Weekly sync", None), text
    parsed = start_arguments(["@Bob", "#design", "Weekly"], mentions, {"#design": "channel"})
    assert parsed.refused == ("#design", "channel")
    assert set(rasa_replies.mentions("start post_meeting @gina,@hank; Planning", [])) == {"@gina", "@hank"}


def test_and_between_the_leading_mentions_separates_them() -> None:
    """ "@alice and @bob Weekly" is how people list two: before, the list ended at "and", and the
    title read "and @Bob Weekly". An "and" (or "&") not followed by a mention starts the title."""
    bob, carol = Actor("x:b", "Bob"), Actor("x:c", "Carol")
    mentions = {"@Bob": bob, "@Carol": carol}
    for text in ("@Bob and @Carol Weekly sync", "@Bob & @Carol Weekly sync", "@Bob, and @Carol Weekly sync",
                 "@Bob AND @Carol, Weekly sync"):  # fmt: skip
        parsed = start_arguments(text.split(), mentions, {})
        assert (parsed.people, parsed.title, parsed.refused) == ([bob, carol], "Weekly sync", None), text
    parsed = start_arguments(["@Bob", "and", "Carol's", "retro"], mentions, {})
    assert (parsed.people, parsed.title) == ([bob], "and Carol's retro")
    parsed = start_arguments(["and", "@Bob", "Weekly"], mentions, {})  # no mention before it: a title
    assert (parsed.people, parsed.title) == ([bob], "and @Bob Weekly")


async def test_a_slash_start_listing_two_with_and(slack: Harness, fake: FakeSlack) -> None:
    await slack.slash("UA", "start post_meeting <@UB|bob> and <@UC|carol> Pricing review")
    assert title(slack, 1) == "Pricing review"
    assert participants(slack, 1) == ["slack:UB", "slack:UC"]


async def test_a_title_in_quotes_is_kept_without_them(slack: Harness, fake: FakeSlack) -> None:
    await slack.slash("UA", 'start post_meeting <@UB|bob> "Weekly sync"')
    await slack.slash("UA", "start post_meeting \u201cQ3 pricing\u201d")
    await slack.slash("UA", 'start post_meeting "Retro" and "Q4"')  # quotes inside: the words as typed
    assert [title(slack, n) for n in (1, 2, 3)] == ["Weekly sync", "Q3 pricing", '"Retro" and "Q4"']
    assert participants(slack, 1) == ["slack:UB"]


@pytest.mark.parametrize("named", ["<!subteam^S0DESIGN|@design-team>", "<#C0DESIGN|design>", "<!here>"])
async def test_a_direct_message_start_naming_a_group_is_refused_too(
    slack: Harness, fake: FakeSlack, named: str
) -> None:
    await slack.event(message("UA", f"start post_meeting {named} Weekly", channel="DUA"))
    [said] = await wait_for(lambda: [p["text"] for p in fake.posted() if p["channel"] == "DUA"])
    assert said.startswith("Nothing started: ") and slack.rows("SELECT count(*) FROM runs") == [(0,)]


async def test_the_bot_or_punctuation_in_a_title_leaves_the_right_people_taking_part(
    slack: Harness, fake: FakeSlack
) -> None:
    await slack.slash("UA", f"start post_meeting Retro about <@{BOT_USER}|decisionbot> with <@UB|bob>")
    await slack.slash("UA", "start post_meeting Retro (with <@UB|bob>)")
    await slack.slash("UA", 'start post_meeting "Retro with <@UB|bob>."')
    assert [participants(slack, n) for n in (1, 2, 3)] == [["slack:UB"]] * 3
    assert title(slack, 2) == "Retro (with @Bob)"


async def test_the_bot_named_as_a_participant_is_refused_by_its_name_not_its_user_id(
    slack: Harness, fake: FakeSlack
) -> None:
    """Picked from Slack's mention list, the bot comes as ``<@UBOT|decisionbot>``: before, the refusal
    read "@UBOT is not a person (that is me ...)", a bare id where people read names."""
    answer = await slack.slash("UA", f"start post_meeting <@{BOT_USER}|decisionbot> Weekly")
    assert answer["text"].startswith(
        "Nothing started: @decisionbot is not a person (that is me: I cannot answer my own questions)."
    ), answer["text"]
    assert BOT_USER not in answer["text"]
    assert slack.rows("SELECT count(*) FROM runs") == [(0,)]
