"""``decisionbot chat``: a flow as a conversation in the terminal, interactive, piped or as JSON
lines; ``--run N`` continues an open run of the terminal."""

from __future__ import annotations

import contextlib
import getpass
import re
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

import click

from bot import texts
from bot.cli import _data, main, refuse_bad_people
from bot.cli_click import ROW_ID
from bot.cli_context import Context
from bot.cli_trigger_input import refuse_long
from bot.errors import BotError, InputEnded, NoDecisionToReview
from bot.model import CHAT, Actor, Trigger, is_placeholder
from bot.store import runs
from bot.triggers import TITLE_MAX, bad_person

if TYPE_CHECKING:
    from bot.channels.console import ConsoleSession
    from bot.store.runs import RunRow


@main.command()
@click.argument("flow", required=False)
@click.option("--run", "run_id", type=ROW_ID, metavar="N", help="Continue open run N of the terminal instead.")
@click.option("--data", "-d", multiple=True, metavar="KEY=VALUE", help="A trigger field prompts can use (repeatable).")
@click.option("--facilitator", "-f", help="Who starts the run (default: your login name, or a reviewed decision's).")
@click.option("--participants", "-p", default="", help="Comma-separated names of the other people.")
@click.option(
    "--as",
    "speaker_name",
    metavar="NAME",
    help="Without FLOW or --run: who types the commands (default: your login name).",
)
@click.option("--jsonl", is_flag=True, help='Scripting: read {"as": NAME, "text": ANSWER} lines, write JSON lines.')
@click.pass_obj
def chat(
    obj: Context,
    flow: str | None,
    run_id: int | None,
    data: tuple[str, ...],
    facilitator: str,
    participants: str,
    speaker_name: str | None,
    jsonl: bool,
) -> None:
    """Run FLOW as a conversation in the terminal, continue open run N with --run N, or, with
    neither, type chat commands only.

    Answer the bot's questions; '/as NAME' switches who is speaking, '/quit' or Ctrl-C leaves
    (the run stays open with the answers so far, to continue with --run). At the end the decision record is printed with where
    it is stored.

    The chat commands of Slack, Teams and Rasa work here too, during the run where no question
    takes them as an answer and after its end, until /quit or the input ends: actions, done A1,
    due A1 DATE, drop A1 [why], give A1 NAME [why] (NAME asked, answered after '/as NAME'),
    status N, list, cancel N, help. With --jsonl the run's end is the last line. Without FLOW or
    --run, the session has no run: the same commands, as --as NAME (a week later: done A1), and
    the question of a handover asked there ('give A1 carol', then '/as carol').

    \b
    Example:
      decisionbot chat post_meeting -f alice -p bob,carol --data title="Weekly sync"
      decisionbot chat --run 3
      decisionbot chat --as bob
    """
    from bot.channels.console import ConsoleSession

    commands_only = flow is None and run_id is None
    _check_options(flow, run_id, bool(data or facilitator or participants), speaker_name)
    refuse_bad_people(("--facilitator", facilitator), ("--participants", participants), ("--as", speaker_name))
    refuse_long(
        ("--data title", _data(data).get("title"), TITLE_MAX)
    )  # as decisionbot trigger: before the ledger opens
    session = ConsoleSession(obj.dispatcher(flow=flow), sys.stdout, jsonl=jsonl)
    if commands_only:
        _commands_only(obj, session, speaker_name, jsonl)
        return
    if sys.stdin.isatty() and not jsonl:  # a newcomer learns the terminal's commands up front
        click.echo(texts.cli_chat_intro(), err=True)
    if run_id is not None:
        _resume(session, run_id, jsonl)
    else:
        assert flow is not None
        run_id = _start(session, flow, data, facilitator, participants)
    _converse_in_run(obj, session, run_id, jsonl)


def _check_options(flow: str | None, run_id: int | None, start_options: bool, speaker_name: str | None) -> None:
    """Refuse options that do not go together: FLOW and --run; --data, -f, -p without FLOW; --as
    with FLOW or --run."""
    if (flow is not None and run_id is not None) or (start_options and flow is None):
        raise click.UsageError(texts.cli_chat_flow_or_run())
    if speaker_name is not None and (flow is not None or run_id is not None):
        raise click.UsageError(texts.cli_chat_flow_or_run())


def _commands_only(obj: Context, session: ConsoleSession, speaker_name: str | None, jsonl: bool) -> None:
    """A session with no run: the chat commands, typed as ``speaker_name``."""
    from bot.channels.console import person

    speaker = person(speaker_name or typist())
    if not jsonl:
        click.echo(texts.cli_chat_commands_only(speaker.name), err=True)
        if session.show_waiting(speaker) > 1:  # which run a line answers: '#N answer'
            click.echo(texts.cli_chat_several_waiting(speaker.name), err=True)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: leaving, as /quit does
        _converse(obj, session, None, speaker, jsonl)


def _resume(session: ConsoleSession, run_id: int, jsonl: bool) -> None:
    """Open run ``run_id`` of the terminal continued, said first, then the questions it waits on."""

    def announce(row: RunRow) -> None:  # before the questions it waits on are shown again
        if not jsonl:
            waiting = ", ".join(row.context.addressees()) or None
            click.echo(texts.cli_resumed(row.id, row.flow_id, waiting), err=True)

    session.resume(run_id, announce)


def _start(session: ConsoleSession, flow: str, data: tuple[str, ...], facilitator: str, participants: str) -> int:
    """A run of ``flow`` started from the command line's options; its id."""
    from bot.channels.console import person

    fields = _data(data)
    reviews = flow in session.dispatcher.catalog.review_flows()  # led by the reviewed decision's facilitator
    fac = person(facilitator) if facilitator else None if reviews else person(typist())
    others = [person(p) for p in participants.split(",") if p.strip()]
    trigger = Trigger(
        flow=flow,
        source="console",
        title=fields.pop("title", ""),
        data={**fields, "via": CHAT},
        facilitator=fac,
        participants=others,
    )
    try:
        return session.start(trigger)
    except NoDecisionToReview:
        raise BotError(texts.cli_review_needs_decision(flow)) from None


def _converse_in_run(obj: Context, session: ConsoleSession, run_id: int, jsonl: bool) -> None:
    """The conversation of run ``run_id``, its facilitator speaking first; Ctrl-C leaves it open."""
    speaker = Actor.from_dict(_facilitator_of(obj, run_id))
    if is_placeholder(speaker.id):  # a run triggered naming nobody: who types here takes it by answering
        from bot.channels.console import person

        speaker = person(typist())
    try:
        _converse(obj, session, run_id, speaker, jsonl)
    except KeyboardInterrupt:  # Ctrl-C: every answer the bot replied to is stored; say how to go on
        click.echo("", err=True)
        if session.done:  # after the run's end: leaving, as /quit does
            return
        click.echo(texts.cli_left_run(run_id), err=True)
        raise click.exceptions.Exit(130) from None


def _converse(obj: Context, session: ConsoleSession, run_id: int | None, speaker: Actor, jsonl: bool) -> None:
    """Read lines until /quit or the input ends: answers, and the chat commands (``actions``,
    ``done A1``...), which the terminal takes during the run and after it (the run's end is said
    once, with the commands; ``--jsonl`` ends with the run, its last line). Input ending before
    the run's end: the run stays open. ``run_id`` None: a session of commands only."""
    from bot.channels.console import person

    lines = _input_lines(jsonl, speaker.name)
    ended = run_id is None  # no run: no end to say
    while not (jsonl and session.done and not ended):  # a script's last line is the run's end
        if session.done and not ended and run_id is not None:
            ended = True
            _run_ended(obj, session, run_id)
        line = next(lines, None)
        if line is None:
            break
        speaker_name, text = line
        speaker = session.known_as(person(speaker_name)) if speaker_name else speaker
        command = text.strip()
        if not jsonl and not sys.stdin.isatty() and not command.startswith("/"):
            click.echo(f"{speaker.name}> {text}")
        if command.startswith("/as "):
            name = command[4:]
            try:  # a person's id, as -f, -p and --as take
                refuse_bad_people(("/as", name))
            except BotError as exc:
                click.echo(str(exc), err=True)
                continue
            speaker = session.known_as(person(name))
            if not jsonl:
                click.echo(texts.cli_switched(speaker.name), err=True)
            continue
        if command == "/quit":
            if jsonl:  # a script's exit status says whether the run completed: as the input's end
                break
            if not session.done and run_id is not None:
                click.echo(texts.cli_left_run(run_id), err=True)
            return
        if re.fullmatch(r"/[A-Za-z]+", command):  # a typo of a terminal command ('/help') is not an answer
            click.echo(texts.cli_console_command(command), err=True)
            continue
        if command or not session.done:  # an empty line after the run's end asks nothing
            session.take(speaker, text)
    if not session.done and run_id is not None:
        raise InputEnded(_input_ended(session, run_id))


def _run_ended(obj: Context, session: ConsoleSession, run_id: int) -> None:
    """Where the run is stored, and that the terminal still takes commands."""
    click.echo(texts.cli_stored_at(obj.db_path, run_id))
    from bot.run_ended import came_to

    click.echo(texts.cli_chat_after_run(run_id, came_to(obj.db.conn, run_id)), err=True)


def typist() -> str:
    """Who types at this terminal when no option names them: their login name (as git and ssh
    take it), else "facilitator". Before, the placeholder "facilitator" typed, whom the analysts'
    report counts as nobody, and whose run the first owner to answer took over."""
    with contextlib.suppress(Exception):  # (no login name: a container's uid without a passwd entry)
        name = getpass.getuser()
        if name and bad_person(name) is None and not is_placeholder(name):
            return name
    return "facilitator"


def _facilitator_of(obj: Context, run_id: int) -> dict[str, str]:
    row = runs.load_run(obj.db.conn, run_id)
    assert row is not None
    return dict(row.context.roles["facilitator"])


def _input_ended(session: ConsoleSession, run_id: int) -> str:
    """What the run waits for as the input ends, in words (``status N``'s), not its step's id."""
    from bot.run_commands import waiting_for

    row = runs.load_run(session.dispatcher.db.conn, run_id)
    return texts.cli_input_ended(run_id, waiting_for(session.dispatcher, row) if row else [])


def _input_lines(jsonl: bool, first: str) -> Iterator[tuple[str | None, str]]:
    from bot.channels.console import parse_jsonl

    stdin = sys.stdin
    interactive = stdin.isatty() and not jsonl
    if interactive:
        _line_editing()
    speaker = first
    line_no = 0
    while True:
        if interactive:
            try:
                line = input(f"{speaker}> ")
            except EOFError:
                return
        else:
            line = stdin.readline()
            if not line:
                return
            line = line.rstrip("\n")
        line_no += 1
        if jsonl:
            if not line.strip():
                continue
            name, text = parse_jsonl(line, line_no, lambda n, p: click.UsageError(texts.cli_bad_jsonl(n, p)))
            try:  # a person's id, as -f, -p and --as take
                refuse_bad_people(('"as"', name))
            except BotError as exc:
                raise click.UsageError(texts.cli_bad_jsonl(line_no, str(exc))) from None
            yield name, text
            continue
        if line.strip().startswith("/as "):
            speaker = line.strip()[4:].strip() or speaker
        yield None, line


def _line_editing() -> None:
    """Arrow keys, Home and End edit the line being typed, and up recalls an earlier one, as in a
    shell: input() takes them from readline once it is imported (not on Windows, whose console
    edits lines itself)."""
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401
