"""Prompt templates: Jinja in its sandbox, compiled once per text, checked at load time."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import meta, nodes
from jinja2.exceptions import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

#: How :func:`check` starts the problem of a text Jinja cannot parse.
NOT_A_TEMPLATE = "is not a valid template"

_env = ImmutableSandboxedEnvironment(autoescape=False, keep_trailing_newline=False)


@lru_cache(maxsize=4096)
def _compile(text: str) -> Any:
    return _env.from_string(text)


def render(text: str, context: dict[str, Any]) -> str:
    """Fill a prompt. Text without ``{{`` is returned as it is (the common, fast case)."""
    if "{" not in text:
        return text
    return str(_compile(text).render(context))


def parse(text: str) -> nodes.Template:
    """The syntax tree of a (valid) template."""
    return _env.parse(text)


def check(text: str, known: set[str]) -> str | None:
    """Why ``text`` is not a usable template (a phrase completing "the prompt ..."), or None."""
    try:
        parsed: nodes.Template = _env.parse(text)
    except TemplateError as exc:
        return f"{NOT_A_TEMPLATE} ({exc})"
    unknown = sorted(meta.find_undeclared_variables(parsed) - known)
    if unknown:
        return "refers to unknown name(s) " + ", ".join(f"'{name}'" for name in unknown)
    return None


@lru_cache(maxsize=256)
def names_read(text: str) -> tuple[str, ...]:
    """The names a (valid) template reads, sorted: its free variables, and the keys it reads
    from ``answers`` (``answers.plan``, ``answers['plan']``)."""
    parsed = _env.parse(text)
    names = set(meta.find_undeclared_variables(parsed))
    for attr in parsed.find_all(nodes.Getattr):
        if isinstance(attr.node, nodes.Name) and attr.node.name == "answers":
            names.add(attr.attr)
    for item in parsed.find_all(nodes.Getitem):
        if isinstance(item.node, nodes.Name) and item.node.name == "answers" and isinstance(item.arg, nodes.Const):
            names.add(str(item.arg.value))
    return tuple(sorted(names))
