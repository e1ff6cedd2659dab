"""Every setting, declared once: name, environment variable, default, help.

The table drives the CLI's options and ``--help``, the README's settings list (a test checks
it) and start-up checks. Secrets have no default and are read only from the environment.
"""

from __future__ import annotations

import difflib
import os
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot import texts
from bot.errors import ConfigError
from bot.quiet_hours import QuietHours


@dataclass(frozen=True)
class Setting:
    name: str
    env: str
    default: str | None
    help: str
    secret: bool = False


SETTINGS: tuple[Setting, ...] = (
    Setting("db", "DECISIONBOT_DB", "data/decisions.db", "Path of the SQLite ledger."),
    Setting("flows", "DECISIONBOT_FLOWS", "flows", "Folder of flow files (*.yaml)."),
    Setting(
        "timezone", "DECISIONBOT_TIMEZONE", "UTC", "Time zone for dates people type, unless their platform says theirs."
    ),
    Setting("host", "DECISIONBOT_HOST", "127.0.0.1", "Address `decisionbot serve` listens on."),
    Setting("port", "DECISIONBOT_PORT", "3978", "Port `decisionbot serve` listens on."),
    # Slack (bot/channels/slack.py): on when SLACK_BOT_TOKEN is set
    Setting(
        "slack_bot_token",
        "SLACK_BOT_TOKEN",
        None,
        "Slack bot token (xoxb-...): turns the Slack channel on.",
        secret=True,
    ),
    Setting(
        "slack_signing_secret",
        "SLACK_SIGNING_SECRET",
        None,
        "Slack signing secret: verifies every request from Slack.",
        secret=True,
    ),
    Setting(
        "slack_app_token",
        "SLACK_APP_TOKEN",
        None,
        "Slack app-level token (xapp-...): connect over Socket Mode instead of HTTP.",
        secret=True,
    ),
    Setting(
        "slack_api_url",
        "SLACK_API_URL",
        "https://slack.com/api/",
        "Base URL of the Slack Web API (tests point it at a local fake).",
    ),
    # Microsoft Teams / Bot Framework (bot/channels/teams.py)
    Setting(
        "teams_app_id",
        "MicrosoftAppId",
        None,
        "Bot Framework app id: turns inbound token validation on (empty: local development, no auth).",
    ),
    Setting(
        "teams_app_password", "MicrosoftAppPassword", None, "Bot Framework app password (client secret).", secret=True
    ),
    Setting("teams_app_type", "MicrosoftAppType", "MultiTenant", "MultiTenant, SingleTenant or UserAssignedMSI."),
    Setting("teams_tenant_id", "MicrosoftAppTenantId", None, "Tenant id, for SingleTenant and UserAssignedMSI bots."),
    Setting(
        "teams",
        "DECISIONBOT_TEAMS",
        "off",
        "on: serve Teams at /api/messages with MicrosoftAppId empty (local development, no auth; loopback --host only).",
    ),
    # Trigger hooks (bot/triggers/)
    Setting(
        "hook_token",
        "DECISIONBOT_HOOK_TOKEN",
        None,
        "Bearer token every trigger hook requires (whitespace around it stripped); hooks are off without it.",
        secret=True,
    ),
    Setting(
        "metrics_token",
        "DECISIONBOT_METRICS_TOKEN",
        None,
        "Bearer token Prometheus sends to scrape GET /metrics (whitespace around it stripped); /metrics is off without it.",
        secret=True,
    ),
    Setting(
        "rasa_token",
        "DECISIONBOT_RASA_TOKEN",
        None,
        "Token `decisionbot rasa-actions` requires (Rasa sends endpoints.yml's action_endpoint token as ?token=).",
        secret=True,
    ),
    Setting(
        "default_channel",
        "DECISIONBOT_DEFAULT_CHANNEL",
        None,
        "Where alerts without a route go, e.g. slack:C0123 or teams:<conversation>.",
    ),
    Setting(
        "log_level",
        "DECISIONBOT_LOG_LEVEL",
        "INFO",
        "What serve logs: DEBUG, INFO, WARNING or ERROR (and worse).",
    ),
    Setting(
        "quiet_hours",
        "DECISIONBOT_QUIET_HOURS",
        None,
        "Hours of each day runs' reminders, escalations and expiries, and owner digests, wait out, on the"
        " clock of whoever they reach, e.g. 20:00-08:00 (default: none).",
    ),
    Setting(
        "quiet_days",
        "DECISIONBOT_QUIET_DAYS",
        None,
        "Days of the week runs' reminders, escalations and expiries, and owner digests, wait out, on the"
        " clock of whoever they reach, until the end of the quiet hours of the next working day's"
        " morning, e.g. sat,sun (default: none).",
    ),
    Setting(
        "synchronous",
        "DECISIONBOT_SYNCHRONOUS",
        "NORMAL",
        "SQLite synchronous mode: NORMAL (safe against crashes of the bot) or FULL (also against power loss).",
    ),
)

BY_NAME = {s.name: s for s in SETTINGS}
BY_ENV = {s.env: s for s in SETTINGS}


#: The environment variables that hold secrets.
SECRETS = frozenset(s.env for s in SETTINGS if s.secret)

#: How alike (difflib's ratio, on names upper-cased without underscores) a variable's name must be
#: to a setting's to be taken for a misspelling of it: SLACK_TOKEN for SLACK_BOT_TOKEN (0.87), not
#: SLACK_WEBHOOK_URL for SLACK_API_URL (0.69).
LIKENESS = 0.85


def misnamed(env: Mapping[str, str]) -> list[tuple[str, str | None]]:
    """The variables of ``env`` that look meant for decisionbot but name no setting, each with the
    setting it most likely meant (None: none close). Ours are every ``DECISIONBOT_*`` name, and
    any name close to a setting's: ``MICROSOFT_APP_ID`` for ``MicrosoftAppId``, ``SLACK_TOKEN``
    for ``SLACK_BOT_TOKEN``. Such a variable is ignored, so the channel or option it was meant for
    silently stays off or at its default."""
    known = {_plain(s.env): s.env for s in SETTINGS}
    found: list[tuple[str, str | None]] = []
    for name in sorted(env):
        if name in BY_ENV:
            continue
        close = difflib.get_close_matches(_plain(name), known, n=1, cutoff=LIKENESS)
        if close or name.upper().startswith("DECISIONBOT_"):
            found.append((name, known[close[0]] if close else None))
    return found


def say_misnamed(env: Mapping[str, str], say: Callable[[str], object]) -> None:
    """Say each of :func:`misnamed`'s variables (its name and the setting meant, never its value)."""
    for name, meant in misnamed(env):
        say(texts.setting_misnamed(name, meant))


def _plain(name: str) -> str:
    return name.upper().replace("_", "")


def get(name: str) -> str | None:
    setting = BY_NAME[name]
    value = _value(setting.env, os.environ.get(setting.env))
    if value is None or value == "":
        return setting.default
    return value


def environment(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` as the channels and hooks read it: a setting's surrounding whitespace (the newline
    of a secrets file, a stray space after a value in an env file) is not part of it, and a blank
    setting is not set."""
    read = {name: _value(name, value) for name, value in env.items()}
    return {name: value for name, value in read.items() if value is not None}


def _value(env: str, value: str | None) -> str | None:
    """A setting's value as read: without surrounding whitespace, and None when blank (its default).
    Another variable is as it is set."""
    if value is None or env not in BY_ENV:
        return value
    value = value.strip()
    if env in SECRETS and any(unicodedata.category(c) == "Cc" for c in value):
        raise ConfigError(texts.secret_with_control(env))  # two lines pasted: no header can carry it
    return value or None


def timezone(name: str | None = None) -> ZoneInfo:
    tz_name = name or get("timezone") or "UTC"
    try:
        return ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(texts.timezone_unknown(tz_name)) from exc


def quiet_hours() -> QuietHours | None:
    """The quiet hours and quiet days (None: neither set)."""
    value = (get("quiet_hours") or "").strip()
    days = (get("quiet_days") or "").strip()
    if not value and not days:
        return None
    try:
        QuietHours.parse(value)
    except ValueError as exc:
        raise ConfigError(texts.quiet_hours_bad(value)) from exc
    try:
        return QuietHours.parse(value, days)
    except ValueError as exc:
        raise ConfigError(texts.quiet_days_bad(days)) from exc


def synchronous() -> str:
    value = (get("synchronous") or "NORMAL").upper()
    if value not in ("NORMAL", "FULL"):
        raise ConfigError(texts.synchronous_bad(value))
    return value
