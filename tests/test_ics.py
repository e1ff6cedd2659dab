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


def test_a_person_id_sent_by_a_hook_or_a_rasa_sender_adds_no_attendee() -> None:
    """A hook names people by id, a Rasa sender's id is the client's: a line break in one,
    written as the address, added an attendee of its own (or ended the event)."""
    at = datetime(2030, 2, 1, 9, 0, tzinfo=UTC)
    body = ics.vevent(
        uid="decision-1-review-2030-02-01@decisionbot",
        start=at,
        end=at,
        summary="Review",
        description="Decided: ship",
        organizer=Actor("slack:U0X\r\nATTENDEE:mailto:eve@example.com", "Alice"),
        attendees=[
            Actor("rasa:bob@example.com\r\nATTENDEE:mailto:eve2@example.com", "Bob"),
            Actor("rasa:carol@example.com", "Carol"),
            Actor("rasa:dan <dan@example.com>", "Dan"),
        ],
        stamp=at,
    )
    lines = body.replace("\r\n ", "").removesuffix("\r\n").split("\r\n")
    assert all(line.startswith(("BEGIN:", "VERSION:", "PRODID:", "METHOD:", "UID:", "DT", "SUMMARY:",
                                "DESCRIPTION:", "ORGANIZER;", "ATTENDEE;", "END:")) for line in lines), lines  # fmt: skip
    assert [line for line in lines if line.startswith("ATTENDEE")] == [
        "ATTENDEE;CN=Bob;ROLE=REQ-PARTICIPANT;RSVP=TRUE:urn:decisionbot:rasa:bob@example.com%0D%0AATTENDEE:mailto:eve2@example.com",
        "ATTENDEE;CN=Carol;ROLE=REQ-PARTICIPANT;RSVP=TRUE:mailto:carol@example.com",
        "ATTENDEE;CN=Dan;ROLE=REQ-PARTICIPANT;RSVP=TRUE:urn:decisionbot:rasa:dan%20%3Cdan@example.com%3E",
    ]
    assert "ORGANIZER;CN=Alice:urn:decisionbot:slack:U0X%0D%0AATTENDEE:mailto:eve@example.com" in lines
