"""Generators for the fuzz tests (tests/test_fuzz_*.py): the real shapes of what Slack sends
(protocols.md §1, tests/slack_support.py), mutated by hypothesis: fields dropped, given values
of the wrong type, huge or odd unicode, nested wrongly, ids of another team or app. And the
invariants every answer to such a request is held to."""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Sequence
from typing import Any

from aiohttp.http_exceptions import LineTooLong
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.fakes.slack_api import APP, TEAM

#: Every fuzz test: the same examples on every run (CI stays stable), no per-example deadline
#: (a turn's first example warms caches), the function-scoped server reused on purpose (each
#: example must leave it answering the next).
#: Examples per fuzz test are multiplied by ``DECISIONBOT_FUZZ_SCALE`` (1 in CI; more to hunt
#: locally), and ``DECISIONBOT_FUZZ_RANDOM=1`` draws other examples on every run (CI: the same).
SCALE = float(os.environ.get("DECISIONBOT_FUZZ_SCALE", "1"))
RANDOM = os.environ.get("DECISIONBOT_FUZZ_RANDOM") == "1"


def fuzz(examples: int) -> settings:
    """The settings of a fuzz test running ``examples`` examples (times SCALE)."""
    return settings(FUZZ, max_examples=max(1, int(examples * SCALE)))


FUZZ = settings(
    derandomize=not RANDOM,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

#: Text Slack could carry and text it never would: unicode of every category (surrogates
#: excluded: JSON cannot encode them from Python), mentions, markup, very long.
ODD_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ["", " ", "<@UA>", "<@UBOT>", "<!channel>", "<#C1|x>", "\u202e", "\x00", "🙂" * 3, "start", "9" * 30]
    ),
    st.builds(lambda piece, times: piece * times, st.text(min_size=1, max_size=4), st.integers(1000, 12_000)),
)
#: A value of any JSON type, small or not.
HOSTILE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    ODD_TEXT,
    st.lists(st.one_of(st.none(), st.integers(), st.text(max_size=5)), max_size=3),
    st.dictionaries(st.text(max_size=5), st.one_of(st.none(), st.integers(), st.text(max_size=5)), max_size=3),
)
IDS = st.sampled_from([TEAM, APP, "T999", "A999", "E1", "", "T111\u0000"])


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into a JSON value (object keys and list indexes), the shallow ones first."""
    found: list[tuple[Any, ...]] = []
    items: Sequence[tuple[Any, Any]] = []
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    for key, inner in items:
        found.append((*prefix, key))
        found.extend(paths(inner, (*prefix, key)))
    return found


def _holder(doc: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        doc = doc[key]
    return doc


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any], most: int = 3) -> dict[str, Any]:
    """``base`` with one to ``most`` changes: a field dropped, replaced by a hostile value or
    an id of another installation, or a field added where none is expected."""
    doc = json.loads(json.dumps(base))
    for _ in range(draw(st.integers(1, most))):
        where = paths(doc)
        if not where:
            break
        path = draw(st.sampled_from(where))
        holder = _holder(doc, path)
        how = draw(st.sampled_from(["drop", "replace", "replace", "id", "add"]))
        if how == "drop":
            del holder[path[-1]]
        elif how == "replace":
            holder[path[-1]] = draw(HOSTILE)
        elif how == "id":
            holder[path[-1]] = draw(IDS)
        elif isinstance(holder, dict):
            holder[draw(st.text(min_size=1, max_size=8))] = draw(HOSTILE)
    return doc


def table_counts(conn: Any) -> dict[str, int]:
    """Rows per table, every table of the database but full-text search's own (its index is
    rewritten as a reply of an earlier request is marked delivered; ``messages_fts`` is counted)."""
    tables = [
        name
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if not re.search(r"_fts_(data|idx|docsize|config|content)$", name)
    ]
    return {table: conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in tables}


def unhandled(records: Sequence[logging.LogRecord]) -> list[str]:
    """Log records of an exception nobody handled (a traceback, an ERROR); but the fake Web API's
    own refusal of a URL over 8 KB (``users.info`` of a user id thousands of characters long: the
    bot logs that the lookup failed, and goes on)."""
    return [
        r.getMessage()
        for r in records
        if (r.exc_info or r.levelno >= logging.ERROR)
        and not (r.exc_info and isinstance(r.exc_info[1], LineTooLong) and "/api/" in str(r.exc_info[1]))
    ]
