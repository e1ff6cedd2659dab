"""Domain errors. Raised in the core, translated once at each edge (CLI, server, chat)."""

from __future__ import annotations

import re


class BotError(Exception):
    """Base of every error decisionbot raises on purpose. ``str()`` is the user-facing text."""


class ConfigError(BotError):
    """A setting is missing or wrong (for example a secret that must come from the env)."""


class LedgerDamaged(ConfigError):
    """A SQLite file SQLite cannot read (a damaged ledger): ``str()`` names the way back (a restore);
    ``path`` and SQLite's ``problem`` for an edge that says it of another file (``db restore``'s COPY)."""

    def __init__(self, path: str, problem: str, message: str):
        self.path = path
        self.problem = problem
        super().__init__(message)


#: A word of a flow's refusal longer than this (a value quoted from the file) is cut to it.
QUOTED_WORD = 80
_LONG_WORD = re.compile(rf"(\S{{{QUOTED_WORD}}})\S+")


class FlowError(BotError):
    """A flow file is refused at load time. Names the file, the step and the fix; a value it
    quotes from the file is cut short (a word over QUOTED_WORD characters)."""

    def __init__(self, path: str, problem: str, fix: str, step: str | None = None):
        self.path = path
        self.step = step
        problem = _LONG_WORD.sub(r"\1…", problem)
        self.problem = problem
        self.fix = fix
        where = f"{path}, step '{step}'" if step else path
        super().__init__(f"{where}: {problem}. Fix: {fix}")


class FlowNotFound(BotError):
    """No flow with that id in the flows folder."""


class FlowRefused(FlowNotFound):
    """A flow whose file is refused at load (the other flows run): ``str()`` says why, with the
    file, the step and the fix."""


class NoDecisionToReview(BotError):
    """A review flow started without the decision it reviews (``decision_id``): nothing starts.
    ``str()`` is what chat says; each edge may word it its own way (the CLI names ``--data``)."""


class RunNotFound(BotError):
    """No run with that id."""


class InputEnded(BotError):
    """The scripted input ended before the run completed."""
