"""``decisionbot report --format json`` on a large ledger: 100,000 runs and 1,000,000 messages.

The ledger is generated with bulk inserts (``executemany`` in one transaction per table, not
through the engine: driving 100,000 runs turn by turn would take an hour) into a file made by
``open_db``, so it has the real schema, views, full-text index and its triggers. The shape is
that of real use: three flows and their real step names, one event per run (plus events that
started no run, and repeats), each run in a thread of its own in one of 300 channels (the latency
by conversation groups them), ten messages per run (prompt, answer, ...), answers with some
revisions, the transitions of each run's path, a decision for each completed run with one or two
actions (on time, late, open, dropped, without a due date) and a review (held, late, missed,
pending). Runs end completed, active (some idle), cancelled or stalled (a stall transition at its step).

Timed, medians of ``--rounds`` rounds (3 by default):
- the CLI as a user runs it: ``decisionbot --db FILE report --format json`` in a subprocess;
- in-process: ``report.build`` on a read-only connection plus the JSON rendering;
- the floors in the same run: the subprocess start-up of ``python -c "import bot.cli"`` and a
  full scan of the messages table (``SELECT count(*), sum(length(text)) FROM messages``);
- every view (unless ``--no-views``): ``decisionbot --db FILE export VIEW --format csv`` in a
  subprocess, ``SELECT * FROM VIEW`` in-process, and for a view that reads the summaries, its
  definition over the raw tables (``bot.analytics.sql.MEASURES``) in-process (``--views`` names
  the views to time, e.g. ``--views latency_summary step_dropoff``).

    python bench/bench_report.py [--runs 100000] [--messages-per-run 10] [--rounds 3] [--db FILE] [--no-views]
                                 [--views VIEW ...]

With ``--db`` the ledger is kept (and reused when it already holds the runs asked for).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.analytics import report
from bot.analytics.measures import Params
from bot.analytics.sql import MEASURES, VIEWS, as_view
from bot.store import iso, open_db, open_readonly

ROOT = Path(__file__).resolve().parents[1]
END = datetime(2026, 11, 1, tzinfo=UTC)
FLOWS = {
    "post_meeting": ["decision", "actions", "owner_accepts", "review_at"],
    "metric_breach": ["acknowledge", "response", "plan", "actions", "owner_accepts", "review_at"],
    "decision_review": ["actions_done", "outcome", "next_review"],
}
SOURCES = {
    "post_meeting": [("console", "manual"), ("cli", "manual"), ("slack", "manual")],
    "metric_breach": [("alertmanager", "alert"), ("grafana", "alert"), ("check", "metric")],
    "decision_review": [("schedule", "review")],
}
CHANNELS = ["slack", "teams", "console"]
WORDS = ["launch", "budget", "hiring", "churn", "latency", "pricing", "roadmap", "vendor", "checkout"]
#: What each generated question expects: a free-text answer (the answer-time views count only prompts with ``expects``, m017).
EXPECTS = json.dumps({"type": "text", "optional": False})


def _flow_versions(conn) -> dict[str, str]:
    versions = {}
    for flow_id in FLOWS:
        text = (ROOT / "flows" / f"{flow_id}.yaml").read_text()
        version = f"bench{flow_id[:7]}"
        conn.execute(
            "INSERT OR IGNORE INTO flow_versions VALUES (?, ?, ?, ?, ?, ?)",
            (flow_id, version, flow_id, f"flows/{flow_id}.yaml", text, iso(END - timedelta(days=400))),
        )
        versions[flow_id] = version
    return versions


def generate(path: Path, runs: int, per_run: int, seed: int = 7) -> None:
    """Fill ``path`` with ``runs`` runs and ``runs * per_run`` messages (bulk inserts)."""
    rnd = random.Random(seed)
    db = open_db(path)
    conn = db.conn
    conn.execute("BEGIN")
    versions = _flow_versions(conn)
    people = [(f"slack:U{i:04d}", f"person{i}") for i in range(400)]
    events, run_rows, messages, transitions, answers = [], [], [], [], []
    decisions, actions, reviews = [], [], []
    action_id = 0
    for rid in range(1, runs + 1):
        flow = rnd.choices(list(FLOWS), weights=[55, 35, 10])[0]
        source, kind = rnd.choice(SOURCES[flow])
        channel = rnd.choice(CHANNELS)
        t0 = END - timedelta(days=365 * rnd.random())
        fac, owner = rnd.choice(people), rnd.choice(people)
        events.append(
            (rid, source, kind, f"{source}:{rid % 5000}", "firing", f"{flow} {rid}", "{}", iso(t0), iso(t0),
             rnd.choice([0, 0, 0, 1, 2, 5]))
        )  # fmt: skip
        steps = FLOWS[flow]
        status = rnd.choices(["completed", "active", "cancelled", "stalled"], weights=[80, 8, 7, 5])[0]
        reached = len(steps) if status == "completed" else rnd.randint(1, len(steps))
        state = {"completed": "completed", "cancelled": "cancelled"}.get(status, steps[reached - 1])
        t = t0
        prev = ""
        for i, step in enumerate(steps[:reached]):
            t += timedelta(minutes=rnd.expovariate(1 / 90))
            transitions.append((rid, prev, step, "start" if i == 0 else "next", fac[0], iso(t)))
            prev = step
        if status in ("completed", "cancelled"):
            transitions.append((rid, prev, status, "next" if status == "completed" else "cancel", fac[0], iso(t)))
        elif status == "stalled":  # nothing moved it for the flow's expire_after
            transitions.append((rid, prev, prev, "stall", None, iso(t + timedelta(days=rnd.choice([7, 14])))))
        t = t0
        conversation = f"{channel}:C{rid % 300}/{rid}.000100"  # the run's thread in one of 300 channels
        for m in range(per_run):
            t += timedelta(minutes=rnd.expovariate(1 / 30))
            step = steps[min(m // 2, reached - 1)]
            who = fac if m % 4 != 3 else owner
            if m % 2 == 0:
                text = f"Question about {rnd.choice(WORDS)} for {who[1]}?"
                messages.append((rid, "out", channel, conversation, who[0], who[1], step, "prompt", text,
                                 EXPECTS, iso(t), iso(t)))  # fmt: skip
            else:
                text = f"We {rnd.choice(['move', 'keep', 'cut', 'fund'])} the {rnd.choice(WORDS)} {rnd.choice(WORDS)}"
                messages.append((rid, "in", channel, conversation, who[0], who[1], step, "answer", text,
                                 None, iso(t), None))  # fmt: skip
                revision = 2 if rnd.random() < 0.08 else 1
                answers.append((rid, step, None, None, who[0], json.dumps(text), text, "answer", revision, iso(t)))
        run_rows.append(
            (rid, flow, versions[flow], rid, channel, conversation, fac[0], state, status, "{}", iso(t0),
             iso(t), iso(t) if status in ("completed", "cancelled") else None)
        )  # fmt: skip
        if status != "completed" or (flow == "decision_review" and rnd.random() < 0.7):
            continue
        did = len(decisions) + 1
        review_due = (t + timedelta(days=rnd.choice([14, 28]))).date()
        decisions.append((did, rid, flow, f"{flow} {rid}", "We act", fac[0], iso(t), review_due.isoformat(), iso(t)))
        for item in range(1, rnd.choice([1, 1, 2, 3]) + 1):
            action_id += 1
            due = (t + timedelta(days=rnd.randint(2, 30))).date() if rnd.random() > 0.1 else None
            fate = rnd.choices(["on_time", "late", "open", "dropped"], weights=[55, 25, 12, 8])[0]
            done_at = None
            if fate in ("on_time", "late") and due:
                done_at = iso(datetime.combine(due, datetime.min.time(), UTC) + timedelta(
                    days=rnd.uniform(-5, 0.4) if fate == "on_time" else rnd.uniform(2, 20)))  # fmt: skip
            a_status = "dropped" if fate == "dropped" else ("done" if done_at else "open")
            actions.append((action_id, did, item, f"Do {rnd.choice(WORDS)}", owner[0], owner[1],
                            due.isoformat() if due else None, iso(t), a_status, done_at))  # fmt: skip
        fate = rnd.choices(["held", "late", "missed"], weights=[70, 15, 15])[0]
        held = None if fate == "missed" else iso(datetime.combine(review_due, datetime.min.time(), UTC)
                                                  + timedelta(days=1 if fate == "held" else 6, hours=9))  # fmt: skip
        reviews.append((did, review_due.isoformat(), None, held, "kept" if held else None))
    conn.executemany("INSERT INTO events (id, source, kind, dedup_key, status, title, payload, first_seen_at,"
                     " last_seen_at, repeat_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", events)  # fmt: skip
    lonely = [(source, kind, iso(END - timedelta(days=365 * rnd.random())))
              for source, kind in rnd.choices(SOURCES["metric_breach"], k=runs // 20)]  # fmt: skip
    conn.executemany("INSERT INTO events (source, kind, title, first_seen_at, last_seen_at) VALUES (?, ?, 'no run', ?, ?)",
                     [(s, k, at, at) for s, k, at in lonely])  # fmt: skip
    conn.executemany("INSERT INTO runs (id, flow_id, flow_version, event_id, channel, conversation, facilitator_id,"
                     " state, status, context, started_at, updated_at, completed_at)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", run_rows)  # fmt: skip
    conn.executemany("INSERT INTO messages (run_id, direction, channel, conversation, actor_id, actor_name, step,"
                     " kind, text, expects, created_at, delivered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", messages)  # fmt: skip
    conn.executemany("INSERT INTO transitions (run_id, source, target, event, actor_id, at) VALUES (?, ?, ?, ?, ?, ?)",
                     transitions)  # fmt: skip
    conn.executemany("INSERT INTO answers (run_id, step, item, field, actor_id, value, raw, kind, revision, at)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", answers)  # fmt: skip
    conn.executemany("INSERT INTO decisions (id, run_id, flow_id, title, text, decided_by, decided_at, review_at,"
                     " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", decisions)  # fmt: skip
    conn.executemany("INSERT INTO actions (id, decision_id, item, what, owner_id, owner_name, due, accepted_at,"
                     " status, done_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", actions)  # fmt: skip
    conn.executemany("INSERT INTO reviews (decision_id, due_at, run_id, held_at, outcome) VALUES (?, ?, ?, ?, ?)",
                     reviews)  # fmt: skip
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("ANALYZE")
    conn.close()


def _count(path: Path, table: str) -> int:
    try:
        return int(open_readonly(path).execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    except Exception:
        return -1


def _median_time(fn, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=100_000)
    ap.add_argument("--messages-per-run", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument(
        "--db",
        type=Path,
        help="Keep the generated ledger here: reused when this bench generated it with the same sizes,"
        " generated again when with others; a file it did not generate is refused, never replaced.",
    )
    ap.add_argument("--no-views", action="store_true", help="Do not time the views.")
    ap.add_argument("--views", nargs="+", choices=list(MEASURES), metavar="VIEW", help="Time only these views.")
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory()
    path = args.db or Path(tmp.name) / "report-bench.db"
    sizes = {"runs": args.runs, "messages_per_run": args.messages_per_run}
    made = path.with_name(path.name + ".bench-report.json")  # what this bench generated there, and how
    mine = made.exists() and path.exists()
    if path.exists() and not mine:
        ap.error(f"{path} exists and this bench did not generate it: give --db a new path (nothing was changed)")
    if not mine or json.loads(made.read_text()) != sizes or _count(path, "runs") != args.runs:
        path.unlink(missing_ok=True)
        start = time.perf_counter()
        generate(path, args.runs, args.messages_per_run)
        made.write_text(json.dumps(sizes))
        print(f"generated {path} in {time.perf_counter() - start:.1f} s")
    counts = {t: _count(path, t) for t in ("runs", "messages", "answers", "transitions", "actions", "reviews")}
    print("ledger:", ", ".join(f"{v:,} {k}" for k, v in counts.items()), f"({path.stat().st_size / 1e6:.0f} MB)")
    script = Path(sys.executable).with_name("decisionbot")
    command = [str(script)] if script.exists() else [sys.executable, "-c", "from bot.cli import main; main()"]
    cli = [*command, "--db", str(path), "report", "--format", "json", "--as-of", "2026-11-01"]

    def subprocess_report() -> None:
        done = subprocess.run(cli, capture_output=True, check=True)
        assert json.loads(done.stdout)["totals"]["runs"] == args.runs

    def in_process() -> None:
        conn = report.connect(path)
        report.render(report.build(conn, Params(as_of=END, until=date(2026, 11, 1))), "json")
        conn.close()

    def startup_floor() -> None:
        subprocess.run([sys.executable, "-c", "import bot.cli"], check=True)

    def scan_floor() -> None:
        conn = open_readonly(path).conn
        conn.execute("SELECT count(*), sum(length(text)) FROM messages").fetchone()
        conn.close()

    figures = {
        "report --format json (subprocess)": _median_time(subprocess_report, args.rounds),
        "report.build + json (in-process)": _median_time(in_process, args.rounds),
        "floor: python -c 'import bot.cli'": _median_time(startup_floor, args.rounds),
        "floor: full scan of messages": _median_time(scan_floor, args.rounds),
    }
    for name, seconds in figures.items():
        print(f"{name:40s} {seconds:7.3f} s (median of {args.rounds})")
    values = list(figures.values())
    print(f"in-process / message-scan floor: {values[1] / values[3]:.1f}x;"
          f" subprocess - start-up floor: {values[0] - values[2]:.3f} s; target: subprocess < 2 s")  # fmt: skip
    if not args.no_views:
        time_views(path, command, args.rounds, args.views or list(MEASURES))


def time_views(path: Path, command: list[str], rounds: int, names: list[str]) -> None:
    """Each view of ``names``: exported by the CLI (subprocess), read in-process, and its definition
    when the view reads the summaries instead."""
    print(f"{'view':26s} {'export (CLI)':>13s} {'in-process':>11s} {'definition':>11s}  rows (median of {rounds})")
    for name in names:

        def export(name: str = name) -> None:
            cli = [*command, "--db", str(path), "export", name, "--format", "csv", "-o", "/dev/null"]
            subprocess.run(cli, capture_output=True, check=True)

        def read(sql: str) -> None:
            conn = open_readonly(path).conn
            conn.execute(sql).fetchall()
            conn.close()

        rows = open_readonly(path).conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
        cli_s = _median_time(export, rounds)
        view_s = _median_time(lambda name=name: read(f"SELECT * FROM {name}"), rounds)
        definition = "-"
        if VIEWS[name] != MEASURES[name]:
            definition = f"{_median_time(lambda name=name: read(as_view(MEASURES[name])), rounds):9.3f} s"
        print(f"{name:26s} {cli_s:11.3f} s {view_s:9.3f} s {definition:>11s}  {rows:,}")


if __name__ == "__main__":
    main()
