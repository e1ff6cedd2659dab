"""The flows a server or command runs on: the folder's current versions, and every older version
a run in the ledger started on (in-flight runs finish on the version they began with).

A flow file that is refused refuses that flow only: the others run, and the refused one is named
(``refused``) for each edge to say loudly (the CLI on standard error, the server in its log and
``/healthz``); starting it raises its FlowError (file, step, fix). Only a folder where no flow
loads refuses everything.

A long-running process loads the folder again when its flow files change (``scan``, then
``apply``: ``reload_flows`` once a second, from the server's housekeeping or ``watch_flows`` in
``decisionbot rasa-actions``; what looked the same twice is loaded), by the same rules, except
that a folder where no flow loads any more keeps the last good flows (``Change.kept``) rather
than stopping the process."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from pathlib import Path

from sqlite_utils import Database

from bot import config, texts
from bot.engine.commands import flow_meant
from bot.engine.compiler import forget
from bot.engine.model import Flow
from bot.engine.reader import flow_files, load_folder, misnamed_files, read_flow_text, twins
from bot.errors import BotError, ConfigError, FlowError, FlowNotFound, FlowRefused
from bot.store import runs

log = logging.getLogger("decisionbot")

#: Seconds between two looks at the folder of a running process (a change is loaded once it
#: looked the same twice: within two looks).
LOOK_EVERY = 1.0

#: What a folder's flow files look like from outside: name, size and modification time of each.
Stamp = tuple[tuple[str, int, int], ...]


def folder_stamp(folder: Path) -> Stamp:
    """A few ``stat`` calls: changes when a flow file is added, removed, written or replaced."""
    out: list[tuple[str, int, int]] = []
    for path in [*flow_files(folder), *misnamed_files(folder)]:
        try:
            st = path.stat()
        except OSError:  # removed between the listing and the stat: seen at the next look
            continue
        out.append((path.name, st.st_size, st.st_mtime_ns))
    return tuple(out)


@dataclass(frozen=True)
class Scan:
    """The folder as loaded again: what ``apply`` makes current."""

    stamp: Stamp
    current: dict[str, Flow]
    refused: dict[str, FlowError]
    twins: dict[str, FlowError]


@dataclass
class Change:
    """What a reload changed, by flow id. ``fixed``: refused before, loading now; ``refused``:
    files refused now that were not, or not for the same reason; ``kept``: no flow loads any
    more, so these, the last good flows, still run."""

    added: list[str] = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.fixed or self.updated or self.removed or self.refused or self.kept)


#: Flows the bot starts itself, for what a command names; never by ``start`` (in chat, or Rasa's
#: slot): ``give A12 @person`` fills in the action and its owners for action_handover.
BOT_STARTED = frozenset({"action_handover"})


def review_flows(flows: Mapping[str, Flow]) -> set[str]:
    """The flows that review a recorded decision: only a trigger that names the decision
    (its review date, ``--data decision_id=N``) starts one; never an alert or a route."""
    return {f for f, flow in flows.items() if flow.reviews_a_decision}


def not_triggered(flow: str, reviews: Set[str]) -> tuple[str, str] | None:
    """Why a route or a check may not name ``flow`` (the problem and the fix), if it may not: a
    review (one of ``reviews``: it needs the decision it reviews), or a flow the bot starts."""
    if flow in BOT_STARTED or flow in reviews:
        return texts.flow_not_triggered(flow, flow in reviews)
    return None


class FlowCatalog:
    """The flows in the folder, and every older version a run in the ledger started on."""

    def __init__(self, folder: Path, db: Database | None):
        self.folder = folder
        self.db = db
        self._stamp = self._seen = folder_stamp(folder)
        self.current, self.refused = load_folder(folder)
        #: ``.yml`` twins of flow files (``post_meeting.yml``), by file name: not read, named.
        self.twins = twins(folder)
        if not self.current and self.refused:  # nothing would run: every file is wrong
            errors = list(self.refused.values())
            raise errors[0] if len(errors) == 1 else BotError(texts.flows_all_refused([str(e) for e in errors]))
        if not self.current:  # a mistyped --flows (or DECISIONBOT_FLOWS) would otherwise run nothing
            raise ConfigError(
                texts.cli_no_flows(str(folder), folder.is_dir(), config.BY_NAME["flows"].env, folder.is_file())
            )
        self._versions: dict[tuple[str, str], Flow] = {(f.id, f.version): f for f in self.current.values()}
        #: Scans made current (``apply``): each edit of the folder a long-running process saw.
        self.reloads = 0

    def startable(self) -> list[str]:
        """The flows people may start by name, sorted."""
        return sorted(f for f in self.current if f not in BOT_STARTED)

    def startable_in_chat(self) -> list[str]:
        """The flows a chat ``start FLOW`` can start, sorted: not a review, which needs the id of
        the decision it reviews (a chat start names none; it starts on the decision's review date)."""
        return [f for f in self.startable() if f not in self.review_flows()]

    def review_flows(self) -> set[str]:
        return review_flows(self.current)

    def get(self, flow_id: str) -> Flow:
        flow = self.current.get(flow_id)
        if flow is None and flow_id in self.refused:
            raise FlowRefused(str(self.refused[flow_id])) from self.refused[flow_id]
        if flow is None:
            known = self.startable()
            raise FlowNotFound(texts.cli_unknown_flow(flow_id, known, str(self.folder), flow_meant(flow_id, known)))
        return flow

    def version(self, flow_id: str, version: str) -> Flow:
        """The exact version a run started on: in-flight runs finish on their own version."""
        found = self._versions.get((flow_id, version))
        if found is None:
            stored = runs.flow_text(self.db.conn, flow_id, version) if self.db else None
            if stored is None:
                raise FlowNotFound(texts.flow_version_missing(flow_id, version))
            found = self._versions[(flow_id, version)] = read_flow_text(stored[0], stored[1], pinned=True)
        return found

    def refusals(self, but: str | None = None) -> list[str]:
        """One line per refused flow file, to say loudly where the catalog is used; ``but`` the
        flow about to be started, whose own error says it."""
        return [texts.flow_refused(error) for name, error in self.refused.items() if name != but]

    def refused_within(self) -> dict[str, str]:
        """The refused flows' errors, each file named within the flows folder (``x.yaml``), not by
        its path on the server: for ``/healthz``, which anyone who reaches the server may read."""
        refused = {**self.refused, **self.twins}  # a twin by its file name: 'post_meeting.yml'
        return {name: str(_within(error, self.folder)) for name, error in refused.items()}

    def twin_warnings(self) -> list[str]:
        """One line per ``.yml`` twin of a flow file, naming both files and the fix (the words of
        ``flows validate``): what is changed in the twin never runs."""
        return [str(error) for error in self.twins.values()]

    # --- loading again when the files change ---------------------------------------------------

    def scan(self) -> Scan | None:
        """The folder loaded again when its flow files changed since it was last loaded (names,
        sizes, modification times) and look the same as at the last call (a file half written,
        a checkout half done, is not loaded: it is seen settled next time), else None. Changes
        nothing but what it saw: for one caller at a time, in a worker thread if need be."""
        stamp = folder_stamp(self.folder)  # before reading: a write meanwhile is seen next time
        seen, self._seen = self._seen, stamp
        if stamp == self._stamp or stamp != seen:
            return None
        current, refused = load_folder(self.folder)
        return Scan(stamp, current, refused, twins(self.folder))

    def apply(self, scan: Scan) -> Change:
        """Make a scan current: good files are the flows new runs start on (runs in flight keep
        their pinned versions), refused and removed files start none. When no flow loads any
        more, the last good flows stay current (``Change.kept``) and the refusals are listed.

        Only the current versions stay loaded: an older one (and its compiled machine) is let go,
        and read again from the ledger at the next turn of a run still on it (``version``), so
        a server whose flows are edited for months does not keep every version it ever ran."""
        before, was_refused = self.current, self.refused
        self._stamp = scan.stamp
        self.reloads += 1
        change = Change(refused=[n for n, e in scan.refused.items() if str(was_refused.get(n)) != str(e)])
        self.refused, self.twins = scan.refused, scan.twins
        if not scan.current:
            change.kept = sorted(before)
            return change
        # a flow whose file did not change stays the same object (and keeps its compiled machine)
        self.current = {
            n: before[n] if n in before and before[n].version == f.version else f for n, f in scan.current.items()
        }
        versions = {(f.id, f.version): f for f in self.current.values()}
        for flow_id, version in self._versions.keys() - versions.keys():
            forget(flow_id, version)
        self._versions = versions
        change.added = [n for n in scan.current if n not in before and n not in was_refused]
        change.fixed = [n for n in scan.current if n in was_refused]
        changed = [n for n, f in scan.current.items() if n in before and before[n].version != f.version]
        change.updated = [n for n in changed if n not in was_refused]
        change.removed = sorted(n for n in {*before, *was_refused} if n not in scan.current and n not in scan.refused)
        return change


def _within(error: FlowError, folder: Path) -> FlowError:
    """``error`` with its file named relative to ``folder`` (its bare name if it is elsewhere)."""
    path = Path(error.path)
    shown = path.relative_to(folder) if path.is_relative_to(folder) else Path(path.name)
    return FlowError(str(shown), error.problem, error.fix, error.step)


async def reload_flows(catalog: FlowCatalog, failed: str | None = None) -> str | None:
    """Load the flows folder again when its flow files changed (a few ``stat`` calls, and the
    reading in a worker thread, off the event loop); log what changed, once per change. Returns
    why looking failed (``failed``: the last time's, not logged again), or None."""
    try:
        scan = await asyncio.to_thread(catalog.scan)
    except Exception as exc:  # an unreadable folder: the flows loaded last go on
        problem = f"{type(exc).__name__}: {exc}"
        if problem != failed:
            log.warning(texts.flows_reload_failed(str(catalog.folder), problem))
        return problem
    if scan is None:
        return None
    change = catalog.apply(scan)  # on the event loop, between two turns: a turn sees one catalog
    for twin in catalog.twin_warnings():  # at every reload until it is gone: its edits never run
        log.warning(twin)
    for name in change.refused:
        log.error(texts.flows_reload_refused(catalog.refused[name]))
    if change.kept:
        errors = [str(e) for e in catalog.refused.values()]
        log.error(texts.flows_all_refused_kept(str(catalog.folder), change.kept, errors))
    elif change:
        changed = {"added": change.added, "fixed": change.fixed, "updated": change.updated, "removed": change.removed}
        log.info(texts.flows_reloaded(str(catalog.folder), {**changed, "refused": change.refused}))
    return None


async def watch_flows(catalog: FlowCatalog) -> None:
    """``reload_flows`` every :data:`LOOK_EVERY` seconds until cancelled: for a process without the
    server's housekeeping (``decisionbot rasa-actions``, one per worker process)."""
    failed: str | None = None
    while True:
        await asyncio.sleep(LOOK_EVERY)
        failed = await reload_flows(catalog, failed)
