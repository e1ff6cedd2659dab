"""Prompt templates: Jinja in its sandbox, compiled once per text, checked at load time."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from jinja2 import meta, nodes
from jinja2.exceptions import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

log = logging.getLogger("decisionbot.flows")

#: How :func:`check` starts the problem of a text Jinja cannot parse.
NOT_A_TEMPLATE = "is not a valid template"


def _as_printed(value: Any) -> Any:
    """What ``{{ ... }}`` prints of a value: a float as people write it, 18000 not 18000.0, 23.988 not
    23.987999999999996 (a number answer times 1.2); anything else as it is."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, float):
        return str(float(f"{value:.15g}"))  # a float's noise dropped, its digits kept (118518518.52)
    return value


_env = ImmutableSandboxedEnvironment(autoescape=False, keep_trailing_newline=False, finalize=_as_printed)


@lru_cache(maxsize=4096)
def _compile(text: str) -> Any:
    return _env.from_string(text)


#: What a template checked at load may still raise on one run's values (``{{ amount / count }}`` with count 0).
RENDER_ERRORS = (TemplateError, ArithmeticError, TypeError, ValueError, LookupError, AttributeError)


def render(text: str, context: dict[str, Any], strict: bool = False) -> str:
    """Fill a prompt. Text without ``{{`` is returned as it is (the common, fast case). A template
    that fails on this run's values, which no check at load can foresee, is shown as written and
    logged: the turn goes on, and the run is not stranded. ``strict``: it raises instead (one of
    :data:`RENDER_ERRORS`), for text that is stored, not shown (the decision recorded, an invitation's title)."""
    if "{" not in text:
        return text
    try:
        return str(_compile(text).render(context))
    except RENDER_ERRORS as exc:
        if strict:
            raise
        log.warning("A flow's template failed, shown as written: %r: %s: %s", text[:200], type(exc).__name__, exc)
        return text


def parse(text: str) -> nodes.Template:
    """The syntax tree of a (valid) template."""
    return _env.parse(text)


def check(text: str, known: set[str]) -> str | None:
    """Why ``text`` is not a usable template (a phrase completing "the prompt ..."), or None."""
    try:
        parsed: nodes.Template = _env.parse(text)
        free = meta.find_undeclared_variables(parsed)  # compiles it: a filter Jinja does not know
    except TemplateError as exc:  # its first line: Jinja adds 'File "<introspection>", line 1' to some
        return f"{NOT_A_TEMPLATE} ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
    if problem := _not_allowed(parsed):
        return f"{NOT_A_TEMPLATE} ({problem})"
    unknown = sorted(free - known)
    if unknown:
        return "refers to unknown name(s) " + ", ".join(f"'{name}'" for name in unknown)
    return None


def _not_allowed(parsed: nodes.Template) -> str | None:
    """What a parsed template uses that would fail in every run: a filter or test Jinja does not know
    (under an ``{% if %}`` Jinja leaves it to run time), or a name starting with ``_`` (the sandbox
    refuses ``trigger.__class__`` when rendering)."""
    for used in parsed.find_all(nodes.Filter):
        if used.name not in _env.filters:
            return f"no filter named '{used.name}'"
    for tested in parsed.find_all(nodes.Test):
        if tested.name not in _env.tests:
            return f"no test named '{tested.name}'"
    for attr in parsed.find_all(nodes.Getattr):
        if attr.attr.startswith("_"):
            return f"'{attr.attr}' may not be read in a template"
    for item in parsed.find_all(nodes.Getitem):
        if isinstance(item.arg, nodes.Const) and str(item.arg.value).startswith("_"):
            return f"'{item.arg.value}' may not be read in a template"
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


def always_blank(text: str) -> bool:
    """Whether a (valid) template renders nothing but whitespace in every run, as far as its text
    tells: its words are blank, and whatever could print (a value, a call) sits under a condition
    that is never true (``{% if false %}``). A value that may be empty at run time is not blank."""
    return _blank(_env.parse(text).body)


def _blank(body: list[nodes.Node]) -> bool:
    return all(_prints_nothing(node) for node in body)


def _prints_nothing(node: nodes.Node) -> bool:
    if isinstance(node, nodes.Output):
        return all(not _printed(n).strip() for n in node.nodes)
    if isinstance(node, nodes.If):
        return _if_blank(node)
    if isinstance(node, nodes.For):
        return _blank(node.body) and _blank(node.else_)
    if isinstance(node, (nodes.With, nodes.Scope)):
        return _blank(node.body)
    return isinstance(node, (nodes.Assign, nodes.AssignBlock, nodes.Macro, nodes.Import, nodes.FromImport))


def _printed(node: nodes.Node) -> str:
    """What an output node prints when its text alone says (words, a constant); else a mark."""
    if isinstance(node, nodes.TemplateData):
        return str(node.data)
    if isinstance(node, nodes.Const):
        return str(node.value) if node.value is not None else "None"
    return "?"  # a value known at run time only


def _if_blank(node: nodes.If) -> bool:
    """An ``{% if %}`` prints nothing when every branch that can be taken prints nothing."""
    for test, body in [(node.test, node.body), *((e.test, e.body) for e in node.elif_)]:
        taken = _constant(test)
        if taken is True:
            return _blank(body)  # the branches after it are never taken
        if taken is None and not _blank(body):
            return False
    return _blank(node.else_)


def _constant(test: nodes.Node) -> bool | None:
    """A condition's truth when its text alone decides it (``false``, ``1 > 2``); else None."""
    if not isinstance(test, nodes.Expr):
        return None
    try:
        return bool(test.as_const(nodes.EvalContext(_env)))
    except Exception:  # nodes.Impossible, or an error evaluating it: decided at run time
        return None
