"""Whether the environment asks for Teams: read without botbuilder, so that a server asked for
Teams without the ``teams`` extra installed refuses to start instead of serving without it."""

from __future__ import annotations

from collections.abc import Mapping

from bot import texts
from bot.errors import ConfigError

SWITCH = "DECISIONBOT_TEAMS"  # on: Teams with no app id (local development, no authentication)
SWITCH_ON = ("on", "1", "true")
SWITCH_OFF = ("off", "0", "false")
#: Set without MicrosoftAppId, these mean someone meant to turn Teams on: the server says it is off.
PARTS = ("MicrosoftAppPassword", "MicrosoftAppTenantId", "MicrosoftAppType")


def switched_on(env: Mapping[str, str]) -> bool:
    """``DECISIONBOT_TEAMS``: on, off (also when empty), or a ConfigError naming the accepted values."""
    value = env.get(SWITCH, "").strip()
    if value.lower() in SWITCH_ON:
        return True
    if not value or value.lower() in SWITCH_OFF:
        return False
    raise ConfigError(texts.teams_bad_switch(value, SWITCH_ON, SWITCH_OFF))


def asked_by(env: Mapping[str, str]) -> str | None:
    """The setting that turns Teams on (``MicrosoftAppId``, else ``DECISIONBOT_TEAMS`` saying
    on), or None when Teams is off."""
    switch = switched_on(env)  # read even with an app id: a wrong value is never taken silently
    if env.get("MicrosoftAppId", "").strip():
        return "MicrosoftAppId"
    return SWITCH if switch else None


def asked_for(env: Mapping[str, str]) -> bool:
    return asked_by(env) is not None
