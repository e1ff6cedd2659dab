"""Teams mentions that name no one person (a tag, a channel, a team, everyone in a group chat, the
bot itself, another bot) and the answer to ``actions`` asked where others read it: the real
server against the fake Bot Connector, with mentions shaped as Teams sends them (see
``bot.channels.teams_mentions.mention_kind`` for the sources)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot import texts
from bot.channels import teams_activities as acts
from bot.channels import teams_cards as cards
from bot.engine.answers import AnswerError, ParseContext
from bot.engine.people import parse_person
from bot.model import Actor, ConversationKey, Message, Trigger
from tests.teams_support import (
    ALICE,
    BOB,
    BOT,
    CAROL,
    CHANNEL,
    TEAM,
    TENANT,
    Harness,
    activity,
    at,
    in_channel,
    installed,
    personal,
)
from tests.teams_support import mention as person_mention

URL = "https://smba.trafficmanager.net/emea/"
GROUP_CHAT = "19:2f4e0c6a1b7d4c29a3e1f0b2d5c8e7a9@thread.v2"
TAG_ID = "NTI4ZGJlM2YtMTVlMC00ZTM3LTg0YTEtMDBjYzMwNTg0N2RkIyNlYzgwMTVmMC1iMmYxLTQxZTItODA0OC1hMGE2OTcwNmM5ZGI="


def named(name: str, **mentioned: Any) -> dict[str, Any]:
    """A mention entity of ``mentioned`` (its id and what Teams adds), shown as ``<at>name</at>``."""
    return {"type": "mention", "text": f"<at>{name}</at>", "mentioned": {"name": name, **mentioned}}


TAG = named("Design", id=TAG_ID, type="tag")
GENERAL = named("General", id=CHANNEL)
THE_TEAM = named("Team A", id=TEAM, conversationIdentityType="team")
EVERYONE = named("Everyone", id=GROUP_CHAT)
OTHER_BOT = named("Polly", id="28:0a1b2c3d-0000-4000-8000-000000000077")
BOT_AGAIN = named(BOT["name"], id=BOT["id"])


def group_chat(sender: dict[str, Any], text: str, *entities: dict[str, Any]) -> dict[str, Any]:
    """A group chat message that @mentions the bot first."""
    conv = {"id": GROUP_CHAT, "conversationType": "groupChat", "isGroup": True, "tenantId": TENANT}
    return activity(URL, sender, conv, f"{at(BOT)} {text}", [person_mention(BOT), *entities])


def channel_post(url: str, sender: dict[str, Any], text: str, *entities: dict[str, Any], root: str | None = None):
    """A channel message that @mentions the bot first, with the mention ``entities`` after it."""
    act = in_channel(url, sender, text, root=root)
    act["entities"] = [*act["entities"], *entities]
    return act


def test_a_tag_a_channel_a_team_everyone_and_bots_are_no_people_and_real_users_stay_people() -> None:
    tag, general, team, other = (at_of(e) for e in (TAG, GENERAL, THE_TEAM, OTHER_BOT))
    body = channel_post(
        URL, ALICE, f"start post_meeting {tag} {general}, {team} {other} {at(BOT)} {at(BOB)} Retro", TAG, GENERAL
    )
    body["entities"] += [THE_TEAM, OTHER_BOT, BOT_AGAIN, person_mention(BOB)]
    message = acts.parse(body).message
    assert message is not None
    assert message.text == "start post_meeting @Design @General , @Team_A @Polly @DecisionBot @Bob_Builder Retro"
    assert message.mentions == {"@Bob_Builder": Actor("teams:29:1bob", "Bob Builder")}
    assert message.not_people == {
        "@Design": "group",
        "@General": "channel",
        "@Team_A": "team",
        "@Polly": "app",
        "@DecisionBot": "bot",
    }

    everyone = acts.parse(group_chat(ALICE, f"start post_meeting {at_of(EVERYONE)} Retro", EVERYONE)).message
    assert everyone is not None and everyone.mentions == {} and everyone.not_people == {"@Everyone": "everyone"}

    # the Agents Playground's users (protocols.md §6) and its bot, and a personal chat's lone mention
    playground = {"id": "00000000-0000-0000-0000-00000000000011", "name": "Test Bot"}
    user = {"id": "user-id-1", "name": "Megan Bowen"}
    conv = {"id": "team-id", "conversationType": "channel", "isGroup": True, "tenantId": TENANT}
    sent = activity(URL, ALICE, conv, f"<at>Test Bot</at> start post_meeting {at(user)}", recipient=playground)
    sent["entities"] = [person_mention(playground), person_mention(user)]
    played = acts.parse(sent).message
    assert played is not None and played.not_people == {}
    assert played.mentions == {"@Megan_Bowen": Actor("teams:user-id-1", "Megan Bowen")}
    alone = activity(URL, ALICE, {"id": "a:1", "conversationType": "personal"}, f"start post_meeting {at(BOT)} Retro")
    alone["entities"] = [person_mention(BOT)]
    read = acts.parse(alone)
    assert read.addressed and read.message is not None
    assert (read.message.text, read.message.not_people) == (
        "start post_meeting @DecisionBot Retro",
        {"@DecisionBot": "bot"},
    )


def at_of(entity: dict[str, Any]) -> str:
    return str(entity["text"])


@pytest.mark.parametrize(
    ("where", "entity", "word", "kind", "what"),
    [
        ("channel", TAG, "@Design", "group", "a user group"),
        ("channel", GENERAL, "@General", "channel", "a channel"),
        ("channel", THE_TEAM, "@Team_A", "team", "a team"),
        ("channel", BOT_AGAIN, "@DecisionBot", "bot", "that is me"),
        ("channel", OTHER_BOT, "@Polly", "app", "another bot"),
        ("group", EVERYONE, "@Everyone", "everyone", "everyone here"),
    ],
)
async def test_a_start_naming_no_one_person_is_refused_and_stores_nothing(
    tmp_path: Path, where: str, entity: dict[str, Any], word: str, kind: str, what: str
) -> None:
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        text = f"start post_meeting {at(BOB)}, {at_of(entity)} Retro"
        if where == "channel":
            body = channel_post(h.url, ALICE, text, person_mention(BOB), entity)
        else:
            body = group_chat(ALICE, text, person_mention(BOB), entity)
            body["serviceUrl"] = h.url
        await h.send(body)
        refusal = await h.next_post(0)
        assert refusal.method == "reply" and refusal.activity_id == body["id"]
        assert refusal.text == cards.markdown(texts.command_not_a_person(word, kind))
        assert refusal.text.startswith(f"Nothing started: {word} is not a person ({what}: ")
        await h.settle()
        assert len(h.fake.posts()) == 1
        assert h.db("SELECT count(*) FROM runs") == h.db("SELECT count(*) FROM events") == [(0,)]
        assert h.db("SELECT count(*) FROM messages") == [(0,)]
        people = {row[0] for row in h.db("SELECT user_id FROM teams_users")}
        assert people == {"29:1alice", "29:1bob"}  # the tag, channel, team or bot is no one seen


async def test_in_a_title_they_are_only_words(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await h.send(channel_post(h.url, ALICE, f"start post_meeting Retro with {at_of(TAG)}", TAG))
        await h.next_post(0)
        assert h.db("SELECT title FROM events") == [("Retro with @Design",)]
        assert TAG_ID not in str(h.db("SELECT payload FROM events")) + str(h.db("SELECT context FROM runs"))


async def test_a_person_question_answered_with_a_tag_is_asked_again(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await h.send(in_channel(h.url, ALICE, "start post_meeting Weekly sync"))
        root = (await h.next_post(0)).answer_id
        await h.send(in_channel(h.url, ALICE, "We move the launch to March", root=root))
        await h.next_post(1)
        await h.send(in_channel(h.url, ALICE, "Draft the plan", root=root))
        await h.next_post(2)  # who owns it?
        await h.send(channel_post(h.url, ALICE, at_of(TAG), TAG, root=root))
        again = await h.next_post(3)
        assert again.text.startswith("<at>Alice Example</at> I don't know 'Design'.")
        assert again.card is None  # a re-prompt: the question's card stays open
        await h.send(in_channel(h.url, ALICE, at(BOB), BOB, root=root))
        when = await h.next_post(4)
        assert when.card is not None and "By when" in str(when.card)
        await h.settle()
        owners = h.db("SELECT actor_id, value FROM answers WHERE step = 'actions'")
        assert TAG_ID not in str(owners) and "teams:29:1bob" in str(owners)


async def test_a_person_question_answered_with_another_bot_says_it_is_a_bot(tmp_path: Path) -> None:
    """Another app's bot (its id ``28:...``) named as an owner: before, 'I don't know 'Polly'', as
    if the bot did not know whom Alice named; now the re-prompt says Polly is no person."""
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await h.send(in_channel(h.url, ALICE, "start post_meeting Weekly sync"))
        root = (await h.next_post(0)).answer_id
        for n, text in enumerate(("We move the launch to March", "Draft the plan"), start=1):
            await h.send(in_channel(h.url, ALICE, text, root=root))
            await h.next_post(n)
        await h.send(channel_post(h.url, ALICE, at_of(OTHER_BOT), OTHER_BOT, root=root))
        again = await h.next_post(3)
        assert again.text == (
            "<at>Alice Example</at> Polly is a bot (an app), not a person: it cannot be asked or own anything."
            " Name a person: a participant (Alice Example), 'me', or an @mention."
        )
        await h.settle()
        assert h.db("SELECT count(*) FROM answers WHERE step = 'actions' AND field = 'owner'") == [(0,)]


def test_a_mention_of_no_one_person_is_never_read_as_a_name() -> None:
    dan = Actor("teams:29:1dan", "Designer Dan")
    ctx = ParseContext(
        now=date(2026, 11, 28),
        tz=None,
        speaker=Actor("teams:29:1alice", "Alice"),
        people=(dan,),  # type: ignore[arg-type]
    )
    assert parse_person("@Design", ctx) == dan  # a name's start, typed: Dan
    told = ParseContext(ctx.now, ctx.tz, ctx.speaker, ctx.people, not_people={"@Design": "group"})
    with pytest.raises(AnswerError) as refused:
        parse_person("@Design", told)
    assert refused.value.code == "person_unknown" and refused.value.params["name"] == "Design"


# --- actions: the caller's alone --------------------------------------------------------------


async def decided_in_the_channel(h: Harness) -> None:
    """A meeting decided in the team's channel: Bob owns action A1 of Alice's decision."""
    alice, bob = (Actor(f"teams:{p['id']}", p["name"]) for p in (ALICE, BOB))
    await h.send(installed(h.url, "channel", (ALICE, BOB)))
    dispatcher = h.services.dispatcher
    conv = ConversationKey("teams", CHANNEL)
    dispatcher.start(Trigger(flow="post_meeting", title="Weekly sync", facilitator=alice), conv)
    due = (date.today() + timedelta(days=30)).isoformat()
    for text in ("We ship in March", "Draft the plan", "@owner", due, "done"):
        dispatcher.handle(Message(conv, alice, text, mentions={"@owner": bob}))
    dispatcher.handle(Message(conv, bob, "yes"))
    dispatcher.handle(Message(conv, alice, "ok"))
    h.services.notify("teams")
    await h.settle()


async def test_actions_asked_in_a_channel_or_a_group_chat_are_answered_in_a_personal_chat(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        await decided_in_the_channel(h)
        sent = len(h.fake.posts())
        asked = in_channel(h.url, ALICE, "actions")  # she has no personal chat with the bot yet
        await h.send(asked)
        await h.next_post(sent + 1)
        await h.settle()
        new = h.fake.posts()[sent:]
        assert [c.conversation for c in h.fake.of("create")][-1] == "a:chat-with-29:1alice"
        assert [c.conversation for c in new] == ["a:chat-with-29:1alice", f"{CHANNEL};messageid={asked['id']}"]
        assert new[0].text.startswith("Open actions of decisions you lead (1):")
        assert "Draft the plan" in new[0].text
        assert (new[1].text, new[1].activity_id) == (cards.markdown(texts.teams_told_alone()), asked["id"])

        sent = len(h.fake.posts())
        in_group = group_chat(BOB, "actions")
        in_group["serviceUrl"] = h.url
        await h.send(in_group)
        await h.next_post(sent + 1)
        await h.settle()
        said = [(c.conversation, c.text) for c in h.fake.posts()[sent:]]
        assert said[0][0] == "a:chat-with-29:1bob" and said[0][1].startswith("Bob Builder, your open actions (1):")
        assert said[1:] == [(GROUP_CHAT, cards.markdown(texts.teams_told_alone()))]


async def test_actions_never_go_to_the_channel_when_no_personal_chat_can_be_had(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        await decided_in_the_channel(h)
        sent = len(h.fake.posts())
        h.fake.refuse("create", 403)
        asked = in_channel(h.url, ALICE, "actions")
        await h.send(asked)
        told = await h.next_post(sent)
        await h.settle()
        pointer = cards.markdown(texts.teams_not_told_alone())
        assert (told.conversation, told.text) == (f"{CHANNEL};messageid={asked['id']}", pointer)
        assert len(h.fake.posts()) == sent + 1
        assert not [c for c in h.fake.posts() if "Draft the plan" in c.text and "Open actions" in c.text]


async def test_a_directory_name_with_a_comma_is_one_participant(tmp_path: Path) -> None:
    """Directories often name people "Smith, John": their mention is one word (``@Smith_John``),
    not split at the comma that separates participants (John was dropped from the run)."""
    smith = {"id": "29:1smith", "name": "Smith, John", "aadObjectId": "00000000-0000-0000-0000-0000000000d4"}
    assert acts.mention_token(smith["name"]) == "@Smith_John"
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB, smith)))
        await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(smith)}, {at(BOB)} Retro", smith, BOB))
        await h.next_post(0)
        assert h.db("SELECT title FROM events") == [("Retro",)]
        context = str(h.db("SELECT context FROM runs"))
        assert "29:1smith" in context and "29:1bob" in context


async def test_the_bots_own_message_echoed_to_it_is_ignored(tmp_path: Path) -> None:
    """An activity from the bot itself (``from`` is its ``recipient``) started a run it led, and stored it as a person."""
    async with Harness(tmp_path) as h:
        own = in_channel(h.url, BOT, "start post_meeting Weekly sync")
        resp = await h.post(own)
        assert resp.status in (200, 201), await resp.text()
        assert h.db("SELECT count(*) FROM runs") == [(0,)] and h.db("SELECT count(*) FROM messages") == [(0,)]
        assert h.db("SELECT count(*) FROM teams_users WHERE user_id = ?", BOT["id"]) == [(0,)]
        await h.send(in_channel(h.url, ALICE, "start post_meeting Weekly sync"))
        assert h.db("SELECT facilitator_id FROM runs") == [("teams:" + ALICE["id"],)]


async def test_status_of_a_run_of_elsewhere_asked_in_a_channel_is_told_in_a_personal_chat(tmp_path: Path) -> None:
    """Alice's run lives in her personal chat and names Bob. His 'status 1' in a team channel was answered
    there, for every member to read: its title and the question waiting, which quotes her answers."""
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB, CAROL)))
        start = personal(h.url, ALICE, f"start post_meeting {at(BOB)} Restructuring of Carol's team")
        start["entities"] = [person_mention(BOB)]
        await h.send(start)
        for n, said in enumerate(("We cut two positions", "Tell Carol on Friday")):
            await h.next_post(n)
            await h.send(personal(h.url, ALICE, said))
        await h.next_post(2)
        sent = len(h.fake.posts())
        asked = in_channel(h.url, BOB, "status 1")
        await h.send(asked)
        await h.next_post(sent + 1)
        await h.settle()
        new = [(c.conversation, c.text) for c in h.fake.posts()[sent:]]
        assert new[0][0] == "a:chat-with-29:1bob" and "Restructuring of Carol" in new[0][1]
        assert new[1:] == [(f"{CHANNEL};messageid={asked['id']}", cards.markdown(texts.teams_told_alone(status=True)))]
        assert not [text for conversation, text in new if conversation.startswith(CHANNEL) and "Carol's team" in text]
