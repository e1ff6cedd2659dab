"""Draws the app's two icons (run once: python teams/icons.py): color.png, 192x192, a white check
mark on the accent color; outline.png, 32x32, the white check mark on a transparent background."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

ACCENT = (46, 107, 94)
CHECK = [((0.26, 0.52), (0.43, 0.69)), ((0.43, 0.69), (0.75, 0.33))]  # two strokes, as fractions


def _distance(px: float, py: float, a: tuple[float, float], b: tuple[float, float]) -> float:
    (ax, ay), (bx, by) = a, b
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return ((px - ax - t * dx) ** 2 + (py - ay - t * dy) ** 2) ** 0.5


def _pixels(size: int, background: tuple[int, int, int, int], width: float) -> list[bytes]:
    rows = []
    for y in range(size):
        row = bytearray([0])  # PNG filter: none
        for x in range(size):
            px, py = (x + 0.5) / size, (y + 0.5) / size
            d = min(_distance(px, py, a, b) for a, b in CHECK)
            cover = max(0.0, min(1.0, (width / 2 - d) * size + 0.5))  # anti-aliased edge
            r, g, b, a = background
            row += bytes(
                [
                    round(r + (255 - r) * cover),
                    round(g + (255 - g) * cover),
                    round(b + (255 - b) * cover),
                    round(a + (255 - a) * cover),
                ]
            )
        rows.append(bytes(row))
    return rows


def png(size: int, background: tuple[int, int, int, int], width: float) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    data = zlib.compress(b"".join(_pixels(size, background, width)), 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    (here / "color.png").write_bytes(png(192, (*ACCENT, 255), 0.11))
    (here / "outline.png").write_bytes(png(32, (255, 255, 255, 0), 0.13))
