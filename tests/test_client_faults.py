"""A client's fault at the server's edge, which anyone who can reach the port can commit: a body cut
off mid-request, and HTTP that cannot be parsed. Before, each was an ERROR with a ~35-line traceback
(aiohttp's "Error handling request"), and a cut body counted as a 500 in /metrics. Now a cut body
is a 400 and neither is a traceback: one WARNING line a minute at most, counting those left out.
``decisionbot serve`` as a process (aiohttp's test server cancels a handler whose client left,
which the real one does not), its trigger hooks on."""

from __future__ import annotations

import socket
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.serve_process import served

HOOK, METRICS = "hook-token-1", "metrics-token-1"


def send_raw(base: str, data: bytes) -> bytes:
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(data)
        conn.settimeout(0.5)
        try:
            return conn.recv(200)
        except TimeoutError:
            return b""


def requests_counted(base: str, route: str) -> dict[str, float]:
    request = urllib.request.Request(f"{base}/metrics", headers={"Authorization": f"Bearer {METRICS}"})
    with urllib.request.urlopen(request) as resp:
        text = resp.read().decode()
    return {
        sample.labels["status"]: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "decisionbot_http_requests_total" and sample.labels.get("route") == route
    }


def test_a_cut_body_and_bad_http_are_a_line_a_minute_not_a_traceback_each(tmp_path: Path) -> None:
    settings = {"DECISIONBOT_HOOK_TOKEN": HOOK, "DECISIONBOT_METRICS_TOKEN": METRICS}
    with served(tmp_path / "x.db", settings) as server:
        cut = (
            "POST /hooks/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n"
            f"Authorization: Bearer {HOOK}\r\n\r\n"
        ).encode() + b'{"title": "cut'
        for _ in range(3):
            send_raw(server.base, cut)
        for _ in range(2):
            said = send_raw(server.base, b"POST / HTTP/1.1\r\nHost: x\r\nbad header line\r\n\r\n")
            assert said.split(b" ")[1] == b"400", said
        counted = requests_counted(server.base, "/hooks/events")
    assert "500" not in counted and counted.get("400") == 3, counted
    log = server.output
    assert "Traceback" not in log and " ERROR " not in log, log
    told = [line for line in log.splitlines() if "refused, the client's fault" in line]
    assert len(told) == 1 and "BadHttpMessage" in told[0], told  # the second within the minute: counted
    assert log.count('"POST /hooks/events HTTP/1.1" 400') == 3  # the cut bodies: the access log's lines
