"""A new ledger holds what people answered in private (an owner's direct messages): it is not
readable by every user of the machine, whatever the umask lets other files be. Its group keeps
read access (analysts may read it through their group), less what the umask takes; a ledger that exists keeps
the mode its operator gave it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from bot.store import open_db

CLI = Path(sys.executable).with_name("decisionbot")
ROOT = Path(__file__).resolve().parents[1]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_ledger_made_under_a_permissive_umask_is_not_world_readable(tmp_path: Path) -> None:
    old = os.umask(0o002)
    try:
        db = open_db(tmp_path / "data" / "decisions.db")
        db.conn.execute("INSERT INTO deliveries (platform, delivery_id, received_at) VALUES ('x', 'y', 'z')")
        files = sorted((tmp_path / "data").iterdir())
        assert [p.name for p in files] == ["decisions.db", "decisions.db-shm", "decisions.db-wal"]
        assert {p.name: _mode(p) for p in files} == {p.name: 0o640 for p in files}
        db.close()
    finally:
        os.umask(old)


def test_a_ledger_the_chat_command_creates_is_its_owners_and_groups(tmp_path: Path) -> None:
    env = {**os.environ, "DECISIONBOT_DB": str(tmp_path / "d.db")}
    command = [str(CLI), "--flows", str(ROOT / "flows"), "chat", "post_meeting", "-f", "alice", "-p", "bob"]
    subprocess.run(
        ["sh", "-c", 'umask 022; exec "$@"', "sh", *command], input="/quit\n", text=True, env=env, check=False,
        capture_output=True, timeout=60,
    )  # fmt: skip
    assert _mode(tmp_path / "d.db") == 0o640


def test_an_existing_ledger_keeps_its_mode(tmp_path: Path) -> None:
    ledger = tmp_path / "d.db"
    open_db(ledger).close()
    ledger.chmod(0o644)  # its operator's choice
    open_db(ledger).close()
    assert _mode(ledger) == 0o644
