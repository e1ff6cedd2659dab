"""The invariants of bench/crash_torture.py, checked on the SQLite ledger a tortured server left
and the fake Web API's recorded calls (see that module's doc for what each one promises), and
where the posts no outbox row records fell against the kills.
"""

from __future__ import annotations

import re
import sqlite3
from collections import Counter
from typing import Any


def check(
    db: str,
    acked: list[dict[str, Any]],
    calls: list[dict[str, Any]],
    expected_runs: int,
    killed_at: list[float],
    slashes: list[dict[str, Any]],
) -> dict[str, Any]:
    """The invariants, on the ledger and the fake's calls (``slashes``: the slash commands answered)."""
    conn = sqlite3.connect(db)
    out: dict[str, Any] = {"slash_answers_untrue": slash_answers_untrue(conn, slashes)}
    inbound = Counter(  # an answer's row, and a start's (kind 'start'): each once
        row[0] for row in conn.execute("SELECT platform_id FROM messages WHERE direction = 'in' AND channel = 'slack'")
    )
    started = {  # a start's row, given its run, in the run's thread (the mention's)
        (row[0], row[1])
        for row in conn.execute(
            "SELECT m.platform_id, r.conversation FROM messages m JOIN runs r ON r.id = m.run_id"
            " WHERE m.direction = 'in' AND m.kind = 'start' AND m.channel = 'slack'"
        )
    }

    def stored(event: dict[str, Any]) -> bool:
        """A start's turn is its start row, owned by a run in the mention's thread; an answer's, its
        inbound message."""
        if event["type"] == "app_mention":
            key = (f"msg:{event['channel']}:{event['ts']}", f"slack:{event['channel']}/{event['ts']}")
            return key in started
        return inbound[f"msg:{event['channel']}:{event['ts']}"] > 0

    out["acked_without_turn"] = [a["event_id"] for a in acked if not stored(a["event"])]
    out["turns_recorded_twice"] = sorted(p for p, n in inbound.items() if n > 1)
    out["answers_twice"] = conn.execute(
        "SELECT count(*) FROM (SELECT count(*) n FROM answers GROUP BY run_id, step, item, field, revision HAVING n > 1)"
    ).fetchone()[0]
    # every run walks the same eight turns: one that did not (a turn done twice, or lost) stands out;
    # its start (kind 'start', in) counted apart from its answers and replies, and the root posted
    # for its thread (kind 'root', out) apart again: a slash command's one, a mention's none (its own)
    shapes = Counter(
        conn.execute(
            "SELECT (SELECT count(*) FROM answers a WHERE a.run_id = r.id),"
            " (SELECT count(*) FROM transitions t WHERE t.run_id = r.id),"
            " (SELECT count(*) FROM messages m WHERE m.run_id = r.id AND m.direction = 'out' AND m.kind != 'root'),"
            " (SELECT count(*) FROM messages m WHERE m.run_id = r.id AND m.kind = 'start') FROM runs r"
        ).fetchall()
    )
    out["run_shapes"] = {f"answers={a} transitions={t} replies={m} starts={s}": n for (a, t, m, s), n in shapes.items()}
    rooted = Counter(  # how each run started: a mention (msg:), a slash command (cmd:) with a root or, paced, none
        conn.execute(
            "SELECT substr(m.platform_id, 1, 3), instr(r.conversation, '/') > 0, (SELECT count(*) FROM messages o"
            " WHERE o.run_id = r.id AND o.kind = 'root') FROM runs r JOIN messages m ON m.run_id = r.id"
            " AND m.kind = 'start'"
        ).fetchall()
    )
    out["roots_by_start"] = {f"{_how(via, threaded)} roots={n}": c for (via, threaded, n), c in rooted.items()}
    out["roots_wrong"] = sum(c for (via, t, n), c in rooted.items() if n != (1 if _how(via, t) == "slash" else 0))
    out["starts_without_run"] = conn.execute(  # a start or root left behind by a start that stored no run
        "SELECT count(*) FROM messages WHERE kind IN ('start', 'root') AND run_id IS NULL"
    ).fetchone()[0]
    statuses = dict(conn.execute("SELECT status, count(*) FROM runs GROUP BY status").fetchall())
    out["runs_by_status"] = statuses
    out["runs_ok"] = statuses.get("completed", 0) == expected_runs and sum(statuses.values()) == expected_runs
    rows = conn.execute(  # the outbox's replies, and the roots a start posted itself (delivered when written)
        "SELECT id, conversation, platform_id, text, delivered_at, failed_at FROM messages"
        " WHERE direction = 'out' AND channel = 'slack' ORDER BY id"
    ).fetchall()
    roots = conn.execute("SELECT count(*) FROM messages WHERE direction = 'out' AND kind = 'root'").fetchone()[0]
    out["replies"], out["roots"] = len(rows) - roots, roots
    out["lost"] = [r[0] for r in rows if r[4] is None]
    out["given_up"] = [r[0] for r in rows if r[5] is not None]
    posts = [c for c in calls if c["method"] == "chat.postMessage" and c.get("ok")]
    by_ts = {c["ts"]: n for n, c in enumerate(posts)}
    by_text: dict[str, list[int]] = {}
    for n, c in enumerate(posts):
        by_text.setdefault(str(c["args"].get("text")), []).append(n)
    matched: set[int] = set()
    first_arrival: dict[int, int] = {}
    for msg_id, _conv, platform_id, _text, _d, _f in rows:
        found = by_ts.get(platform_id)
        if found is None:
            continue
        n = found
        matched.add(n)
        # the reply's copies: the posts of the same text to the same place (the delivered one among them)
        same = [m for m in by_text[str(posts[n]["args"].get("text"))]
                if posts[m]["args"].get("channel") == posts[n]["args"].get("channel")
                and posts[m]["args"].get("thread_ts") == posts[n]["args"].get("thread_ts")]  # fmt: skip
        first_arrival[msg_id] = min(same)
    out["not_at_fake"] = [r[0] for r in rows if r[4] is not None and r[2] not in by_ts]
    deleted = {(c["args"].get("channel"), c["args"].get("ts")) for c in calls if c["method"] == "chat.delete"}
    taken_back = {n for n, c in enumerate(posts) if (c["args"].get("channel"), c["ts"]) in deleted}
    unstored_roots = [n for n, c in enumerate(posts) if n not in matched and _a_root(c)]
    out["roots_taken_back"] = sum(1 for n in unstored_roots if n in taken_back)
    out["roots_left_behind"] = sum(1 for n in unstored_roots if n not in taken_back)
    extra = [n for n in range(len(posts)) if n not in matched and n not in unstored_roots]
    out["duplicates_at_fake"] = len(extra)
    out["duplicates"] = duplicates([posts[n] for n in extra], killed_at)
    out["kill_to_next_post_s"] = silence_after_kills(posts, killed_at)
    out["duplicate_texts"] = [str(posts[n]["args"].get("text"))[:60] for n in extra][:20]
    disorder = []
    last: dict[str, tuple[int, int]] = {}
    for msg_id, conv, *_ in rows:
        if msg_id not in first_arrival:
            continue
        if conv in last and first_arrival[msg_id] < last[conv][1]:
            disorder.append((conv, last[conv][0], msg_id))
        last[conv] = (msg_id, first_arrival[msg_id])
    out["out_of_order"] = disorder[:20]
    out["integrity_check"] = conn.execute("PRAGMA integrity_check").fetchone()[0]
    conn.close()
    return out


def _how(via: str, threaded: int) -> str:
    """How a run started: ``mention``; ``slash`` (its root posted); ``slash paced`` (its first question
    its thread's root: Slack's pace in its channel held the root back)."""
    return "mention" if via != "cmd" else "slash" if threaded else "slash paced"


def _a_root(post: dict[str, Any]) -> bool:
    """Whether a post is a ``/decision start``'s thread root (in the channel, "<@U..> started *...*")."""
    return post["args"].get("thread_ts") is None and " started *" in str(post["args"].get("text"))


def slash_answers_untrue(conn: sqlite3.Connection, slashes: list[dict[str, Any]]) -> list[str]:
    """The slash commands whose answer the ledger belies: *Started run #N* with no start row of
    theirs owned by run N, or any other answer with a run of theirs."""
    untrue = []
    for slash in slashes:
        row = conn.execute(
            "SELECT run_id FROM messages WHERE platform_id = ? AND kind = 'start' AND run_id IS NOT NULL",
            (f"cmd:{slash['trigger']}",),
        ).fetchone()
        told = re.match(r"Started run #(\d+)", slash["said"])
        if (int(told.group(1)) if told else None) != (row[0] if row else None):
            untrue.append(f"{slash['trigger']}: {slash['said'][:80]}")
    return untrue


def duplicates(extra: list[dict[str, Any]], killed_at: list[float]) -> dict[str, Any]:
    """Where the posts no outbox row records fell: each against the kill nearest to it. A post in
    flight as its server died (the fake took it, the server never committed its mark) lies within
    a post's round trip and the mark's commit of its kill (the fake may stamp it a little after
    the kill: its loop reads the requests the dead server had sent); at most one per Slack
    conversation (channel and thread) and kill, since a conversation's replies go one at a time."""
    gaps: list[float] = []
    per_kill: Counter[tuple[float, Any, Any]] = Counter()
    for post in extra:
        if not killed_at:
            gaps.append(float("inf"))
            continue
        kill = min(killed_at, key=lambda k: abs(k - post["at"]))
        gaps.append(abs(kill - post["at"]))
        per_kill[(kill, post["args"].get("channel"), post["args"].get("thread_ts"))] += 1
    return {
        "farthest_from_a_kill_s": round(max(gaps), 3) if gaps else None,
        "kills_with_duplicates": len({k for k, _, _ in per_kill}),
        "most_in_one_conversation_at_one_kill": max(per_kill.values(), default=0),
    }


def silence_after_kills(posts: list[dict[str, Any]], killed_at: list[float]) -> dict[str, float | None]:
    """Seconds from each kill to the next reply reaching the fake (the restart, then the dead
    server's outbox lease expiring: README says within 6 s)."""
    gaps = []
    for k in killed_at:
        later = [p["at"] for p in posts if p["at"] > k]
        if later:
            gaps.append(min(later) - k)
    if not gaps:
        return {"median": None, "max": None}
    return {"median": round(sorted(gaps)[len(gaps) // 2], 2), "max": round(max(gaps), 2)}
