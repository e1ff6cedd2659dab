"""``users.info`` refused (an app made by hand without the ``users:read`` scope, a user Slack
does not know): the run goes on with the person's user id, and the log says why, naming Slack's
error and, for a missing scope, the fix. The real server, signed requests, the fake Web API."""

from __future__ import annotations

import logging

import pytest

from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness


async def test_a_missing_users_read_scope_is_named_in_the_log(
    slack: Harness, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    fake.refuse("users.info", error="missing_scope")
    with caplog.at_level(logging.WARNING, logger="decisionbot.slack"):
        answer = await slack.slash("UA", "start post_meeting Weekly sync")
    assert answer["text"] == "Started run #1 (post_meeting): 'Weekly sync'."
    assert slack.rows("SELECT facilitator_id FROM runs") == [("slack:UA",)]
    assert [r.getMessage() for r in caplog.records if "users.info" in r.getMessage()] == [
        "Slack users.info failed for UA: missing_scope. Until it answers, they go by their user id, and the"
        " dates they type are read in DECISIONBOT_TIMEZONE. The app lacks the users:read scope: add it"
        " (slack/manifest.yaml has it) and reinstall the app."
    ]


async def test_an_unknown_user_is_named_with_slacks_error(
    slack: Harness, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    fake.refuse("users.info", error="user_not_found")
    with caplog.at_level(logging.WARNING, logger="decisionbot.slack"):
        await slack.slash("UA", "start post_meeting Weekly sync")
    logged = [r.getMessage() for r in caplog.records if "users.info" in r.getMessage()]
    assert logged == [
        "Slack users.info failed for UA: user_not_found. Until it answers, they go by their user id, and the"
        " dates they type are read in DECISIONBOT_TIMEZONE."
    ]
