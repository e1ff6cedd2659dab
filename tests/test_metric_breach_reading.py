"""The shipped metric_breach flow's first question shows the metric's reading only when the
trigger has one: a value of 0 (orders fell to none) read "?", as `value or '?'` took 0 for
nothing; a trigger without a value (a Grafana NoData alert, a start by hand) read "is ? (threshold ?)"."""

from __future__ import annotations

import pytest

from bot.model import Trigger
from tests.test_engine_turns import ALICE, CONV, make_bot, rows


@pytest.mark.parametrize(
    ("data", "shown"),
    [
        ({"metric": "orders", "value": 0, "threshold": 5}, "Orders fell: orders is 0 (threshold 5)."),
        ({"metric": "conversion", "value": 1.9}, "Orders fell: conversion is 1.9."),
        ({}, "Orders fell."),
    ],
)
def test_the_reading_is_shown_when_there_is_one(db, data: dict, shown: str) -> None:
    bot = make_bot(db)
    bot.start(Trigger(flow="metric_breach", title="Orders fell", data=data, facilitator=ALICE), CONV)
    [(first,)] = rows(db, "SELECT text FROM messages WHERE direction = 'out' ORDER BY id LIMIT 1")
    assert first.splitlines()[0] == shown
