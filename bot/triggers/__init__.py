"""Triggers: alerts, metric checks and facilitators that start decision flows.

A payload goes normaliser (``alertmanager``, ``grafana``, ``generic``) -> :class:`bot.model.Trigger`
-> router (``routes.yaml``: flow, channel, people) -> :meth:`bot.dispatch.Dispatcher.admit`
(dedup: one open run per key) -> the first prompts in the outbox.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot import texts
from bot.errors import BotError
from bot.model import Actor, ConversationKey


class PayloadError(BotError):
    """A trigger payload that cannot be used: ``str()`` names the problem (HTTP 400)."""


DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d|w)\s*$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
#: Channels a trigger may name besides those registered by the server (which may run elsewhere).
KNOWN_CHANNELS = ("console", "slack", "teams", "rasa")


#: The longest duration a file may give (a cooldown, a schedule): ten years. Past it, a number
#: overflowed timedelta (``cooldown: 99999999999999999999``, ``.inf``) into a traceback.
LONGEST = timedelta(days=3650)


def parse_duration(text: str | int | float) -> timedelta:
    """``30s``, ``5m``, ``4h``, ``1d``, ``2w`` (a bare number is seconds); ValueError for anything
    else: a negative or non-finite number, true or false (YAML's ``yes``), more than :data:`LONGEST`."""
    if isinstance(text, bool) or (isinstance(text, int | float) and not 0 <= text <= LONGEST.total_seconds()):
        raise ValueError(texts.bad_duration(str(text)))  # (nan fails the comparison too)
    if isinstance(text, int | float):
        return timedelta(seconds=text)
    match = DURATION.match(str(text))
    if not match:
        raise ValueError(texts.bad_duration(str(text)))
    try:
        duration = timedelta(**{UNITS[match.group(2)]: int(match.group(1))})
    except OverflowError:
        duration = LONGEST * 2
    if duration > LONGEST:
        raise ValueError(texts.bad_duration(str(text)))
    return duration


def channel_names() -> set[str]:
    from bot.channels import REGISTRY

    return set(KNOWN_CHANNELS) | set(REGISTRY)


#: A Slack conversation's id (C: a channel, G: a private one made before 2021, D: a direct message).
#: Slack answers events and clicks with the id, never the name: a run posted to a name would
#: not know its own thread.
SLACK_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]+")


def parse_channel(spec: str) -> ConversationKey:
    """``slack:C0123``, ``teams:<conversation>``, ``console`` or ``console:<room>``."""
    spec = spec.strip()
    channel, sep, rest = spec.partition(":")
    if channel not in channel_names():
        raise ValueError(texts.bad_channel(spec, sorted(channel_names())))
    if not sep or not rest:
        if channel != "console":
            raise ValueError(texts.bad_channel(spec, sorted(channel_names())))
        return ConversationKey("console", "triggers")
    key = ConversationKey.parse(spec)
    if channel == "slack" and not SLACK_CHANNEL_ID.fullmatch(key.conversation):
        if re.fullmatch(
            r"[A-Z][A-Z0-9]+|[A-Za-z][A-Za-z0-9]*[0-9][A-Za-z0-9]*", key.conversation
        ):  # an ID, not a channel's
            raise ValueError(texts.slack_channel_not_an_id(spec))
        raise ValueError(texts.slack_channel_by_name(spec))
    return key


def person(value: Any, channel: str) -> Actor:
    """A person named by a trigger: ``U0123`` on the run's channel, or ``slack:U0123``/``@alice``."""
    if isinstance(value, dict) and value.get("id"):
        return Actor.from_dict(value)
    text = str(value).strip().lstrip("@")
    prefix = text.split(":", 1)[0]
    if ":" in text and prefix in channel_names():
        return Actor(text, text.split(":", 1)[1])
    return Actor(f"{channel}:{text.lower() if channel == 'console' else text}", text)


#: Characters no person's id holds on any channel (Slack's U0123, Teams' 29:1abc and Azure AD
#: object ids, Rasa sender ids, e-mail addresses, console names): chat markup's (``<@U0123|name>``,
#: ``&lt;``, ``<at>``) and Markdown's backtick. Control and format characters (line breaks, ESC,
#: zero-width ones) are refused too (:func:`bad_person`).
NOT_IN_AN_ID = frozenset("<>|&`")

#: The longest person's id taken, its channel included: an e-mail address is 254 characters at
#: most (RFC 5321), after ``console:`` or ``teams:``; Slack's user ids are about 11, Teams' 29:...
#: some 90, Azure AD's 36. A longer one is no person's (:func:`bad_person`): a megabyte given as
#: an id was stored, and repeated in every prompt, transcript and log line that names them.
PERSON_ID_MAX = 300

#: The longest title and dedup key a trigger's sender may give (the generic hook's ``title`` and
#: ``dedup_key``, ``decisionbot trigger --title/--dedup-key``): past them, a 400 or exit 2 naming
#: the field. An alert's summary is cut to TITLE_MAX for display instead (Alertmanager drops a
#: notification answered 4xx, its other alerts with it).
TITLE_MAX = 500
KEY_MAX = 500
#: The longest URL taken as a trigger's link (the generic hook's ``link``: a 400 past it). An
#: alert's longer URL (a Prometheus expression some KB long) is made no link: a cut one is broken.
URL_MAX = 8192


def bad_person(value: Any) -> str | None:
    """The id in ``value`` (one person, a list, or a comma-separated string of them) that is no
    person's id on any platform, if there is one: a character no id holds, longer than
    :data:`PERSON_ID_MAX`, or nobody at all (blanks, '@', 'console:')."""
    items = value if isinstance(value, list) else str(value).split(",")
    for item in items:
        text = str(item.get("id", "") if isinstance(item, dict) else item).strip(" ")
        if text.strip() and names_nobody(text):  # '@', 'console:' (blanks are none given: an empty annotation)
            return text
        if len(text) > PERSON_ID_MAX or any(
            c in NOT_IN_AN_ID or unicodedata.category(c)[0] == "C" or c in "\u2028\u2029" for c in text
        ):
            return text
    return None


def names_nobody(text: str) -> bool:
    """``text`` names no one: blanks, '@', or a platform's prefix alone ('console:', 'slack:')."""
    bare = text.strip().lstrip("@").strip()
    prefix, sep, rest = bare.partition(":")
    return not bare or (bool(sep) and prefix in channel_names() and not rest.strip())


#: The person hints of a route or a check that name one person (the others take a list).
ONE_PERSON = frozenset({"facilitator", "backup"})


def person_hints_refused(raw: Mapping[str, Any], hints: Iterable[str]) -> tuple[str, str] | None:
    """(problem, fix) for the first of ``hints`` a route or a check of a file names no one right
    with: a list where one person goes, or an id that is no person's; None when all are right."""
    for hint in hints:
        value = raw.get(hint)
        if not value:
            continue
        if hint in ONE_PERSON and isinstance(value, list):
            return texts.one_person_in_file(hint)
        if (given := bad_person(value)) is not None:
            return texts.bad_person_in_file(hint, given, PERSON_ID_MAX, names_nobody(given))
    return None


def check_people(value: Any, where: str) -> None:
    """A :class:`PayloadError` (a 400) naming ``where`` if ``value`` names someone by no person's id."""
    if value is not None and (given := bad_person(value)) is not None:
        raise PayloadError(texts.bad_person(where, given, PERSON_ID_MAX, names_nobody(given)))


def people(value: Any, channel: str) -> list[Actor]:
    """A list, or a comma-separated string, of people."""
    items = value if isinstance(value, list) else str(value or "").split(",")
    out: list[Actor] = []
    for item in items:
        if str(item).strip() and (actor := person(item, channel)) not in out:
            out.append(actor)
    return out


#: Cron's nicknames, as the five fields they stand for.
NICKNAMES = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
             "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}  # fmt: skip


def next_time(schedule: str, after: datetime, tz: ZoneInfo) -> datetime:
    """The next moment of a schedule after ``after``: an interval (``5m``) or a cron expression
    (``0 9 * * 1-5``, or a nickname such as ``@daily``, read in ``tz``). A cron expression whose hour is ``*`` (hourly, every 15
    minutes) counts elapsed time: it runs in both hours an autumn clock change repeats. One that
    names its hours (daily, weekly, ``0 9-17 * * *``) runs each wall-clock time once: in the
    repeated hour, at its first occurrence only. A time a spring change skips runs at the first
    minute after the change (croniter's reading)."""
    try:
        return after + parse_duration(schedule)
    except ValueError:
        pass
    from croniter import CroniterBadDateError, croniter

    schedule = NICKNAMES.get(schedule.strip().lower(), schedule)  # @daily had no hour field to read
    if not croniter.is_valid(schedule):
        raise ValueError(texts.bad_schedule(schedule))
    times = croniter(schedule, after.astimezone(tz))
    try:
        found: datetime = times.get_next(datetime)
    except CroniterBadDateError as exc:  # '0 9 30 2 *': croniter's "failed to find next date"
        raise ValueError(texts.schedule_never(schedule)) from exc
    if schedule.split()[1] in ("*", "*/1"):  # every hour: the repeated hour is an hour too
        return found
    while found.astimezone(tz).fold:  # the repeat of a wall-clock time that has run (or was due) already
        found = times.get_next(datetime)
    return found


def next_slot(schedule: str, planned: datetime, now: datetime, tz: ZoneInfo) -> datetime:
    """The next time of a recurring job planned for ``planned`` and finished at ``now``. An interval
    (``5m``) counts from the planned time, not from the finish, so ``5m`` stays on 15:00, 15:05, ...
    rather than creeping by each evaluation's length; slots missed while the bot was down (or a
    job ran long) are skipped, not run in a burst: the first slot after ``now``. A cron
    expression's next time after ``now`` (its times are the clock's: it cannot creep)."""
    try:
        step = parse_duration(schedule)
    except ValueError:
        return next_time(schedule, now, tz)
    missed = max(0, (now - planned) // step)
    return planned + (missed + 1) * step


def names_hours(schedule: str) -> bool:
    """Whether ``schedule`` is a cron expression naming its hours (daily, weekly, ``0 9 * * 1-5``),
    read on each owner's clock; not an interval, nor a schedule of every hour."""
    try:
        parse_duration(schedule)
        return False
    except ValueError:
        pass
    fields = NICKNAMES.get(schedule.strip().lower(), schedule).split()
    return len(fields) >= 5 and fields[1] not in ("*", "*/1")


def moments_a_day(schedule: str) -> int:
    """How many times cron ``schedule`` fires on a day it fires (the busiest of a sample week)."""
    from croniter import croniter

    cron = NICKNAMES.get(schedule.strip().lower(), schedule)
    start = datetime(2026, 1, 5, tzinfo=ZoneInfo("UTC"))  # a Monday
    times = croniter(cron, start - timedelta(seconds=1))
    counts: dict[object, int] = {}
    while (at := times.get_next(datetime)) < start + timedelta(days=7):
        counts[at.date()] = counts.get(at.date(), 0) + 1
    return max(counts.values(), default=0)
