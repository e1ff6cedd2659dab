"""What people new to the bot type that answers nothing: "what is this?", "who are you", "thanks!",
"stop", "remind me tomorrow", "hlep", "cancle", "go back". Before, each was taken as an answer (a
decision "hlep", an action "what is this?") or counted as a miss, so an owner who asked what the
bot was and thanked it lost their question to the facilitator ("Thanks, bob. I've handed this
question to alice."). Now each gets a short reply that says what is expected, counts as no miss,
and the question stays theirs. In the terminal (its real entry point) and on Slack (the real
server, signed events, the fake Web API)."""

from __future__ import annotations

from tests.dates import JAN10
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, message, wait_for
from tests.test_chat_terminal import MEETING, ledger, piped

TO_BOB = ["We ship in March", "Draft the plan", "@bob", JAN10, "done", "/as bob"]
ACCEPT = "SELECT actor_id, raw FROM answers WHERE step = 'owner_accepts'"


def test_an_owner_asking_what_this_is_and_thanking_keeps_their_question(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = piped(tmp_path, [*TO_BOB, "what is this?", "who are you", "thanks!", "stop", "remind me tomorrow", "yes"])
    said = out.stdout
    assert "handed this question" not in said and "could not answer" not in said
    about = said.split("bob> what is this?\n", 1)[1].split("bob> who are you", 1)[0]
    assert about.startswith(
        "bot -> bob: I'm decisionbot: I record decisions and their actions for the team. alice needs"
    )
    assert "Do you accept it?" in about and "Expected: yes or no." in about
    assert "bob> thanks!\nbot -> bob: You're welcome. The question above still waits for your answer" in said
    assert "bob> stop\nbot -> bob: I can't stop this question: alice's decision waits for your answer." in said
    assert "bob> remind me tomorrow\nbot -> bob: I can't postpone a question" in said
    assert ledger(tmp_path, ACCEPT) == [("console:bob", "yes")]  # his yes, not alice's in his place


def test_misspelt_help_cancel_and_go_back_are_read_as_those_words(tmp_path) -> None:  # type: ignore[no-untyped-def]
    lines = ["hlep", "We ship in March", "what is this?", "Draft the plan", "go back", "Draft the revised plan"]
    out = piped(tmp_path, [*lines, "cancle", "no", "stop", "no", "@bob"])
    said = out.stdout
    assert "alice> hlep\nbot -> alice: What was decided in Post-meeting decision check?\n    Expected: " in said
    assert "alice> go back\nbot -> alice: Action 1: What is the action?\n    (currently: Draft the plan" in said
    assert "alice> cancle\nbot -> alice: Cancel this decision run?" in said
    assert "alice> stop\nbot -> alice: Cancel this decision run?" in said  # hers to end, asked first
    texts = [row[0] for row in ledger(tmp_path, "SELECT raw FROM answers ORDER BY id")]
    assert texts == ["We ship in March", "Draft the plan", "Draft the revised plan", "@bob"]


def test_a_correction_that_says_no_new_value_asks_for_it_and_is_no_miss(tmp_path) -> None:  # type: ignore[no-untyped-def]
    lines = ["We ship in March", "Draft the plan", "@bob", JAN10, "change the due date of action 1"]
    out = piped(tmp_path, [*lines, "change the owner of action 1", "change the decision", "done"])
    said = out.stdout
    asked = "bot -> alice: Change the due date of action 1 to what? Say it in one message: 'change the due date of action 1 to ...'."
    assert f"alice> change the due date of action 1\n{asked}" in said
    assert "alice> change the decision\nbot -> alice: Change the decision to what?" in said
    assert "alice> done\nbot -> bob: alice assigned you an action" in said  # three tries, and no help forced


async def test_an_owner_on_slack_asking_what_this_is_keeps_their_question(slack: Harness, fake: FakeSlack) -> None:
    thread = await slack.started()
    await slack.say(thread, "We ship in March", "Draft the plan", "<@UB>", JAN10, "done")
    await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUB"])
    for text in ("what is this?", "who are you", "thanks!", "unsubscribe", "remind me tomorrow"):
        n = len(fake.posted())
        await slack.event(message("UB", text, channel="DUB"))
        await wait_for(lambda n=n: len(fake.posted()) > n)
    said = [p["text"] for p in fake.posted() if p["channel"] == "DUB"]
    assert said[1].startswith("I'm decisionbot: I record decisions and their actions for the team. Alice needs")
    assert said[3].startswith("You're welcome.")
    assert said[4].startswith("I can't stop this question: Alice's decision waits for your answer.")
    assert not [p for p in fake.posted() if "could not answer" in p["text"] or "handed this" in p["text"]]
    await slack.event(message("UB", "yes", channel="DUB"))
    await wait_for(lambda: slack.rows(ACCEPT) == [("slack:UB", "yes")])


async def test_slack_commands_misspelt_or_asked_about_say_what_was_meant(slack: Harness) -> None:
    assert (await slack.slash("UA", "staus 3"))["text"].startswith("I don't know 'staus'. Did you mean 'status 3'?")
    assert (await slack.slash("UA", "cancle 3"))["text"].startswith("I don't know 'cancle'. Did you mean 'cancel 3'?")
    assert (await slack.slash("UA", "hlep"))["text"].startswith("Commands: start FLOW")
    about = (await slack.slash("UA", "who are you?"))["text"]
    assert about.startswith("I'm decisionbot: I walk a team through a decision") and "Commands: start FLOW" in about
    assert (await slack.slash("UA", "thanks!"))["text"] == "You're welcome."
    pasted = "x" * 150_000  # a token or URL pasted alone: it was echoed whole, in four posts on Teams
    said = (await slack.slash("UA", pasted))["text"]
    assert said.startswith(f"I don't know '{'x' * 60}…'. Commands: start FLOW") and len(said) < 1_000


def test_after_the_run_the_terminal_reads_misspelt_commands_thanks_and_questions(tmp_path) -> None:  # type: ignore[no-untyped-def]
    after = ["hlep", "staus 1", "thanks!", "who are you?", "unsubscribe", "lost my laptop"]
    out = piped(tmp_path, [*MEETING, *after])
    assert out.returncode == 0, out.stderr
    said = out.stdout
    assert "alice> hlep\nbot -> alice: Commands: actions | done ACTION" in said
    assert "alice> staus 1\nbot -> alice: I don't know 'staus'. Did you mean 'status 1'? Say 'help'" in said
    assert "alice> thanks!\nbot -> alice: You're welcome.\n" in said
    assert "alice> who are you?\nbot -> alice: I'm decisionbot: I walk a team through a decision" in said
    assert "alice> unsubscribe\nbot -> alice: There is nothing to unsubscribe from" in said
    assert "alice> lost my laptop\nbot -> alice: Nothing waits for your answer here" in said  # no 'list' read in it


async def test_a_direct_message_misspelt_or_thanking_with_nothing_waiting_is_answered(
    slack: Harness, fake: FakeSlack
) -> None:
    for text in ("hlep", "staus 1", "thanks!", "who are you?", "unsubscribe", "lost my laptop"):
        n = len(fake.posted())
        await slack.event(message("UB", text, channel="DUB"))
        await wait_for(lambda n=n: len(fake.posted()) > n)
    said = [p["text"] for p in fake.posted()]
    assert said[0].startswith("Commands: start FLOW")
    assert said[1].startswith("I don't know 'staus'. Did you mean 'status 1'?")
    assert said[2:3] == ["You're welcome."]
    assert said[3].startswith("I'm decisionbot: I walk a team through a decision")
    assert said[4].startswith("There is nothing to unsubscribe from")
    assert said[5] == "Nothing is waiting for your answer here. Try: /decision help"
