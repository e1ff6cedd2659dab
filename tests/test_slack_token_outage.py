"""The bot token refused beside the outbox (side calls, Home tabs): :class:`TokenOutage` says so
itself, one warning an outage whatever the calls refused, one info line counting them once a call
goes through again, and nothing while the token works."""

from __future__ import annotations

import logging

import pytest

from bot import texts
from bot.channels import ChannelDown
from bot.channels.slack_side import TokenOutage


def lines(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "decisionbot.slack"]


def test_an_outage_is_one_warning_then_one_line_counting_the_calls_refused(caplog: pytest.LogCaptureFixture) -> None:
    outage = TokenOutage(texts.slack_side_token_refused, texts.slack_side_token_works_again)
    with caplog.at_level(logging.INFO, logger="decisionbot.slack"):
        outage.works()  # no outage: nothing said
        outage.refused("chat.update", ChannelDown("token_revoked"))
        outage.refused("chat.postEphemeral", ChannelDown("token_revoked"))
        outage.refused("chat.delete", ChannelDown("invalid_auth"))
        assert (outage.error, outage.missed) == ("token_revoked", 3) and outage.since is not None
        outage.works()
        outage.works()  # the outage is over: said once
        outage.refused("chat.delete", ChannelDown("account_inactive"))  # a new outage: said again
    assert lines(caplog) == [
        (logging.WARNING, texts.slack_side_token_refused("chat.update", "token_revoked")),
        (logging.INFO, texts.slack_side_token_works_again(3)),
        (logging.WARNING, texts.slack_side_token_refused("chat.delete", "account_inactive")),
    ]
    assert (outage.error, outage.missed) == ("account_inactive", 1)


def test_the_home_tabs_outage_says_it_in_its_own_words(caplog: pytest.LogCaptureFixture) -> None:
    outage = TokenOutage(
        lambda _method, error: texts.slack_home_token_refused(error), texts.slack_home_token_works_again
    )
    with caplog.at_level(logging.INFO, logger="decisionbot.slack"):
        for _ in range(4):
            outage.refused("views.publish", ChannelDown("token_revoked"))
        outage.works()
    assert lines(caplog) == [
        (logging.WARNING, texts.slack_home_token_refused("token_revoked")),
        (logging.INFO, texts.slack_home_token_works_again(4)),
    ]
