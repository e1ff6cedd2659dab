"""What Teams people type, read as they mean it: a day written as numbers in their own locale
(the activity's ``locale``), a GIF or a sticker sent alone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests import dates
from tests.teams_support import ALICE, Harness, personal

DUE = "SELECT value FROM answers WHERE field = 'due'"


def said(h: Harness, text: str, locale: str) -> dict[str, Any]:
    act = personal(h.url, ALICE, text)
    act["locale"] = locale
    return act


async def due_typed(h: Harness, typed: str, locale: str) -> str:
    """Alice's run in her personal chat, up to the action's due date, answered ``typed``."""
    posted = len(h.fake.posts())
    for n, text in enumerate(["start post_meeting Weekly sync", "We ship in March", "Draft the plan", "me", typed]):
        await h.send(said(h, text, locale))
        await h.next_post(posted + n)
    [(value,)] = h.db(DUE)
    return str(json.loads(value))


async def test_a_day_typed_as_numbers_is_read_in_the_writers_locale(tmp_path: Path) -> None:
    """'03/04/2029' from a client in en-GB (or de-DE, fr-FR ...) is the 3rd of April; it was read as
    March 4, as dateparser's English reads it, whatever the locale Teams sent. In en-US it still is."""
    async with Harness(tmp_path) as h:
        assert await due_typed(h, f"03/04/{dates.YEAR}", "en-GB") == dates.ahead(4, 3)
    async with Harness(tmp_path, db_name="us.db") as h:
        assert await due_typed(h, f"03/04/{dates.YEAR}", "en-US") == dates.ahead(3, 4)
    async with Harness(tmp_path, db_name="de.db") as h:  # the other order when theirs names no day
        assert await due_typed(h, f"1/15/{dates.YEAR}", "de-DE") == dates.ahead(1, 15)


async def test_a_month_named_in_the_writers_language_is_read(tmp_path: Path) -> None:
    """'15. Januar 2029' from a de-DE client was no date ('I read dates like ...'): dateparser read
    English alone. The locale's language is read too, after English."""
    async with Harness(tmp_path) as h:
        assert await due_typed(h, f"15. Januar {dates.YEAR}", "de-DE") == dates.ahead(1, 15)


async def test_a_gif_sent_alone_answers_nothing_and_says_so(tmp_path: Path) -> None:
    """A GIF (Teams sends it as the HTML copy of the message, an <img>, with no text) was read as
    the bot's mention alone, 'help', and answered with the commands."""
    async with Harness(tmp_path) as h:
        gif = personal(h.url, ALICE, "")
        gif["attachments"] = [
            {
                "contentType": "text/html",
                "content": '<div><img alt="GIF" src="https://media4.giphy.com/media/a/giphy.gif"'
                ' itemtype="http://schema.skype.com/Giphy"></div>',
            }
        ]
        await h.send(gif)
        told = await h.next_post(0)
        assert told.text.startswith("I read typed text and card answers: a file or picture alone answers nothing.")


async def test_due_a1_reads_the_day_in_the_writers_locale_as_answers_are(tmp_path: Path) -> None:
    """'due A1 03/04/2029' from en-GB moved the action to 4 March (the command read dates without the
    locale), and 'due A1 15. Januar 2029' from de-DE was refused, though both read right as answers."""
    async with Harness(tmp_path) as h:
        await due_typed(h, f"20/12/{dates.YEAR}", "en-GB")
        posted = len(h.fake.posts())
        for n, text in enumerate(["done", "yes", "in 4 weeks"]):  # alice, its owner, takes it; the review
            await h.send(said(h, text, "en-GB"))
            await h.next_post(posted + n)
        assert h.db("SELECT status FROM runs") == [("completed",)]
        posted = len(h.fake.posts())
        await h.send(said(h, f"due A1 03/04/{dates.YEAR}", "en-GB"))
        await h.next_post(posted)
        assert h.db("SELECT due FROM actions") == [(dates.ahead(4, 3),)]
        await h.send(said(h, f"due A1 15. Januar {dates.YEAR}", "de-DE"))
        await h.next_post(posted + 1)
        assert h.db("SELECT due FROM actions") == [(dates.ahead(1, 15),)]
