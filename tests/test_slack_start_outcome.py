"""A Slack start's outcome as a plain value, put in the words of the surface that asked: the slash
command's private answer, the form's "Started" (a message's mrkdwn) or the error under its field
(plain words, as the form shows them)."""

from __future__ import annotations

from bot import texts
from bot.channels.slack_start_outcome import Refused, Started, mrkdwn, slash_answer


def test_a_start_is_said_in_its_own_words_and_a_paced_one_says_why_its_thread_comes_later() -> None:
    started = Started(3, texts.run_started(3, "post_meeting"))
    assert started.words() == "Started run #3 (post_meeting)."
    paced = Started(3, texts.run_started(3, "post_meeting"), paced=True)
    assert paced.words() == f"Started run #3 (post_meeting). {texts.slack_start_paced()}"
    assert slash_answer(paced).body == {"response_type": "ephemeral", "text": paced.words()}


def test_a_refusal_keeps_its_plain_words_and_a_message_escapes_them() -> None:
    refused = Refused("Nothing started: <flows> & more")
    assert refused.words() == "Nothing started: <flows> & more"  # as the form's field shows it
    assert mrkdwn(refused) == "Nothing started: &lt;flows&gt; &amp; more"
    assert slash_answer(refused).body == {"response_type": "ephemeral", "text": mrkdwn(refused)}


def test_a_repeat_is_answered_with_nothing() -> None:
    answer = slash_answer(None)
    assert answer.body is None and answer.status == 200


def test_the_people_a_start_names_by_id_are_live_mentions() -> None:
    started = Started(4, "Started run #4 with @UB.", frozenset({"UB"}))
    assert "<@UB>" in mrkdwn(started)
