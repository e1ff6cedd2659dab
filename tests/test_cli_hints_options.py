"""A hint names the ledger and flows the command ran on: `decisionbot --db x.db chat ...` that ends
early said 'Continue it with: decisionbot chat --run 1', which, pasted, opened the default ledger
(another run 1, or none). The --db and --flows typed are in the hint; from the environment, the
same shell has them already."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from click.testing import CliRunner

from bot.cli import main
from bot.store import open_db
from bot.texts._common import command

ROOT = Path(__file__).resolve().parents[1]
FLOWS = str(ROOT / "flows")


def answers(*texts: str) -> str:
    return "".join(json.dumps({"text": t}) + "\n" for t in texts)


def pasted(hint: str) -> list[str]:
    """The arguments of the command a hint tells to paste (what follows the program's name)."""
    return shlex.split(hint)[1:]


def test_a_pasted_hint_continues_the_run_on_the_ledger_it_was_started_on(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # the default ledger, data/decisions.db, would be here
    db = tmp_path / "team ledger" / "decisions.db"
    args = ["--db", str(db), "--flows", FLOWS, "chat", "post_meeting", "-f", "alice", "--jsonl"]
    first = CliRunner().invoke(main, args, input=answers("We ship in March"))
    assert first.exit_code == 1
    hint = first.output.rsplit("Continue it with: ", 1)[1].strip()
    assert pasted(hint) == ["--db", str(db), "--flows", FLOWS, "chat", "--run", "1"]
    rest = answers("Draft the plan", "me", "next friday", "done", "yes", "ok")
    second = CliRunner().invoke(main, [*pasted(hint), "--jsonl"], input=rest)
    assert second.exit_code == 0, second.output
    assert json.loads(second.output.splitlines()[-1])["record"]["decision"] == "We ship in March"
    assert not (tmp_path / "data").exists()  # the default ledger was never made


def test_a_hint_is_plain_when_nothing_was_typed_and_after_the_command(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DECISIONBOT_DB", str(tmp_path / "env.db"))  # from the environment: the shell has it
    result = CliRunner().invoke(main, ["--flows", FLOWS, "runs", "show", "7"])
    assert (
        result.output.strip() == f"Error: No ledger at {tmp_path / 'env.db'}. Point --db (env DECISIONBOT_DB) at"
        f" the ledger your server writes ({command()} --db PATH serve)"
    )
    assert command() == command(options=False)  # the command over, a later one's hints are its own


def test_only_the_options_typed_are_named(tmp_path: Path, monkeypatch) -> None:
    db = tmp_path / "l.db"
    open_db(db).conn.close()
    monkeypatch.setenv("DECISIONBOT_FLOWS", FLOWS)  # from the environment: not repeated
    result = CliRunner().invoke(main, ["--db", str(db), "runs", "show", "3"])
    assert result.output.strip() == f"Error: No run #3. Try: {command(options=False)} --db {db} runs list"
