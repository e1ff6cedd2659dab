"""Slack's settings and connections as the operator reads them: a token or secret missing, refused
at start-up or while serving, or another app's; Socket Mode's connection (out of reach, turned
off, envelopes left or cut); the channels routes name, checked at start-up."""

from __future__ import annotations

from collections.abc import Sequence

from bot.texts._common import _left_out, command

# --- slack: settings and connections -------------------------------------------------------------


def slack_needs_bot_token(present: list[str]) -> str:
    return (
        f"SLACK_BOT_TOKEN is required: {' and '.join(present)} {'is' if len(present) == 1 else 'are'} set, so Slack"
        " is meant to be on. Set SLACK_BOT_TOKEN (xoxb-..., the app's Bot User OAuth Token), or unset"
        f" {' and '.join(present)} to serve without Slack."
    )


def slack_bot_token_is_app_token() -> str:
    return (
        "SLACK_BOT_TOKEN holds an app-level token (xapp-...), which only opens Socket Mode: put it in"
        " SLACK_APP_TOKEN, and set SLACK_BOT_TOKEN to the Bot User OAuth Token (xoxb-..., the app's"
        " OAuth & Permissions page)."
    )


def slack_app_token_is_oauth_token(prefix: str) -> str:
    return (
        f"SLACK_APP_TOKEN holds an OAuth token ({prefix}...), not an app-level token: set it to the"
        " App-Level Token (xapp-..., the app's Basic Information page, scope connections:write) to connect"
        " over Socket Mode, or unset it to take events over HTTP."
    )


def slack_needs_signing_secret() -> str:
    return (
        "SLACK_SIGNING_SECRET is required when SLACK_BOT_TOKEN is set: it verifies every request from Slack"
        " (or set SLACK_APP_TOKEN to connect over Socket Mode instead)."
    )


def slack_app_token_of_another_app(socket_app: str, bot_app: str) -> str:
    """At start-up: the app-level token opens another app's Socket Mode connection than the app
    whose bot token serves (two apps' tokens mixed up: staging and production)."""
    return (
        f"SLACK_APP_TOKEN is an app-level token of app {socket_app}, but SLACK_BOT_TOKEN is the bot token of"
        f" app {bot_app}: Slack would send this server the other app's events. Set SLACK_APP_TOKEN to the"
        f" app-level token of app {bot_app} (https://api.slack.com/apps, Basic Information, App-Level Tokens)."
    )


def slack_app_token_refused(error: str) -> str:
    return f"Slack refused SLACK_APP_TOKEN at start-up (apps.connections.open: {error}). Check the app-level token."


def slack_socket_open_failed(error: str, seconds: float) -> str:
    return (
        f"Slack did not open a Socket Mode connection at start-up (apps.connections.open: {error}, still after"
        f" {seconds:g} s): a failure on Slack's side or the network's, not a refused SLACK_APP_TOKEN. Start"
        f" {command()} serve again in a moment."
    )


def slack_socket_unreachable(address: str, seconds: float) -> str:
    return (
        f"Slack accepted SLACK_APP_TOKEN but its Socket Mode connection ({address}) could not be opened"
        f" within {seconds:g} s. Check that outbound WebSocket (wss://) connections to Slack are allowed,"
        " or serve Slack over HTTP (SLACK_SIGNING_SECRET, without SLACK_APP_TOKEN)."
    )


def slack_socket_out_of_reach(failure: str, every: float, repeat: float) -> str:
    return (
        f"Slack is out of reach: its Socket Mode connection is down ({failure}). Trying again every"
        f" {_minutes(every)}; said again at most every {_minutes(repeat)} while it lasts."
    )


def slack_socket_still_out_of_reach(failure: str, seconds: float, tries: int) -> str:
    return f"Slack is still out of reach after {_minutes(round(seconds))} and {tries} tries (last: {failure})."


def slack_socket_reached_again(seconds: float, tries: int) -> str:
    return f"Slack is reachable again: Socket Mode connected after {_minutes(round(seconds))} out of reach ({tries} tries)."


def slack_socket_envelope_left(envelope_id: str) -> str:
    return (
        f"Slack envelope {envelope_id} arrived while stopping: left unacknowledged (Slack sends an event again;"
        " a command or a click shows its sender Slack's error, to be done again)."
    )


def slack_socket_ack_lost(envelope_id: str, error: str) -> str:
    return (
        f"Slack envelope {envelope_id} was carried out and stored, but its acknowledgement was not sent: the"
        f" Socket Mode connection closed ({error}). Slack sends an event again (the repeat is dropped, already"
        " stored); a command or a click shows its sender Slack's error though it was done."
    )


def slack_socket_turns_cut(count: int, seconds: float) -> str:
    return (
        f"{count} Slack Socket Mode turn(s) not finished {seconds:g} s into the stop: cut short and left"
        " unacknowledged, Slack sends them again."
    )


def slack_auth_failed(error: str) -> str:
    return f"Slack refused SLACK_BOT_TOKEN at start-up (auth.test: {error}). Check the bot token of the app."


def slack_bad_signature(remote: str | None, left_out: int = 0) -> str:
    return (
        f"Slack request from {remote or 'unknown'} refused: bad or stale signature. If every Slack request is"
        " refused, SLACK_SIGNING_SECRET is not this app's Signing Secret (https://api.slack.com/apps, Basic"
        " Information, App Credentials: not its Client Secret nor its Verification Token), or this machine's"
        f" clock is more than 5 minutes off.{_left_out(left_out)}"
    )


def slack_invalid_signature() -> str:
    """The 401's body for a Slack request whose signature does not verify."""
    return "invalid signature"


def slack_secret_of_another_app(app: str, bot_app: str, left_out: int = 0) -> str:
    """A request signed with SLACK_SIGNING_SECRET by an app other than the bot token's."""
    return (
        f"Slack request of app {app} refused: SLACK_SIGNING_SECRET verified it, so it is that app's signing secret,"
        f" but SLACK_BOT_TOKEN is the bot token of app {bot_app}. Set both from one app (https://api.slack.com/apps:"
        " Basic Information, App Credentials, for the Signing Secret; OAuth & Permissions for the Bot User OAuth"
        f" Token).{_left_out(left_out)}"
    )


def slack_no_app_check(error: str) -> str:
    return f"Could not learn this app's id (bots.info: {error}); requests are checked by team only."


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"


def slack_bot_token_refused(error: str, first: float, most: float) -> str:
    return (
        f"Slack refused SLACK_BOT_TOKEN while serving ({error}): the app was uninstalled or its bot token"
        f" revoked. Replies wait in the outbox, none is given up: one is tried again in {_minutes(first)}, then"
        f" every {_minutes(most)} at most. Set SLACK_BOT_TOKEN to the app's working bot token (xoxb-...;"
        f" reinstall the app if it was removed) and restart {command()} serve: the waiting replies go out then."
        " The other channels keep serving."
    )


def slack_bot_token_works_again() -> str:
    return "Slack accepts SLACK_BOT_TOKEN again: the replies waiting in the outbox go out."


def slack_app_token_refused_serving(error: str, first: float, most: float) -> str:
    return (
        f"Slack refused SLACK_APP_TOKEN while serving (apps.connections.open: {error}): the app-level token was"
        " revoked or the app removed, so Socket Mode is disconnected and no Slack events, commands or clicks"
        f" arrive. It asks again in {_minutes(first)}, then every {_minutes(most)} at most; replies still go out with SLACK_BOT_TOKEN."
        " Set SLACK_APP_TOKEN to a working app-level token (xapp-..., scope connections:write) and restart"
        f" {command()} serve. The other channels keep serving."
    )


def slack_app_token_works_again() -> str:
    return "Slack accepts SLACK_APP_TOKEN again: Socket Mode is connected."


def slack_socket_mode_off(first: float, most: float) -> str:
    return (
        "Slack turned Socket Mode off for this app (disconnect: link_disabled): no Slack events, commands or"
        f" clicks arrive. It connects again in {_minutes(first)}, then every {_minutes(most)} at most; replies still"
        " go out with SLACK_BOT_TOKEN. Turn Socket Mode back on in the app's settings (https://api.slack.com/apps,"
        " Socket Mode), or serve Slack over HTTP (SLACK_SIGNING_SECRET without SLACK_APP_TOKEN, the app's request"
        " URLs at /slack/events). The other channels keep serving."
    )


def slack_socket_mode_on_again() -> str:
    return "Slack's Socket Mode is on again for this app: connected, events arrive."


def slack_socket_down_failing(seconds: float, tries: int) -> str:
    """What /healthz says while the Socket Mode connection stays down."""
    return (
        f"Slack's Socket Mode connection has been down for {_minutes(round(seconds))} ({tries} tries): no"
        " events, commands or clicks arrive. The log says why; check that outbound wss:// connections to Slack are allowed."
    )


def slack_socket_mode_off_failing(since: str) -> str:
    """What /healthz says while Slack has Socket Mode turned off for the app."""
    return (
        f"Slack has Socket Mode turned off for this app (link_disabled) since {since}: no events arrive."
        " Turn Socket Mode on in the app's settings."
    )


#: What waits while Slack refuses the bot token, by the kind of call refused.
BOT_TOKEN_WAITS = {
    "replies": "replies wait in the outbox",
    "side": "questions are not redrawn once answered, nor messages deleted",
    "home": "Home tabs are not published",
}


def slack_failing(variable: str, error: str, since: str, waits: Sequence[str] = ("replies",)) -> str:
    """What /healthz says of a Slack token refused while serving (for the bot token, ``waits``: the
    kinds of call refused, of BOT_TOKEN_WAITS)."""
    if variable == "SLACK_BOT_TOKEN":
        held = "; ".join(BOT_TOKEN_WAITS[what] for what in waits)
    else:
        held = "no events arrive over Socket Mode"
    return f"Slack refuses {variable} ({error}) since {since}: {held}. Set a working {variable} and restart."


def slack_other_workspace(team: str, served: str | None, left_out: int = 0) -> str:
    """A request of another workspace than the bot token's, the app being installed there too."""
    return (
        f"Slack request of workspace {team} refused: this server serves workspace {served} only (SLACK_BOT_TOKEN's),"
        f" and the app is installed in {team} too. Uninstall it there, or serve that workspace with a decisionbot"
        f" of its own (its own app and tokens).{_left_out(left_out)}"
    )


def slack_workspace_of_the_org(team: str, served: str | None, org: str, left_out: int = 0) -> str:
    """A request of another workspace of the bot token's Enterprise Grid organisation, the app
    being installed there too (workspace by workspace, not org-wide)."""
    return (
        f"Slack request of workspace {team} refused: this server serves workspace {served} only (SLACK_BOT_TOKEN's),"
        f" and the app is installed in {team} too, a workspace of the same Enterprise Grid organization ({org})."
        " To serve every workspace of the organization with this decisionbot, install the app org-wide"
        " (an org admin: the app's settings, Install App, Install to Organization) and set SLACK_BOT_TOKEN to"
        f" the token of that installation.{_left_out(left_out)}"
    )


def slack_other_organization(org: str, served: str, left_out: int = 0) -> str:
    """A request of another Enterprise Grid organisation than the org-wide bot token's."""
    return (
        f"Slack request of organization {org} refused: this server serves organization {served} only"
        f" (SLACK_BOT_TOKEN's, installed org-wide), and the app is installed in {org} too. Uninstall it there,"
        f" or serve that organization with a decisionbot of its own (its own app and tokens).{_left_out(left_out)}"
    )


def slack_serving(team: str | None, org: str | None, org_wide: bool) -> str:
    """What the bot token is installed in, said once at start-up: the requests taken are its."""
    if org_wide:
        return f"Slack: the bot token is installed org-wide in Enterprise Grid organization {org}: requests of its workspaces are taken"
    if org:
        return f"Slack: the bot token is installed in workspace {team} of Enterprise Grid organization {org}: requests of that workspace are taken"
    return f"Slack: the bot token is installed in workspace {team}: its requests are taken"


def slack_unreachable(url: str, error: str) -> str:
    return f"Slack's Web API at {url} could not be reached at start-up ({error}). Check SLACK_API_URL and the network."


def route_channel_refused(route: str, spec: str, plain: str, remedy: str | None) -> str:
    """A log line: a route (``default``: DECISIONBOT_DEFAULT_CHANNEL; ``check:NAME``: a check of
    checks.yaml naming its own channel) names a channel the platform says the bot cannot post in
    (``plain``: why; ``remedy``: the fix, None: the usual)."""
    if route == "default":
        named, elsewhere, what = "DECISIONBOT_DEFAULT_CHANNEL", "set it to another channel", "alerts"
    elif route.startswith("check:"):
        named, elsewhere, what = (
            f"check '{route.removeprefix('check:')}' of checks.yaml",
            "name another channel in checks.yaml",
            "breaches",
        )
    else:
        named, elsewhere, what = f"route '{route}'", "name another channel in routes.yaml", "alerts"
    return (
        f"The {named} sends its runs to {spec}, where the bot cannot post: {plain}. Its {what} would start"
        f" runs nobody there sees. Fix: {remedy or 'Add the bot to that channel'}, or {elsewhere}."
    )


#: When the channels routes name are checked: ``serve``'s start, and each change of the files.
AT_START = "at start-up"
AFTER_CHANGE = "after routes.yaml or checks.yaml changed"


def route_channels_unchecked(channel: str | None, reason: str, when: str = AT_START) -> str:
    """A log line: the channels routes name (on ``channel``; None: on any) could not be checked
    ``when`` (a permission missing, the platform out of reach, routes.yaml broken); a route's
    channel refusing the bot is then learnt at its first alert."""
    which = f"{channel} channels" if channel else "channels"
    return (
        f"The {which} that routes name were not checked {when}: {reason}. A route whose"
        " channel refuses the bot is learnt at its first alert (for Slack: the channels:read and groups:read"
        " scopes of slack/manifest.yaml let the check run)."
    )
