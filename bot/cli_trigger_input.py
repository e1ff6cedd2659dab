"""What ``decisionbot trigger`` takes of its options, refused as the generic hook refuses the same
fields (a usage error, exit 2, before the ledger is opened: nothing stored)."""

from __future__ import annotations

from typing import Any

import click

from bot import texts
from bot.triggers import KEY_MAX, TITLE_MAX, generic


def refuse_unusable(title: str, fields: dict[str, Any], dedup_key: str | None) -> None:
    """The title and dedup key within their limits, shown as given, and --data's own names."""
    refuse_long(("--title", title, TITLE_MAX), ("--data title", fields.get("title"), TITLE_MAX))
    refuse_long(("--dedup-key", dedup_key, KEY_MAX))
    _refuse_unshowable(title, fields, dedup_key)


def _refuse_unshowable(title: str, fields: dict[str, Any], dedup_key: str | None) -> None:
    """A usage error (exit 2), as the generic hook's 400: a title given but blank or with a control
    character, a dedup key with one, or --data setting a name decisionbot reads itself (``decision``
    was dropped without a word; ``decision_id`` names the decision a review flow reviews)."""
    for option, given in (("--title", title), ("--data title", fields.get("title"))):
        if given and (refused := generic.title_refused(str(given))):
            raise click.BadParameter(refused, param_hint=option)
    if dedup_key is not None and (not dedup_key.isprintable() or not dedup_key.strip()):
        raise click.BadParameter(texts.dedup_key_unusable(), param_hint="--dedup-key")
    taken = sorted((generic.RESERVED - {"decision_id"}) & set(fields))
    if taken:
        raise click.BadParameter(texts.cli_data_reserved(taken[0]), param_hint="--data")


def refuse_long(*options: tuple[str, Any, int]) -> None:
    """A usage error (exit 2) naming the option whose text is over its limit: before the ledger is
    written, so nothing is stored (a megabyte's title repeated in every prompt and list)."""
    for option, given, limit in options:
        if isinstance(given, str) and len(given) > limit:
            raise click.BadParameter(texts.payload_too_long(len(given), limit), param_hint=option)
