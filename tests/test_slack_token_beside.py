"""The bot token refused (revoked, the app uninstalled, the bot user deactivated) for the calls
Slack's channel makes beside the outbox. Before, a Home tab refused so was one warning but nothing
in ``/healthz`` (which stayed silent until a reply of the outbox was refused), and every refused
``chat.update`` / ``chat.delete`` was a warning of its own (a busy server: a line per answer). Now
``/healthz`` says the bot token is refused, since when and what waits (still 200: the other
channels serve), and the side calls are one warning an outage and one info line once one goes
through again. The real slack-sdk against the fake Web API, events signed as Slack signs them."""

from __future__ import annotations

import logging
from functools import partial

import pytest

from bot.channels import slack_blocks as blocks
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, message, wait_for
from tests.test_slack_home import home_opened, opened
from tests.test_slack_side_calls import poster
from tests.test_slack_tokens_revoked import health

ERRORS = ["token_revoked", "invalid_auth", "account_inactive"]


def refused_calls(fake: FakeSlack, method: str) -> int:
    return len([c for c in fake.of(method) if c.result and not c.result.get("ok")])


@pytest.mark.parametrize("error", ERRORS)
async def test_a_home_tab_refused_for_the_token_shows_in_healthz_until_one_is_published(
    slack: Harness, fake: FakeSlack, error: str
) -> None:
    assert "channels_failing" not in await health(slack)
    fake.refuse("views.publish", times=2, error=error)
    await slack.event(home_opened("UA"))
    await slack.event(home_opened("UB"))
    await wait_for(lambda: refused_calls(fake, "views.publish") == 2)
    body = await health(slack)  # 200: the server serves, the Slack channel is failing
    assert body["status"] == "ok"
    said = body["channels_failing"]["slack"]
    assert said.startswith(f"Slack refuses SLACK_BOT_TOKEN ({error}) since ")
    assert said.endswith(": Home tabs are not published. Set a working SLACK_BOT_TOKEN and restart.")
    await opened(slack, "UA")  # Slack takes the token again
    assert "channels_failing" not in await health(slack)


async def test_the_outbox_and_the_home_tabs_refused_are_one_entry(slack: Harness, fake: FakeSlack) -> None:
    """The token refused for the Home tabs, then for a reply: one entry, since the first refusal,
    naming both."""
    thread = await slack.started()
    fake.refuse("views.publish", times=1000, error="token_revoked")
    await slack.event(home_opened("UA"))
    await wait_for(lambda: refused_calls(fake, "views.publish"))
    first = (await health(slack))["channels_failing"]["slack"]
    fake.refuse("chat.postMessage", times=1000, error="token_revoked")
    await slack.event(message("UA", "We ship in March", thread_ts=thread))  # its next question: refused
    said = await wait_for(lambda: "replies wait" in (slack.channel.failing() or "") and slack.channel.failing())
    assert said == first.replace(": Home tabs", ": replies wait in the outbox; Home tabs")


@pytest.mark.parametrize("error", ERRORS)
async def test_redraws_and_deletions_refused_for_the_token_are_one_warning_an_outage(
    slack: Harness, fake: FakeSlack, caplog: pytest.LogCaptureFixture, error: str
) -> None:
    caplog.set_level(logging.INFO, logger="decisionbot.slack")
    side = poster(slack)
    fake.refuse("chat.update", times=3, error=error)
    fake.refuse("chat.delete", times=2, error=error)
    for n in range(3):
        side.update_later("C9", f"1.00000{n}", blocks.withdrawn("Who owns it?"))
    for n in range(2):
        await side.retried("chat.delete", partial(side.side.chat_delete, channel="C9", ts=f"2.00000{n}"), "C9")
    await wait_for(lambda: refused_calls(fake, "chat.update") == 3)
    ours = [r for r in caplog.records if error in r.getMessage()]
    assert [r.levelno for r in ours] == [logging.WARNING]
    assert ours[0].getMessage().startswith(f"Slack refuses the bot token ({error}) for ")
    assert "not said again for each call" in ours[0].getMessage()
    assert "chat.update failed" not in caplog.text and "chat.delete failed" not in caplog.text
    said = (await health(slack))["channels_failing"]["slack"]
    assert said.endswith(": questions are not redrawn once answered, nor messages deleted. Set a working"
                         " SLACK_BOT_TOKEN and restart.")  # fmt: skip
    side.update_later("C9", "1.000009", blocks.withdrawn("Who owns it?"))  # Slack takes the token again
    line = await wait_for(lambda: [r for r in caplog.records if "takes the bot token again" in r.getMessage()])
    assert [(r.levelno, r.getMessage()) for r in line] == [
        (logging.INFO, "Slack takes the bot token again for the calls made beside the outbox (5 refused meanwhile)")
    ]
    assert "channels_failing" not in await health(slack)
    fake.refuse("chat.delete", error=error)  # a new outage: said again
    await side.retried("chat.delete", partial(side.side.chat_delete, channel="C9", ts="3.000001"), "C9")
    assert len([r for r in caplog.records if r.levelno == logging.WARNING and error in r.getMessage()]) == 2
