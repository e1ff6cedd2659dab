"""A flow pushing Slack's Block Kit limits (labels over 75 characters, values over 150 or 2,000, a
hundred options, a question over 3,000 characters) asked in Slack: every message is one Slack
takes (the fake refuses what Slack refuses, ``invalid_blocks``), a label cut short says so, and the
option picked is the one answered. The real server, signed requests, the real slack-sdk against
the fake Web API, on a real SQLite ledger."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.channels import slack_blocks as blocks
from bot.model import ConversationKey, Reply
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, harness, wait_for

EXPECTS = {"type": "choice", "optional": True, "options": [{"label": "a", "value": "a"}, {"label": "b", "value": "b"}]}
LONG = "Option {}: move the launch to March, cut the mobile scope and hire two contractors for the backend"


def one_question(folder: Path, ask: str, options: list[Any]) -> Path:
    folder.mkdir(exist_ok=True)
    step = {"id": "pick", "to": "facilitator", "ask": ask, "type": "choice", "options": options}
    flow = {"id": "pick", "title": "Pick", "steps": [step]}
    (folder / "pick.yaml").write_text(yaml.safe_dump(flow))
    return folder


async def asked(tmp_path: Path, fake: FakeSlack, ask: str, options: list[Any]) -> tuple[Harness, dict[str, Any]]:
    slack = await harness(tmp_path, fake, flows=one_question(tmp_path / "flows", ask, options))
    await slack.slash("UA", "start pick Launch")
    return slack, (await slack.posts(2))[1]


def widgets(posted: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for b in posted.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]


def refused(fake: FakeSlack) -> list[str]:
    return [str(c.result.get("error")) for c in fake.calls if c.method.startswith("chat.") and not c.result.get("ok")]


async def test_long_labels_are_cut_with_an_ellipsis_and_listed_whole(tmp_path: Path, fake: FakeSlack) -> None:
    """Before, a button showed the label's first 75 characters, cut mid-word with nothing to say
    more followed ('... hire two'); now it ends with '…'; the question's text, which phones notify
    with and screen readers read, lists every label whole."""
    options = [LONG.format(1), LONG.format(2), "Keep the date"]
    slack, question = await asked(tmp_path, fake, "What do we do?", options)
    try:
        labels = [e["text"]["text"] for e in widgets(question)]
        assert labels[0] == LONG.format(1)[:74].rstrip() + "…" and len(labels[0]) <= 75
        assert labels[2] == "Keep the date"
        assert all(option in question["text"] for option in options)
        await slack.click("UA", question, {"type": "button", "value": widgets(question)[1]["value"]})
        assert await wait_for(lambda: slack.rows("SELECT json_extract(value, '$') FROM answers")) == [(LONG.format(2),)]
        assert refused(fake) == []
    finally:
        await slack.client.close()


async def test_a_menu_option_whose_value_slack_cannot_hold_answers_itself(tmp_path: Path, fake: FakeSlack) -> None:
    """Before, each option's value was cut to Slack's 150 characters: values alike in their start
    became the same, and picking the fourth answered 'That could be L0, L1, ... Which one?'."""
    options = [{"label": f"L{i}", "value": "team-" + "x" * 200 + str(i)} for i in range(7)]
    slack, question = await asked(tmp_path, fake, "Which team?", options)
    try:
        menu = widgets(question)[0]
        assert menu["type"] == "static_select"
        await slack.click("UA", question, {"type": "static_select", "selected_option": menu["options"][3]})
        assert await wait_for(lambda: slack.rows("SELECT json_extract(value, '$') FROM answers")) == [
            (options[3]["value"],)
        ]
        update = await wait_for(lambda: fake.of("chat.update"))
        assert update[0].args["text"].endswith("Answered by <@UA>: L3")
        assert refused(fake) == []
    finally:
        await slack.client.close()


async def test_a_button_whose_value_slack_cannot_hold_answers_itself(tmp_path: Path, fake: FakeSlack) -> None:
    """Before, a button's value was cut to Slack's 2,000 characters: two values alike that far
    became the same, and the click answered 'That could be A, B. Which one?'."""
    options = [{"label": name, "value": "x" * 2100 + name} for name in ("A", "B")]
    slack, question = await asked(tmp_path, fake, "Which?", options)
    try:
        await slack.click("UA", question, {"type": "button", "value": widgets(question)[1]["value"]})
        assert await wait_for(lambda: slack.rows("SELECT json_extract(value, '$') FROM answers")) == [
            (options[1]["value"],)
        ]
        assert refused(fake) == []
    finally:
        await slack.client.close()


async def test_a_hundred_long_options_and_a_long_question_are_taken_by_slack(tmp_path: Path, fake: FakeSlack) -> None:
    """The most a flow may ask (100 options, labels and values past Slack's limits, a question of
    4,000 characters): one message Slack takes, its question's end kept in the section, whole in
    the text a phone notifies with."""
    options = [LONG.format(i) + " " + "y" * 60 for i in range(100)]
    ask = "Background: " + "context " * 500 + "Which option do we take?"
    slack, question = await asked(tmp_path, fake, ask, options)
    try:
        assert refused(fake) == []
        menu = widgets(question)[0]
        assert len(menu["options"]) == 100
        assert all(len(o["text"]["text"]) <= 75 and len(o["value"]) <= 150 for o in menu["options"])
        section = question["blocks"][0]["text"]["text"]
        assert len(section) <= 3000 and "Which option do we take?" in section
        assert question["text"].startswith("<@UA> Background: context")
        await slack.click("UA", question, {"type": "static_select", "selected_option": menu["options"][41]})
        assert await wait_for(lambda: slack.rows("SELECT json_extract(value, '$') FROM answers")) == [(options[41],)]
    finally:
        await slack.client.close()


def test_the_options_line_given_up_is_the_question_s_own() -> None:
    """An answer the question echoes may hold a line that starts as an options line does: the
    line dropped from a section too long is the last one, the question's own options."""
    text = "About:\n1) the typed answer\n" + "x" * 3000 + "\nWhich?\n1) a  2) b\n(optional: say 'skip')"
    shown = blocks.message(Reply(1, ConversationKey("slack", "C1"), text, expects=EXPECTS), 1)["blocks"][0]["text"][
        "text"
    ]
    assert "1) the typed answer" in shown and "1) a  2) b" not in shown
    assert shown.endswith("Which?\n(optional: say 'skip')")
