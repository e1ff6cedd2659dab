"""The review invitation's text: whatever people typed into a title, an answer or their name,
every content line of the .ics stays one line of allowed characters (RFC 5545 3.1, 3.3.11)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot import ics
from bot.engine.reader import read_flow_file
from bot.model import Actor
from tests.test_zones import flows_with


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


def test_a_content_line_is_folded_at_75_octets_and_never_inside_a_character() -> None:
    """RFC 5545 3.1: lines of at most 75 octets, the continuation's leading space among them; a
    line of exactly 75 octets is not folded."""
    assert ics.fold("S" * 75) == "S" * 75
    assert ics.fold("S" * 76) == "S" * 75 + "\r\n S"
    line = "SUMMARY:" + "Überprüfung 🚀 " * 40
    folded = ics.fold(line)
    parts = folded.split("\r\n")
    assert len(parts) > 3 and all(len(part.encode()) <= 75 for part in parts), [len(p.encode()) for p in parts]
    assert all(part.startswith(" ") for part in parts[1:])
    assert len(parts[0].encode()) > 72 and all(len(part.encode()) > 71 for part in parts[1:-1])  # full lines
    assert folded.replace("\r\n ", "") == line


def test_every_owner_is_invited_once_by_their_name_or_else_their_id() -> None:
    record = {
        "facilitator": {"id": "slack:UA", "name": "Alice"},
        "actions": [
            {"what": "Plan", "owner": "slack:UB", "owner_name": "Bob"},
            {"what": "Room", "owner": "slack:UC"},  # (a record of before owner_name was kept)
            {"what": "Budget", "owner": "slack:UA", "owner_name": "Alice"},
            {"what": "Notes"},  # no owner
        ],
    }
    people = ics.attendees(record, [Actor("slack:UB", "Bob"), Actor("slack:UD", "Dana")])
    assert [(a.id, a.name) for a in people] == [
        ("slack:UA", "Alice"),
        ("slack:UB", "Bob"),
        ("slack:UD", "Dana"),
        ("slack:UC", "slack:UC"),
    ]


def test_a_review_invitation_needs_the_date_answered_and_names_the_run_without_a_decision(tmp_path: Path) -> None:
    flow = read_flow_file(flows_with(tmp_path / "flows", "{at: review_at, time: '10:00'}") / "post_meeting.yaml")
    record = {
        "run": 7,
        "title": "Weekly sync",
        "decision": "Ship",
        "facilitator": {"id": "slack:UA", "name": "Alice"},
        "answers": {"review_at": "2030-02-01"},
        "actions": [],
    }
    at = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
    made = ics.review_invite(flow, record, [], None, ZoneInfo("Europe/Berlin"), at)
    assert made is not None and made["filename"] == "review-2030-02-01.ics"
    assert "UID:decision-7-review-2030-02-01@decisionbot\r\n" in made["content"]  # the run's: no decision id
    assert "DTSTART:20300201T090000Z\r\n" in made["content"]
    decided = ics.review_invite(flow, record, [], 3, ZoneInfo("Europe/Berlin"), at)
    assert decided is not None and "UID:decision-3-review-2030-02-01@decisionbot\r\n" in decided["content"]
    for answers in ({}, {"review_at": None}):  # the date step skipped or left blank
        assert ics.review_invite(flow, {**record, "answers": answers}, [], 3, ZoneInfo("Europe/Berlin"), at) is None
