"""What is said of the ledger's file, its commits and kept writes, housekeeping, and the outbox's delivery and leases."""

from __future__ import annotations

import shlex

from bot.texts._common import command


def ledger_not_sqlite(path: str, problem: str, env: str) -> str:
    """A file that is not SQLite at all (it does not start as one): not a ledger."""
    return (
        f"{path} is not a decisionbot ledger ({problem}). Point --db (env {env}) at your ledger,"
        " or at a new file to start one."
    )


def ledger_damaged(path: str, problem: str, backup: str | None) -> str:
    """A SQLite file SQLite cannot read (a bad disk block, a copy taken mid-write, cut short): the way
    back is a restore, naming the newest backup found (``db backup --into``'s), if one is."""
    where = (
        f"the newest backup found is {backup}"
        if backup
        else "a copy db backup made: the README's cron line keeps them in data/backups/decisions-<UTC time>.db"
    )
    restore = f"{command(options=False)} --db {shlex.quote(path)} db restore {shlex.quote(backup or 'BACKUP')}"
    return (
        f"The ledger {path} is damaged: SQLite cannot read it ({problem}). Stop the server if it runs, then put"
        f" a backup in its place (the damaged file is kept beside it): {restore} ({where})."
    )


def ledger_not_written(path: str, folder: str, created: bool, problem: str, full: bool, env: str) -> str:
    """A start (``serve``, ``db migrate``...) whose ledger could not be made or brought up to date: its
    disk full (``full``), or refusing the writes (a size limit, a quota, a failing disk)."""
    done = (
        "the ledger it began was removed, nothing is left behind"
        if created
        else "nothing was changed (what was begun was rolled back)"
    )
    what = "make" if created else "bring up to date"
    why = "its disk is full" if full else "its disk refused the writes (full, over a quota or a size limit, or failing)"
    return (
        f"Cannot {what} the ledger {path}: {why} ({problem}); {done}. Make room on that disk"
        f" (df -h {shlex.quote(folder)}), or point --db (env {env}) at a disk with room, then start again."
    )


def cli_no_ledger(path: str, env: str) -> str:
    return f"No ledger at {path}. Point --db (env {env}) at the ledger your server writes ({command(options=False)} --db PATH serve)"


def ledger_is_folder(path: str, env: str) -> str:
    return f"The ledger {path} is a folder, not a file. Point --db (env {env}) at a file, e.g. {path}/decisions.db"


def ledger_read_only_storage(path: str) -> str:
    return (
        f"Cannot read the ledger {path} where it is: its folder is read-only here (read-only storage, or no"
        " permission to write it), and a ledger in WAL mode is read with a shared-memory file (-shm) beside it,"
        " there only while a decisionbot process has it open. Read it while the server runs, copy it to a folder"
        f" you can write, or, for a copy nobody writes to any more, open it with: {command()} explore --immutable."
    )


def ledger_cannot_open(path: str, problem: str, env: str) -> str:
    return f"Cannot open the ledger {path}: {problem}. Point --db (env {env}) at a file in a folder you can write."


def ledger_read_only(path: str, file: str | None, env: str) -> str:
    """A ledger SQLite could open only for reading: every turn written to it would fail."""
    which = f" ({file} is read-only for this user)" if file else ""
    return (
        f"The ledger {path} cannot be written{which}. Give the user decisionbot runs as write access to it,"
        f" to its folder and to the -wal and -shm files beside it, or point --db (env {env}) at a ledger it can"
        " write."
    )


def ledger_foreign(path: str, tables: list[str], env: str) -> str:
    return (
        f"{path} is not a decisionbot ledger: it already has table(s) decisionbot's migrations did not create"
        f" ({', '.join(tables)}); nothing was changed. Point --db (env {env}) at your ledger, or at a new file."
    )


def store_unavailable() -> str:
    return "The ledger could not store this request; nothing was kept. Try again shortly."


def request_waited_for_lock(path: str, problem: str) -> str:
    return f"{path}: answered 503 (to be sent again), nothing stored: {problem}"


def person_not_saved(person: str, problem: str) -> str:
    return f"{person}'s name and time zone are kept in memory only (fetched again after a restart): {problem}"


def ledger_busy(seconds: float) -> str:
    return f"database is locked: another process held the ledger's write lock for over {seconds:g} s"


def group_commit_failed(problem: str) -> str:
    return f"A commit failed and the turns written with it were rolled back (answered 503, to be retried): {problem}"


def request_failed_group_lost(kind: str, problem: str) -> str:
    return (
        f"A request failed ({kind}: {problem}) after writing into the open group commit: the group was rolled"
        " back so that nothing of it is kept (the other turns in it are answered 503, to be retried)"
    )


def kept_write_lost(what: str, problem: str) -> str:
    return f"A background write ({what}) of a lost group commit could not be written again, and is lost: {problem}"


def kept_write_lost_too_often(times: int) -> str:
    return f"its group was lost {times} times in a row"


def kept_writes_lost(count: int, problem: str) -> str:
    return f"{count} background writes of a lost group commit could not be written again, and are lost: {problem}"


def housekeeping_failed(problem: str) -> str:
    return f"Housekeeping (full-text index, WAL checkpoint) failed this time and will try again: {problem}"


def delivery_given_up(channel: str, message_id: int, run_id: int, kind: str, error: str) -> str:
    return (
        f"{channel}: reply {message_id} ({kind}) of run #{run_id} given up, not delivered: {error}. The"
        f" conversation's next reply goes on; the reply stays in the ledger: {command()} runs show {run_id}"
    )


def delivery_crashed(channel: str, message_id: int) -> str:
    return f"{channel}: delivering reply {message_id} failed unexpectedly; it will be retried"


def delivery_loop_failed(channel: str) -> str:
    return f"{channel}: the outbox could not be read or written; trying again shortly"


def delivery_unmarked(channel: str, message_id: int) -> str:
    return f"{channel}: reply {message_id} was delivered but could not be marked so; marking it again shortly"


def outbox_lease_taken(channel: str) -> str:
    return f"{channel}: this process delivers the outbox (it holds the channel's lease on the ledger)"


def outbox_lease_elsewhere(channel: str) -> str:
    return (
        f"{channel}: another decisionbot process on this ledger holds the outbox (or one that stopped without"
        " giving it up); replies written here wait, and this process takes over within 6 seconds of it stopping"
    )


def outbox_lease_failed(problem: str) -> str:
    return f"The outbox leases could not be taken or renewed this time; trying again in a second: {problem}"
