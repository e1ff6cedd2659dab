"""``decisionbot teams package``: the app package Teams takes, with the app id filled in."""

from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path

from click.testing import CliRunner

from bot.cli import main

APP_ID = "6f1c2a3b-0000-4000-8000-00000000abcd"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_package_zips_the_manifest_with_the_app_id_and_both_icons(tmp_path: Path) -> None:
    out = tmp_path / "app.zip"
    result = CliRunner().invoke(main, ["teams", "package", "--app-id", APP_ID, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert (
        result.output == f"Wrote {out} (bot {APP_ID}). Upload it in Teams: Apps > Manage your apps > Upload an app.\n"
    )
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(archive.read("manifest.json"))
        assert png_size(archive.read("color.png")) == (192, 192)
        assert png_size(archive.read("outline.png")) == (32, 32)
    assert manifest["id"] == APP_ID and manifest["bots"][0]["botId"] == APP_ID
    commands = manifest["bots"][0]["commandLists"][0]["commands"]
    assert [c["title"] for c in commands] == [
        "start",
        "list",
        "status",
        "cancel",
        "actions",
        "done",
        "due",
        "drop",
        "give",
        "help",
    ]
    assert len(commands) <= 10  # Teams shows at most 10 per list
    assert all(len(c["description"]) <= 128 and len(c["title"]) <= 32 for c in commands)
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}


def test_package_takes_the_app_id_from_the_environment_and_refuses_a_bad_one(tmp_path: Path) -> None:
    out = tmp_path / "env.zip"
    ok = CliRunner().invoke(main, ["teams", "package", "-o", str(out)], env={"MicrosoftAppId": APP_ID})
    assert ok.exit_code == 0 and out.exists()
    bad = CliRunner().invoke(main, ["teams", "package", "-o", str(tmp_path / "x.zip")], env={"MicrosoftAppId": ""})
    assert bad.exit_code == 1
    assert "'' is not a Microsoft App ID (a GUID like 00000000-0000-0000-0000-000000000000)." in bad.output
    missing = CliRunner().invoke(main, ["teams", "package", "--app-id", APP_ID, "--source", str(tmp_path)])
    assert missing.exit_code == 1 and "lacks manifest.json, color.png, outline.png" in missing.output
