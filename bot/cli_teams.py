"""``decisionbot teams package``: the Teams app package (manifest and icons, zipped)."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import click

from bot import texts
from bot.cli import main
from bot.cli_output import open_output
from bot.errors import BotError

#: The app's manifest and icons, kept in the repository's teams/ folder.
APP_FOLDER = Path(__file__).resolve().parents[1] / "teams"
FILES = ("manifest.json", "color.png", "outline.png")
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


@main.group("teams")
def teams_group() -> None:
    """The Microsoft Teams app.

    \b
    Example:
      decisionbot teams package --app-id 00000000-0000-0000-0000-000000000000
    """


@teams_group.command("package")
@click.option("--app-id", envvar="MicrosoftAppId", default="", help="The bot's Microsoft App ID. [env MicrosoftAppId]")
@click.option("-o", "--output", default="decisionbot-teams.zip", show_default=True, help="The zip file to write.")
@click.option("--source", default=str(APP_FOLDER), show_default=True, help="Folder with manifest.json and the icons.")
def teams_package(app_id: str, output: str, source: str) -> None:
    """Zip the Teams app: manifest.json (with the app id filled in) and its two icons, ready to
    upload in Teams (Apps > Manage your apps > Upload an app) or in the Developer Portal.

    \b
    Example:
      decisionbot teams package --app-id 6f1c2a3b-0000-4000-8000-00000000abcd -o decisionbot.zip
    """
    if not _GUID.fullmatch(app_id.strip()):
        raise BotError(texts.teams_bad_app_id(app_id))
    folder = Path(source)
    missing = [name for name in FILES if not (folder / name).is_file()]
    if missing:
        raise BotError(texts.teams_app_files_missing(str(folder), missing))
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["id"] = app_id.strip()
    for bot in manifest.get("bots", []):
        bot["botId"] = app_id.strip()
    out = Path(output)
    with open_output(out, binary=True) as stream, zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest, indent=2) + "\n")
        for name in FILES[1:]:
            archive.write(folder / name, name)
    click.echo(texts.teams_packaged(str(out), app_id.strip()))
