"""What ``decisionbot db restore`` says: a backup put back in the ledger's place, or refused."""

from __future__ import annotations


def restore_no_runs(copy: str) -> str:
    """COPY is SQLite (an empty file is) with no table of runs: no copy of a ledger."""
    return f"{copy} holds no ledger (no table of runs; an empty file?)"


def cli_restore_not_a_ledger(copy: str, problem: str) -> str:
    """COPY refused as it is read (not SQLite, another application's database): ``problem``, less its
    advice about --db, which names the ledger restored into, not the copy."""
    said = problem.split(" Point --db", 1)[0].removesuffix(".").removesuffix("; nothing was changed")
    return f"Refusing to restore: {said}. Name a backup of the ledger as COPY; nothing was changed."


def cli_restore_newer(copy: str, unknown: list[str]) -> str:
    return (
        f"Refusing to restore {copy}: a newer decisionbot brought it up to date (migration(s) this version does"
        f" not have: {', '.join(unknown)}), and this version would refuse to start on it. Restore it with that"
        " version, or a copy taken before the upgrade; nothing was changed."
    )


def cli_restore_in_use(ledger: str) -> str:
    return (
        f"Refusing to restore over {ledger}: a process has it open (a running server, rasa-actions,"
        " cron's jobs run-due, an analyst's report or explore), and a server would go on writing to the"
        " ledger put aside: what it stored would be lost. Stop it (systemctl stop decisionbot), then"
        " restore again; nothing was changed."
    )


def cli_restore_same_file(copy: str) -> str:
    return f"{copy} is the ledger itself: name a backup copy (decisionbot db backup makes them); nothing was changed."


def cli_restored(
    ledger: str, copy: str, runs: int, aside: str | None, damaged: str | None = None, beside: tuple[str, ...] = ()
) -> str:
    """``damaged``: what SQLite said of the ledger replaced, which it could not read (kept all the
    same, with the ``beside`` files it had: ``-wal``, ``-shm``)."""
    if aside and damaged:
        also = f", with its {' and '.join(beside)}" if beside else ""
        kept = f" The ledger it replaced, which SQLite could not read ({damaged}), is kept as {aside}{also}."
    else:
        kept = f" The ledger it replaced is kept as {aside}." if aside else ""
    return (
        f"Restored {ledger} from {copy}: {runs} run{'' if runs == 1 else 's'}, checked.{kept} Start the server again."
    )


def cli_restore_copy_damaged(copy: str, problem: str) -> str:
    return (
        f"Refusing to restore: {copy} is damaged, SQLite cannot read it ({problem}). Name another backup of the"
        " ledger as COPY; nothing was changed."
    )


def cli_restore_failed(problem: str, folder: str) -> str:
    """Writing the copy beside the ledger failed (a full disk): the ledger is as it was."""
    return (
        f"The restore failed, so nothing was changed: {problem}. A restore writes the copy in the ledger's"
        f" folder ({folder}) before it replaces the ledger: it needs room there for a file as large as COPY."
    )
