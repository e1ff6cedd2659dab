"""What the Teams channel says of Teams refusing it: a post refused (in the facilitator's notice),
its credentials refused (Azure AD, the Bot Connector), a route's conversation refusing the bot, a
token signed with an unknown key."""

from __future__ import annotations

from bot.texts._common import _minutes, _one_line, command

# --- Teams' refusals in plain words (notices of undelivered replies) -----------------------------


def teams_refusal(status: str | None, where: str | None) -> str:
    """The Bot Connector's refusal (HTTP ``status``) in plain words; ``where``: what it refused
    (``direct``: a personal chat with the person; ``conversation``: the run's; else the message)."""
    code = f"HTTP {status}" if status else "refused"
    if where == "direct":
        words = {
            "403": "the app is not installed for them in Teams, or is blocked",
            "404": "Teams does not know them, perhaps they left the organisation",
        }.get(status or "", "Teams would not take a personal message to them")
    elif where == "conversation":
        words = {
            "403": "the bot is no longer allowed in the conversation, perhaps removed from the team or chat",
            "404": "Teams cannot find the conversation, perhaps it was deleted",
        }.get(status or "", "Teams refused the conversation")
    else:
        words = {"413": "the message is too big for Teams", "400": "Teams refused the message as malformed"}.get(
            status or "", "Teams refused the message"
        )
    return f"{words} ({code})"


_CREDENTIALS_FIX = {
    "secret": "Azure AD refused MicrosoftAppPassword, the bot's client secret: it expired (client secrets"
    " do after months) or was rotated or deleted. Add a new client secret to the app registration (Azure portal:"
    " Microsoft Entra ID > App registrations > the bot's app > Certificates & secrets) and set"
    " MicrosoftAppPassword to its value (not its ID)",
    "app": "Azure AD does not know MicrosoftAppId (in that tenant) or has it disabled. Check {names} against the"
    " Azure Bot's configuration",
    "tenant": "Azure AD does not know MicrosoftAppTenantId. Set it to the tenant of the bot's app registration",
    "identity": "The host has no managed identity with the client id MicrosoftAppId (MicrosoftAppType is"
    " UserAssignedMSI), or may not use it. Assign the user-assigned identity to this App Service, VM or container,"
    " or check {names}",
}


def teams_credentials_refused(kind: str, error: str, variables: tuple[str, ...], first: float, most: float) -> str:
    fix = _CREDENTIALS_FIX[kind].format(names=", ".join(variables))
    return (
        f"Teams: the bot's credentials are refused while serving ({error}). {fix}; then restart {command()} serve."
        f" Replies wait in the outbox, none is given up: one is tried again in {_minutes(first)}, then every"
        f" {_minutes(most)} at most, and the waiting replies go out once one does. The other channels keep serving."
    )


def teams_credentials_refused_at_start(kind: str, error: str, variables: tuple[str, ...]) -> str:
    """Why ``serve`` does not start: the credentials checked at start-up were refused."""
    by = "the managed identity endpoint" if kind == "identity" else "Azure AD"
    fix = _CREDENTIALS_FIX[kind].format(names=", ".join(variables))
    return (
        f"Teams: {by} refused the bot's credentials at start-up ({error}). {fix}; then start {command()} serve again."
    )


def teams_credentials_unchecked(msi: bool, problem: str | None, seconds: float) -> str:
    """The credentials could not be checked at start-up (``problem`` None: no answer in time)."""
    by = "the managed identity endpoint" if msi else "Azure AD"
    why = problem if problem is not None else f"no answer within {seconds:g} s"
    return (
        f"Teams: could not check the bot's credentials with {by} at start-up ({why}). Serving anyway:"
        " they are tried at the first reply, and a refusal then is logged naming what to fix."
    )


def teams_connector_refused(service_url: str, reason: str, variables: tuple[str, ...]) -> str:
    """A Bot Connector 401 to a token just fetched anew from Azure AD (once a service URL)."""
    return (
        f"Teams: the Bot Connector at {service_url} refused the bot's token (HTTP 401) again right after a new one"
        f" from Azure AD, which accepted the credentials ({reason}). If every conversation's replies are refused so,"
        f" the token is for an app or tenant the Azure Bot is not registered with: check {', '.join(variables)}"
        " against the Azure Bot's configuration. The reply is retried with backoff, for a day; the other"
        " conversations' replies go on."
    )


def teams_credentials_work_again() -> str:
    return "Teams: the bot's credentials work again: the replies waiting in the outbox go out."


def teams_failing(kind: str, error: str, variables: tuple[str, ...], since: str) -> str:
    """What /healthz says of Teams while the bot's credentials are refused."""
    refused = (
        "the managed identity endpoint refuses the bot's identity"
        if kind == "identity"
        else "Azure AD refuses the bot's credentials"
    )
    return (
        f"Teams: {refused} ({error}) since {since}: replies wait in the outbox. Fix {', '.join(variables)} and restart."
    )


# --- a route's Teams conversation refusing the bot (/healthz routes_refused, its warning) --------

_ROUTE_REFUSED = {
    "team": "the bot was removed from the team (teamMemberRemoved)",
    "team-app": "the app was uninstalled from the team (installationUpdate: remove)",
    "chat": "the bot was removed from the chat",
    "chat-app": "the app was uninstalled from the chat (installationUpdate: remove)",
    "channel": "the channel was deleted (channelDeleted)",
    "403": "Teams no longer lets the bot post there, perhaps it was removed from the team or chat (HTTP 403)",
    "404": "Teams cannot find the conversation, perhaps the channel was deleted (HTTP 404)",
}
_ROUTE_FIX = {
    "team": "Add the app back to the team (in Teams: the team's ... > Manage team > Apps, or Apps > the bot >"
    " Add to a team)",
    "chat": "Add the app back to the chat (in the chat: ... > Manage apps, or Apps > the bot > Add to a chat)",
    "channel": "Restore the channel (in Teams, within 21 days of its deletion: the team's ... > Manage team >"
    " Channels > Deleted > Restore)",
    "403": "Add the app back to the team or chat (in Teams: the team's ... > Manage team > Apps), and check the"
    " Teams admin center does not block it (Teams apps > Manage apps)",
    "404": "Restore the channel if it was deleted (the team's ... > Manage team > Channels > Deleted), or add the"
    " app back to the team or chat",
}


def teams_route_refused(why: str) -> tuple[str, str]:
    """Why a Teams conversation a route names refuses the bot's posts (``why``, as the ledger records it:
    ``team``, ``chat``, the bot removed, ``team-app``, ``chat-app``, the app uninstalled, ``channel``
    deleted, as Teams said it; ``403``, ``404``: a post refused so), and the fix, in a Teams admin's
    words: for ``/healthz`` (``routes_refused``) and the route's one warning; the same before and
    after a restart."""
    fix = _ROUTE_FIX.get(why.removesuffix("-app"), _ROUTE_FIX["403"])
    return _ROUTE_REFUSED.get(why, f"Teams refused the bot's posts ({why})"), fix


def teams_unknown_signing_key(key_id: object) -> str:
    """A token signed with a key the Bot Framework's metadata does not list (fetched again at most hourly)."""
    return (
        f"the token's signing key {_one_line(repr(key_id), 60)} is not among the Bot Framework's keys"
        " (they are fetched again at most once an hour)"
    )
