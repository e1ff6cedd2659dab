"""What is said of the ledger across versions: the one a server writes, an upgrade bringing it up
to date, a downgrade refused."""

from __future__ import annotations

#: How a set of migrations is named to an operator: its area (the core set has none).
_SET_PREFIX = "decisionbot-"


def migrations_by_set(applied: dict[str, list[str]]) -> str:
    """Migrations applied, by set, each set's in its order (its own numbering: ``m004`` of one set
    comes after ``m024`` of another): ``core m008_action_changes; names m001_conversation_names;
    analytics m023_conversations_named, m024_owners_named_alike``. Three or more of a set (they
    follow one another) as the first to the last, with how many."""
    said = []
    for name, names in applied.items():
        area = name.removeprefix(_SET_PREFIX) if name.startswith(_SET_PREFIX) else "core"
        listed = ", ".join(names) if len(names) < 3 else f"{names[0]} to {names[-1]} ({len(names)})"
        said.append(f"{area} {listed}")
    return "; ".join(said)


def ledger_migrated(path: str, applied: dict[str, list[str]], copy: str) -> str:
    return (
        f"The ledger {path} was made by an older decisionbot: copied as it was to {copy} first (the way back to"
        f" that version: README, 'Upgrades'), then brought up to date, by set of migrations:"
        f" {migrations_by_set(applied)}."
    )


def ledger_copied(path: str, copy: str) -> str:
    """``db migrate``'s line before it names what it applied to a ledger an older version made."""
    return f"{path}: copied as it was to {copy} first (the way back to the older version: README, 'Upgrades')."


def ledger_upgrade_copy_failed(path: str, copy: str, problem: str) -> str:
    return (
        f"The ledger {path} was made by an older decisionbot, and the copy of it taken before bringing it up to"
        f" date could not be made ({copy}: {problem}), so nothing was changed. Make room in its folder (the"
        " copy is as large as the ledger), then start again."
    )


def ledger_newer(path: str, unknown: list[str], env: str) -> str:
    return (
        f"The ledger {path} was brought up to date by a newer decisionbot (migration(s) this version does not"
        f" have: {', '.join(unknown)}): this version would write rows that one does not expect, so nothing was"
        " changed. Run the newer decisionbot on it; to go back to this version, restore the backup taken before"
        f" the upgrade (README, 'Backups'), or point --db (env {env}) at another ledger."
    )


def ledger_in_use(path: str, open_runs: int, new: bool, env: str) -> str:
    if new:
        return (
            f"Ledger {path}: new, created now (no runs yet). If the runs you expect are in another ledger,"
            f" stop, and start again with --db PATH placed before the command (or {env}=PATH)."
        )
    return f"Ledger {path}: {open_runs} run(s) open."


def group_commits_again(failed: int) -> str:
    """Commits go through again after a run of failed ones (a disk that was full, say)."""
    return (
        f"Commits go through again, after {failed} failed in a row (their requests were answered 503, to be retried)."
    )


def failures_left_out(count: int) -> str:
    """The end of a failure's log line (bot/refusals.py): how many like it were not logged since the last."""
    return f" ({count} more failed like it in the last minute, not logged)" if count else ""
