"""A ledger the server's user may only read (made by root's `db migrate`, then served by a service
user; a file restored read-only): SQLite opens it for reading, so `serve` said it was serving and
/healthz answered ok while every trigger got 503 'the bot is busy', and `decisionbot trigger`
ended in a traceback. Now the start is refused naming the ledger, and a command that writes ends in
one line."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.errors import ConfigError
from bot.server import create_app
from bot.store import open_db

ROOT = Path(__file__).resolve().parents[1]
FLOWS = str(ROOT / "flows")


@pytest.fixture
def read_only_ledger(tmp_path: Path) -> Iterator[Path]:
    """A ledger this process cannot write: its mode for a user, or, for root (whom modes do not
    stop), the file system's immutable flag."""
    path = tmp_path / "decisions.db"
    open_db(path).conn.close()
    path.chmod(0o444)
    immutable = False
    if os.access(path, os.W_OK):  # root
        chattr = shutil.which("chattr")
        immutable = (
            chattr is not None and subprocess.run([chattr, "+i", str(path)], capture_output=True).returncode == 0
        )
        if not immutable:
            pytest.skip("no way to make a file read-only for this user here")
    try:
        yield path
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        path.chmod(0o644)


def test_serve_refuses_a_ledger_it_cannot_write(read_only_ledger: Path) -> None:
    with pytest.raises(ConfigError) as refused:
        create_app(read_only_ledger, FLOWS, env={"DECISIONBOT_HOOK_TOKEN": "t"})
    assert str(refused.value).startswith(f"The ledger {read_only_ledger} cannot be written ")
    assert "DECISIONBOT_DB" in str(refused.value)


def test_a_command_that_writes_to_a_read_only_ledger_ends_in_one_line(read_only_ledger: Path) -> None:
    args = ["--db", str(read_only_ledger), "--flows", FLOWS, "trigger", "post_meeting", "--channel", "console"]
    result = CliRunner().invoke(main, [*args, "-f", "alice"])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.output.splitlines() == [
        f"Error: The ledger {read_only_ledger} cannot be written. Give the user decisionbot runs as write access to"
        " it, to its folder and to the -wal and -shm files beside it, or point --db (env DECISIONBOT_DB) at a"
        " ledger it can write."
    ]


def test_reading_a_read_only_ledger_still_works(read_only_ledger: Path) -> None:
    result = CliRunner().invoke(main, ["--db", str(read_only_ledger), "--flows", FLOWS, "runs", "list"])
    assert result.exit_code == 0 and result.output == "(none)\n"
