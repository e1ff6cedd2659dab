"""What ``serve`` and ``rasa-actions`` listen with: the log levels, the port option (1 to 65535), a
port that cannot be listened on as one line, the port bound before the start makes anything, and
whether a host is this machine's alone."""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from bot import texts
from bot.errors import BotError

if TYPE_CHECKING:
    from collections.abc import Iterator


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class PortType(click.types.IntParamType):
    """A TCP port, 1 to 65535 (bind() would fail with a traceback on anything else)."""

    name = "port"  # "'abc' is not a valid port."

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        port = int(super().convert(value, param, ctx))
        if not 1 <= port <= 65535:
            self.fail(texts.cli_bad_port(port), param, ctx)
        return port

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:  # click 8.1 and 8.2
        return "INTEGER"


PORT = PortType()


#: What binding a port fails with: taken, an address not this machine's, a port only root may use.
LISTEN_ERRORS = (errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES)


def listen_error(host: str, port: int, exc: OSError) -> OSError | BotError:
    """A port that cannot be listened on, as one line; any other OSError (a channel's start-up
    failing to reach its platform) as it is, for the CLI's general translation."""
    if not (isinstance(exc, socket.gaierror) or exc.errno in LISTEN_ERRORS):
        return exc
    problem = os.strerror(exc.errno) if exc.errno and exc.errno > 0 else str(exc)
    if isinstance(exc, socket.gaierror) or exc.errno == errno.EADDRNOTAVAIL:
        blame = "host"
    else:
        blame = "denied" if exc.errno == errno.EACCES else "busy"
    return BotError(texts.cli_cannot_listen(host, port, problem, blame))


@contextmanager
def listening(host: str, port: int) -> Iterator[None]:
    """Around what binds ``host:port``: a port that cannot be listened on is a one-line error;
    any other OSError goes on to the CLI's general translation."""
    try:
        yield
    except OSError as exc:
        refused = listen_error(host, port, exc)
        if refused is exc:
            raise
        raise refused from exc


def bind(host: str, port: int) -> list[socket.socket]:
    """Sockets bound to ``host:port`` (each address the host names, as asyncio's ``create_server``
    binds them: all interfaces for ``""``), not yet listening: taken before anything else a start
    makes, so a port that cannot be listened on refuses the start before the ledger is made. An
    address family the machine lacks is skipped while another binds; the first refusal otherwise
    raises (``OSError``, a ``socket.gaierror`` for a host that names no address)."""
    infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    bound: list[socket.socket] = []
    missing: OSError | None = None  # an address this machine does not have
    try:
        for family, kind, proto, _name, address in dict.fromkeys(infos):
            try:
                sock = socket.socket(family, kind, proto)
            except OSError:  # a family this machine does not support (IPv6 off)
                continue
            bound.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                sock.bind(address)
            except OSError as exc:
                if exc.errno != errno.EADDRNOTAVAIL:
                    raise
                missing = missing or exc
                bound.pop().close()
        if not bound:
            raise missing or OSError(errno.EADDRNOTAVAIL, os.strerror(errno.EADDRNOTAVAIL))
    except BaseException:
        for sock in bound:
            sock.close()
        raise
    return bound


@contextmanager
def released(sockets: list[socket.socket]) -> Iterator[list[socket.socket]]:
    """The sockets :func:`bind` took, closed when what serves on them ends, refused or stopped (a
    server closes those it listened on; the others, and all of a start refused before, here)."""
    try:
        yield sockets
    finally:
        for sock in sockets:
            sock.close()


def try_port(host: str, port: int) -> None:
    """Refuse a port that cannot be listened on now (one line, as :func:`listening` says it), by
    binding it and letting it go: for a server that binds it again itself (Sanic for
    ``rasa-actions``; one taking it between the two is refused by that bind, the same way)."""
    with listening(host, port):
        for sock in bind(host, port):
            sock.close()


def loopback(host: str) -> bool:
    """Only this machine can reach the address: localhost or a loopback IP."""
    if host.casefold() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
