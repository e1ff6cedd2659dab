"""``decisionbot flows ...``: list, check, show and draw flow files."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot import texts
from bot.cli import _print_rows, main, output_options
from bot.cli_click import Day
from bot.cli_context import Context
from bot.cli_output import open_output
from bot.errors import BotError, FlowError

if TYPE_CHECKING:
    from bot.analytics.flow_counts import FlowCounts

_DATE = Day()

# --- flows -------------------------------------------------------------------------------------


@main.group()
def flows() -> None:
    """List, check, show and draw flow files.

    \b
    Example:
      decisionbot flows validate
    """


@flows.command("list")
@output_options
@click.pass_obj
def flows_list(obj: Context, as_json: bool) -> None:
    """List the flows in the flows folder.

    \b
    Example:
      decisionbot flows list --json
    """
    catalog = obj.folder_flows()
    rows = [
        {"id": f.id, "title": f.title, "version": f.version, "steps": len(f.steps), "path": f.path}
        for f in catalog.current.values()
    ]
    _print_rows(rows, as_json)


@flows.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def flows_validate(paths: tuple[Path, ...]) -> None:
    """Check flow files, or folders of them (default: every file in the flows folder, which must
    hold one); name every bad one with its file, step and fix, and exit 1 if there is one.

    \b
    Example:
      decisionbot flows validate flows/post_meeting.yaml
    """
    from bot.engine.reader import flow_files, misnamed_files

    ctx = click.get_current_context()
    obj = ctx.find_object(Context)
    assert obj is not None
    if paths:
        files, refused = _check_paths(paths)
    else:  # the folder as serve and chat load it: every file checked, not only up to the first bad one
        files = flow_files(obj.require_flows())  # a missing or empty folder is refused
        files += misnamed_files(obj.flows_dir)  # 'launch.yml': counted, and refused with its rename
        refused = _refused_in_folder(obj.flows_dir)
    if len(refused) == 1:
        raise refused[0]
    if refused:
        raise BotError(texts.cli_flows_refused([str(e) for e in refused], len(files)))
    click.echo(texts.cli_flows_valid(len(files)))


@flows.command("show")
@click.argument("flow")
@click.pass_obj
def flows_show(obj: Context, flow: str) -> None:
    """Print a flow's steps: who is asked what, with which answer type (its options, bounds,
    default, and whether it may be skipped) and where each goes next.

    \b
    Example:
      decisionbot flows show post_meeting
    """
    f = obj.folder_flows(flow=flow).get(flow)
    click.echo(f"{f.id} ({f.version}): {f.title}")
    for i, step in enumerate(f.steps, 1):
        click.echo(_indented(f"  {i}. {step.id} {texts.question_terms(step)} to {step.to}: {step.ask}".rstrip(": "), 9))
        for fld in step.fields:
            click.echo(_indented(f"       - {fld.id} {texts.question_terms(fld)}: {fld.ask}", 11))
        for branch in step.next:
            click.echo(f"       -> {branch.goto}" + (f" when {branch.when}" if branch.when else ""))


def _check_paths(paths: tuple[Path, ...]) -> tuple[list[Path], list[FlowError]]:
    """The files ``flows validate PATH ...`` checks, and why each bad one is refused: a file as the
    folder beside it would load it, a folder as serve would load it. A file given twice (on its own
    and within its folder, or by two spellings of its path) is checked and counted once."""
    from bot.engine.reader import flow_files, misnamed_files

    files: list[Path] = []
    refused: list[FlowError] = []
    seen: set[Path] = set()  # the files checked so far, by resolved path
    for path in paths:
        if path.is_dir():
            found = flow_files(path)
            given = found + misnamed_files(path) if found else [path]
            empty = FlowError(str(path), texts.flows_folder_empty(), texts.flows_folder_empty_fix())
            bad = _refused_in_folder(path) if found else [empty]
        else:
            given, bad = [path], _refusal_of_file(path)
        refused += [exc for exc in bad if Path(exc.path).resolve() not in seen]
        new = [file for file in given if file.resolve() not in seen]
        files += new
        seen.update(file.resolve() for file in new)
    return files, refused


def _refused_in_folder(folder: Path) -> list[FlowError]:
    """Why each file of ``folder`` is refused as the folder loads it, and each ``.yml`` twin of a
    flow file named too: the folder skips it unseen (the ``.yaml`` is the flow)."""
    from bot.engine.reader import load_folder, misnamed_files

    refused = list(load_folder(folder)[1].values())
    named = {Path(exc.path) for exc in refused}
    twins = [exc for path in misnamed_files(folder) if path not in named and (exc := _not_a_flow(path))]
    return refused + twins


def _not_a_flow(path: Path) -> FlowError | None:
    """A file the flows folder does not read as a flow for a reason of its own: the routes or checks
    file (checked by their own command), or a ``.yml`` twin of a flow file (renamed, it would
    replace the flow)."""
    if path.stem in ("routes", "checks") and path.suffix.lower() in (".yaml", ".yml"):
        return FlowError(
            str(path),
            texts.flows_validate_not_a_flow(path.stem),
            texts.flows_validate_not_a_flow_fix(path.stem, str(path.parent)),
        )
    from bot.engine.reader import twin_refusal

    return twin_refusal(path)


def _refusal_of_file(path: Path) -> list[FlowError]:
    """Why the flow file ``path`` is refused, as the folder beside it would load it (none: it is good)."""
    from bot.engine.reader import flow_files, read_flow_in_folder
    from bot.engine.validate import check_references

    if (not_a_flow := _not_a_flow(path)) is not None:
        return [not_a_flow]
    try:
        flow = read_flow_in_folder(path)  # as loading the folder does: its id must be its file's name
        check_references(flow, {p.stem for p in flow_files(path.parent)})  # the flows beside it
    except FlowError as exc:
        return [exc]
    return []


def _indented(line: str, by: int) -> str:
    """A step's line with the later lines of a prompt of several lines indented under it, not
    at the margin where they would read as lines of their own."""
    return line.replace("\n", "\n" + " " * by)


@flows.command("diagram")
@click.argument("flow")
@click.option(
    "--format", "fmt", type=click.Choice(["mermaid", "dot", "svg", "png"]), default="mermaid", show_default=True
)
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write to this file instead of standard output.")
@click.option(
    "--counts",
    is_flag=True,
    help="Write on each step the runs that reached it, dropped off there and wait there; on each arrow the "
    "times runs took it; on each end the runs that ended there (from the ledger, read only).",
)
@click.option("--since", type=_DATE, metavar="DATE", help="With --counts: runs triggered on or after this day (UTC).")
@click.option("--until", type=_DATE, metavar="DATE", help="With --counts: runs triggered on or before this day (UTC).")
@click.pass_obj
def flows_diagram(
    obj: Context,
    flow: str,
    fmt: str,
    output: Path | None,
    counts: bool,
    since: datetime | None,
    until: datetime | None,
) -> None:
    """Draw a flow: Mermaid or DOT text; an SVG or PNG image needs Graphviz ('dot') installed.

    \b
    Example:
      decisionbot flows diagram post_meeting --format svg -o post_meeting.svg
      decisionbot flows diagram post_meeting --counts --since 2026-09-01
    """
    from bot.engine.compiler import compile_flow
    from bot.flow_diagram import draw

    if (since or until) and not counts:
        raise click.UsageError(texts.cli_diagram_window_without_counts())
    if since and until and since > until:
        raise click.BadParameter(texts.analytics_bad_window(), param_hint="--since/--until")
    if counts:
        obj.existing_ledger(for_analysts=True)  # counted from a ledger: never one made here
    machine = compile_flow(obj.folder_flows(flow=flow).get(flow), drawn=True)
    counted = _counts(obj, flow, since, until) if counts else None
    data, missing = draw(machine, fmt, counted)
    if missing:
        click.echo(texts.diagram_moves_not_drawn(missing, flow), err=True)
    if output:
        with open_output(output, binary=True) as out:
            out.write(data)
    else:
        sys.stdout.buffer.write(data + (b"\n" if not data.endswith(b"\n") else b""))


def _counts(obj: Context, flow: str, since: datetime | None, until: datetime | None) -> FlowCounts:
    """The ledger's counts of ``flow``'s runs in the window (read only)."""
    from bot.analytics import report as reporting
    from bot.analytics.flow_counts import flow_counts
    from bot.analytics.measures import Params

    path = obj.existing_ledger(for_analysts=True)
    conn = reporting.connect(path)
    try:
        params = Params(since=since.date() if since else None, until=until.date() if until else None, flow=flow)
        counted = flow_counts(conn, params)
    finally:
        conn.close()
    return counted
