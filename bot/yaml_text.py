"""YAML as decisionbot reads its files (flows, routes.yaml, checks.yaml): PyYAML's safe loader,
except that a bare date it cannot build (``2027-02-30``) is kept as the text written. PyYAML
raises ValueError for one, past ``yaml.YAMLError``: a traceback instead of the file's own
refusal, and no flow of the folder loaded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot import texts


class SafeLoader(yaml.SafeLoader):
    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


SafeLoader.add_constructor("tag:yaml.org,2002:timestamp", SafeLoader.construct_yaml_timestamp)


def safe_load(text: str) -> Any:
    """``yaml.safe_load`` with impossible dates kept as text."""
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - a SafeLoader


class Unreadable(Exception):
    """A file decisionbot reads (routes.yaml, checks.yaml) that cannot be read: ``args`` are the
    problem and the fix, as a file's refusal names them."""


def present(path: Path) -> bool:
    """Whether ``path`` is there to be read: a regular file, or anything else by that name (a
    folder, a pipe), which :func:`read_file` refuses rather than the file being taken as absent."""
    return path.exists() or path.is_symlink()


def read_file(path: Path, what: str) -> str:
    """The text of ``path`` (``what`` it holds: "the flow", "the routes"); :class:`Unreadable` for
    a folder, pipe or device by that name (a pipe would block the read for good), a file missing or
    the process may not read, or one not UTF-8."""
    if path.is_symlink() and not path.exists():
        raise Unreadable(*texts.flow_file_link_broken(str(path.readlink())))
    if present(path) and not path.is_file():
        raise Unreadable(*texts.flow_file_not_a_file(what))
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise Unreadable(*texts.flow_file_unreadable(exc.strerror)) from exc
    except UnicodeDecodeError as exc:
        raise Unreadable(*texts.flow_file_not_utf8(exc.object[exc.start], exc.start)) from exc


def quote_at_fault(text: str, line: int, column: int) -> tuple[bool, int, int, str] | None:
    """The quoted text YAML's error at ``line``, ``column`` (from 0) comes from, when it does:
    (``left_open``, its line, its column, its quote). Left open, YAML reads on to the next quote of
    the file and fails there, lines below the mistake; closed early by a quote inside it (``'Why
    didn't it?'``), YAML fails at the rest of the line."""
    last: yaml.Token | None = None
    try:
        for token in yaml.scan(text, Loader=SafeLoader):  # noqa: S506 - a SafeLoader
            if (token.start_mark.line, token.start_mark.column) >= (line, column):
                break
            last = token
    except yaml.YAMLError:
        pass
    if not isinstance(last, yaml.ScalarToken) or last.style not in ('"', "'") or last.end_mark.line != line:
        return None
    start = last.start_mark
    return start.line < line, start.line, start.column, str(last.style)
