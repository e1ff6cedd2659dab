"""The flows a server or command runs on: the folder's current versions, and every older version
a run in the ledger started on (in-flight runs finish on the version they began with).

A flow file that is refused refuses that flow only: the others run, and the refused one is named
(``refused``) for each edge to say loudly (the CLI on standard error, the server in its log and
``/healthz``); starting it raises its FlowError (file, step, fix). Only a folder where no flow
loads refuses everything."""

from __future__ import annotations

from pathlib import Path

from sqlite_utils import Database

from bot import config, texts
from bot.engine.model import Flow
from bot.engine.reader import load_folder, read_flow_text
from bot.errors import BotError, ConfigError, FlowNotFound, FlowRefused
from bot.store import runs


class FlowCatalog:
    """The flows in the folder, and every older version a run in the ledger started on."""

    def __init__(self, folder: Path, db: Database):
        self.folder = folder
        self.db = db
        self.current, self.refused = load_folder(folder)
        if not self.current and self.refused:  # nothing would run: every file is wrong
            errors = list(self.refused.values())
            raise errors[0] if len(errors) == 1 else BotError(texts.flows_all_refused([str(e) for e in errors]))
        if not self.current:  # a mistyped --flows (or DECISIONBOT_FLOWS) would otherwise run nothing
            raise ConfigError(texts.cli_no_flows(str(folder), folder.is_dir(), config.BY_NAME["flows"].env))
        self._versions: dict[tuple[str, str], Flow] = {(f.id, f.version): f for f in self.current.values()}

    def get(self, flow_id: str) -> Flow:
        flow = self.current.get(flow_id)
        if flow is None and flow_id in self.refused:
            raise FlowRefused(str(self.refused[flow_id])) from self.refused[flow_id]
        if flow is None:
            raise FlowNotFound(texts.cli_unknown_flow(flow_id, sorted(self.current), str(self.folder)))
        return flow

    def version(self, flow_id: str, version: str) -> Flow:
        """The exact version a run started on: in-flight runs finish on their own version."""
        found = self._versions.get((flow_id, version))
        if found is None:
            stored = runs.flow_text(self.db.conn, flow_id, version)
            if stored is None:
                raise FlowNotFound(f"Flow {flow_id} version {version} is not in the ledger.")
            found = self._versions[(flow_id, version)] = read_flow_text(stored[0], stored[1], pinned=True)
        return found

    def refusals(self, but: str | None = None) -> list[str]:
        """One line per refused flow file, to say loudly where the catalog is used; ``but`` the
        flow about to be started, whose own error says it."""
        return [texts.flow_refused(error) for name, error in self.refused.items() if name != but]
