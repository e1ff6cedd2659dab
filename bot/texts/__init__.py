"""Every user-facing string: chat text, CLI messages, log warnings.

Small functions with arguments, so wording is reviewed in one place and can be translated later.
One module per area; ``from bot import texts`` gives them all: ``texts.cannot_skip()``.
"""

from bot.texts.actions import *  # noqa: F403
from bot.texts.analytics import *  # noqa: F403
from bot.texts.answers import *  # noqa: F403
from bot.texts.chat import *  # noqa: F403
from bot.texts.checks import *  # noqa: F403
from bot.texts.cli import *  # noqa: F403
from bot.texts.cli_slack import *  # noqa: F403
from bot.texts.console import *  # noqa: F403
from bot.texts.corrections import *  # noqa: F403
from bot.texts.delivery import *  # noqa: F403
from bot.texts.flow_checks import *  # noqa: F403
from bot.texts.flow_folder import *  # noqa: F403
from bot.texts.flows import *  # noqa: F403
from bot.texts.handover import *  # noqa: F403
from bot.texts.hooks import *  # noqa: F403
from bot.texts.inbound import *  # noqa: F403
from bot.texts.jobs import *  # noqa: F403
from bot.texts.ledger import *  # noqa: F403
from bot.texts.metrics import *  # noqa: F403
from bot.texts.rasa import *  # noqa: F403
from bot.texts.restore import *  # noqa: F403
from bot.texts.settings import *  # noqa: F403
from bot.texts.slack import *  # noqa: F403
from bot.texts.slack_deleted import *  # noqa: F403
from bot.texts.slack_home import *  # noqa: F403
from bot.texts.slack_inbox import *  # noqa: F403
from bot.texts.slack_late import *  # noqa: F403
from bot.texts.slack_lifecycle import *  # noqa: F403
from bot.texts.slack_members import *  # noqa: F403
from bot.texts.slack_modal import *  # noqa: F403
from bot.texts.slack_setup import *  # noqa: F403
from bot.texts.small_talk import *  # noqa: F403
from bot.texts.starts import *  # noqa: F403
from bot.texts.status import *  # noqa: F403
from bot.texts.store import *  # noqa: F403
from bot.texts.teams import *  # noqa: F403
from bot.texts.teams_refusals import *  # noqa: F403
from bot.texts.triggers import *  # noqa: F403
from bot.texts.unrouted import *  # noqa: F403
from bot.texts.validate import *  # noqa: F403
from bot.texts.waiting import *  # noqa: F403
from bot.texts.which import *  # noqa: F403
from bot.texts.yaml_files import *  # noqa: F403
