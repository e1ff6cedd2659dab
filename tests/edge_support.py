"""A request whose headers come and whose body never does, on a raw socket: what a server that
can refuse it on its headers alone answers at once, and one that reads the body first answers only
when the body's time is up (``bot.inbound_json.BODY_WITHIN``)."""

from __future__ import annotations

import asyncio
import time


async def answer_to_headers_alone(host: str, port: int, path: str, headers: dict[str, str]) -> tuple[int, float]:
    """The status a server answers a POST to ``path`` announcing a 1 MB body it never sends, and
    the seconds it took (at most 5: then 0 and the time)."""
    reader, writer = await asyncio.open_connection(host, port)
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", "Content-Length: 1000000"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    started = time.monotonic()
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    await writer.drain()
    try:
        status_line = await asyncio.wait_for(reader.readline(), 5)
    except TimeoutError:
        status_line = b"HTTP/1.1 0 none"
    finally:
        writer.close()
    return int(status_line.split()[1]), time.monotonic() - started
