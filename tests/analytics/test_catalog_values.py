"""The catalog names every value the ledger writes in its enumerated columns: an analyst filtering
``events.kind`` by what docs/analytics.md lists finds every event. Real dispatcher, real ledger:
a handover (``give A1 @carol``) and a generic event (no ``kind``) are events too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.analytics import catalog
from bot.dispatch import Dispatcher
from bot.model import ConversationKey, Message
from bot.triggers import generic
from tests.actions.support import BOB, CAROL, START, decide, dispatcher, rows, say
from tests.clock import Clock

DOCS = (Path(__file__).resolve().parents[2] / "docs" / "analytics.md").read_text()


@pytest.fixture
def bot(tmp_path: Path) -> Iterator[Dispatcher]:
    yield from dispatcher(tmp_path, Clock(START), "action_handover.yaml", "metric_breach.yaml")


def test_every_kind_of_event_the_ledger_writes_is_named_in_the_catalog(bot: Dispatcher) -> None:
    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-18")])
    say(bot, BOB, "give A1 @carol she runs it now")
    bot.handle(Message(ConversationKey("console", "carol-dm"), CAROL, "yes"))
    (drift,) = generic.parse({"title": "Churn model drifted"})
    drift.flow = "metric_breach"  # the router's part
    bot.start(drift, ConversationKey("console", "models"))
    kinds = {kind for (kind,) in rows(bot, "SELECT DISTINCT kind FROM events")}
    assert kinds == {"manual", "handover", "event"}
    described = catalog.TABLES["events"][1]["kind"]
    for kind in kinds:
        assert f"`{kind}`" in described, f"events.kind {kind!r} is not in the catalog: {described}"
        assert f"`{kind}`" in DOCS.split("### `events`", 1)[1].split("\n### ", 1)[0]
