"""Run numbers in commands (`status N`, `cancel N`) as people and platforms type them: only ASCII
digits that fit a ledger id name a run; anything else asks which run, on every channel alike."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.control import run_command
from bot.dispatch import Dispatcher
from bot.flow_catalog import FlowCatalog
from bot.model import Actor, ConversationKey
from bot.store import open_db

FLOWS = Path(__file__).resolve().parents[1] / "flows"


@pytest.mark.parametrize("token", ["99999999999999999999999", "²", "#١٢"])
@pytest.mark.parametrize("verb", ["status", "cancel"])
def test_a_run_number_that_names_no_ledger_id_asks_which_run(tmp_path: Path, verb: str, token: str) -> None:
    db = open_db(tmp_path / "ledger.db")
    dispatcher = Dispatcher(db, FlowCatalog(FLOWS, db), ZoneInfo("UTC"))
    alice, room = Actor("console:alice", "alice"), ConversationKey("console", "room")
    done = run_command(dispatcher, alice, room, f"{verb} {token}", {})  # before: OverflowError / ValueError, a 500
    assert done is not None and not done.ok
    assert done.text == f"Say which run: {verb} RUN (the number from 'list')."
    db.conn.close()
