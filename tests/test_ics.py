"""The review invitation's text: whatever people typed into a title, an answer or their name,
every content line of the .ics stays one line of allowed characters (RFC 5545 3.1, 3.3.11)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bot import ics
from bot.model import Actor


def test_carriage_returns_and_control_characters_in_what_people_typed_stay_inside_their_line() -> None:
    at = datetime(2030, 2, 1, 9, 0, tzinfo=UTC)
    body = ics.vevent(
        uid="decision-1-review-2030-02-01@decisionbot",
        start=at,
        end=at,
        summary="Q3\rplan\x07 review",  # a lone CR: before, it ended the SUMMARY line (vobject refused the file)
        description="Decided: ship\r\nActions:\rnone\x00",
        organizer=Actor("slack:UA", "Alice\r\nMallory"),
        attendees=[Actor("slack:UB", "Bob\x1b[31m")],
        stamp=at,
    )
    lines = body.removesuffix("\r\n").split("\r\n")
    assert all("\r" not in line and "\n" not in line for line in lines)
    assert not [line for line in lines if re.search(r"[\x00-\x08\x0b-\x1f\x7f]", line)]
    unfolded = body.replace("\r\n ", "")
    assert "SUMMARY:Q3\\nplan review\r\n" in unfolded
    assert "DESCRIPTION:Decided: ship\\nActions:\\nnone\r\n" in unfolded
    assert "ORGANIZER;CN=Alice Mallory:urn:decisionbot:slack:UA\r\n" in unfolded
    assert "ATTENDEE;CN=Bob[31m;ROLE=REQ-PARTICIPANT;RSVP=TRUE:urn:decisionbot:slack:UB\r\n" in unfolded
