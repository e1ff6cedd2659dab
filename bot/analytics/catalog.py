"""What every table, column and view of the ledger means: Datasette's metadata and the docs."""

from __future__ import annotations

import re
import sqlite3

T = dict[str, str]

TABLES: dict[str, tuple[str, T]] = {
    "events": ("One row per trigger received (alert, metric check, facilitator, review date).", {
        "id": "Event id.", "source": "Where it came from: cli, console, slack, teams, rasa, alertmanager, grafana, generic, check, schedule.",
        "kind": "`manual` (a person started it: chat, `start`, `decisionbot trigger`), `alert`, `metric`, `review` (a review's date came, or a review was started by hand), `handover` (`give A12 @person`), or a generic event's own `kind` (default `event`).", "dedup_key": "Key that ties repeats of one alert to one open run.",
        "status": "firing or resolved.", "title": "Short title shown in prompts.", "payload": "The trigger's fields (JSON); a run a person started in chat, `via`: slash, modal (the form), mention or dm in Slack; chat on Teams, over Rasa and in the terminal (none on runs an older release stored).",
        "first_seen_at": "When it was first received (UTC): the trigger time of its runs.", "last_seen_at": "When it was last received (UTC).",
        "repeat_count": "How many more times it came without starting a new run: while its run was open; for alerts, checks and generic events also until they resolved, or within the route's cooldown after.", "route": "The route the trigger took.",
        "resolved_at": "When the alert resolved (UTC).", "problem": "Why the trigger started no run.",
        "left_out": "The people the trigger named that nobody can ask, left out of its run (JSON: `[{\"id\": \"slack:U0JIRA\", \"kind\": \"app\"}]`; kind `app`: an app's bot user, `deactivated`: a deactivated account, `unreached`: a Teams person named by an Azure AD object id the bot has never heard from); NULL when it left out nobody. Also logged and said in the run's thread.",
    }),
    "flow_versions": ("The text of every flow version a run started on.", {
        "flow_id": "Flow id (the file name).", "version": "First 12 hex digits of the SHA-256 of the text.",
        "title": "Flow title.", "path": "File it was loaded from.", "text": "The YAML text.", "first_loaded_at": "When first stored (UTC).",
    }),
    "runs": ("One row per run of a flow.", {
        "id": "Run id.", "flow_id": "Flow id.", "flow_version": "Flow version the run is pinned to.", "event_id": "The trigger (events.id).",
        "channel": "console, slack, teams or rasa.", "conversation": "channel:conversation[/thread].",
        "facilitator_id": "Who runs it (channel:user).", "state": "The step it is at, or completed / cancelled.",
        "status": "active, completed, cancelled or stalled.", "context": "Answers, path and open prompts (JSON).",
        "waiting_on": "Who has an open question (' id id ').", "started_at": "Start (UTC).", "updated_at": "Last turn, or the bot's last reminder or escalation (UTC).",
        "completed_at": "When it completed or was cancelled (UTC).",
    }),
    "messages": ("Every inbound and outbound message of the runs: the transcript and the outbox. A chat command's answer to whoever typed it, off the outbox (`list`, `status N`, `actions`, `done A12` ..., on every platform, Teams' `actions` in a personal chat too), is not one: see *Commands answered to their writer*.", {
        "id": "Message id.", "run_id": "Run.", "direction": "in or out.", "channel": "Channel.", "conversation": "Conversation key: where it was said; out, a reply delivered to its person's direct message (Slack `slack:D...`) or personal chat (Teams `teams:a:...`) rather than the run's conversation names that one from the write that marks it delivered (`delivered_at`), never before (queued, and while it is being sent, the run's).",
        "actor_id": "in: the sender; out: the addressee (NULL: everyone).", "actor_name": "Their display name.",
        "platform_id": "The platform's message id.", "step": "Step it belongs to.",
        "kind": "in: answer, command, invalid, refused (typed to a question not theirs; a Slack button or menu or a Teams card used where it answers nothing; or words typed in a Slack run's old thread after the run moved, `payload.moved_to` where it lives now), closed, start (how a run a person started in chat began: on Slack `/decision start` typed, the form submitted as what its person chose, `@decisionbot start` mentioned, or `start FLOW ...` typed to the bot in a direct message; on Teams and Rasa `start FLOW ...` typed, or the message that made a Rasa assistant call `action_decision_start`; none in the terminal, whose runs start from the command line; counted as the run, never as a message sent), and edited or deleted (a Slack or Teams message edited or deleted by its writer, a row after it with its run, step and platform_id: `text` as edited, '' when deleted; the run keeps the message as first sent, and no measure counts these rows as messages or answers); out: prompt, info, error (info and error also: a Slack command's or click's outcome told late at its response_url, private, `payload.via` `response_url`; no question, no reply of the run), summary, notice (a reply given up, told to the run's facilitator), root (the message a Slack start posted to open the run's thread, delivered: `platform_id` its ts).", "text": "Text.",
        "expects": "out: the answer expected (JSON).", "private": "1 when sent to the addressee alone (and every reply delivered to their direct message or personal chat).",
        "payload": "in: the raw platform payload (JSON); edited, deleted: `{\"original\": the messages.id of the message changed}`; refused by a widget: `{\"widget\": why, \"question\": the messages.id of the question}`, why being not_theirs, answered, closed or asked_since; refused in a Slack run's old thread after a move: `{\"moved_to\": the run's conversation now, e.g. \"slack:C2\"}`; start: the platform's (Slack's command, form or mention; the Teams activity; Rasa's `latest_message`); out: a Slack outcome told late at its response_url: `{\"via\": \"response_url\", \"about\": \"command\" or \"click\"}`; files riding on it (a review's .ics), what a notice is about (`notice.about`), the chase stage that queued a reminder, escalation or expiry notice (`chase`), an owner digest (`{\"digest\": true}`).", "created_at": "When written (UTC).",
        "delivered_at": "out: when delivered (NULL while in the outbox).", "attempts": "Delivery attempts.", "last_error": "Last delivery error.",
        "failed_at": "out: when the outbox gave it up (refused for good, or for now for a day; or withdrawn: a Rasa question closed before its person called, last_error 'withdrawn: ...'; or superseded: a reminder or escalation still queued when its run was cancelled or completed, or a question when it was cancelled, last_error 'superseded: ...').",
        "parts_sent": "out: of a reply too long for its platform, sent in parts: the parts delivered so far"
        " (all of them once `delivered_at` is set; before 2026-12-02 the last part was not counted).",
        "retry_since": "out: its first refusal for now (429, 5xx, network) since its channel last worked: the outbox gives it up a day after.",
    }),
    "transitions": ("Every state change of a run.", {
        "id": "Transition id.", "run_id": "Run.", "source": "Step left ('' at the start).", "target": "Step entered, or completed / cancelled; a stall, resume, lead_left, take, channel_lost, channel_back, thread_moved or asked_again stays at its step (target = source).",
        "event": "start, next, back, cancel, stall, resume; lead_left (the run's facilitator left the company: actor_id is who left, `at` when a job of the run found it) and take (actor_id leads the run from then: the route's backup at once, else whoever answered first after it); channel_lost (the Slack channel the run lives in was lost: the bot removed from it, or it archived; actor_id is who did it, when Slack says; what is typed there no longer reaches the bot, and the run's lead was told by direct message) and channel_back (the bot back in that channel: invited back or the channel unarchived; the questions waiting there asked again); thread_moved (the run's Slack thread was deleted with its root, or its facilitator, actor_id then, moved it to another channel with /decision move: the run goes on in a new thread, of the same channel or that one, its questions waiting there asked again under it; the Slack table slack_moves says from where to where, by this transition's id) and asked_again (the message of a question the run waits on was deleted in Slack: asked again in the run's thread).", "actor_id": "Who caused it.", "at": "When (UTC).",
    }),
    "answers": ("Every answer to a step, with its revisions.", {
        "id": "Answer id.", "run_id": "Run.", "step": "Step.", "item": "1-based item of a repeat or fan-out step.",
        "field": "Field of a repeat step.", "actor_id": "Who answered.", "value": "Parsed value (JSON).", "raw": "What was typed.",
        "kind": "answer, default, kept, skip or correction.", "revision": "1 for the first answer of its place; n replaces n-1.", "at": "When (UTC).",
        "message_id": "The inbound message that gave it (messages.id): what was typed or clicked, where (`answer_sources` reads its surface); NULL when no message gave it (a default the bot took).",
    }),
    "decisions": ("One row per decision recorded.", {
        "id": "Decision id.", "run_id": "Run that recorded it.", "flow_id": "Its flow.", "title": "Title.", "text": "What was decided.",
        "decided_by": "Facilitator.", "decided_at": "Time of the decision (UTC): the latest answer, as last revised, of the steps record.decision uses on the route the run took (the step it names, or the step ids its template reads); the completion time when none was answered.", "review_at": "Next review date (local date): the one set with the decision, moved by each review that keeps it (every date is in reviews).",
        "status": "open, kept, changed or dropped.", "revises": "The decision it replaces (changed at its review). That decision's actions still open keep their `decision_id` and are asked about at this one's reviews.", "updated_at": "Last change (UTC).",
    }),
    "actions": ("One row per action item of a decision.", {
        "id": "Action id.", "decision_id": "Decision.", "item": "1-based item number.", "what": "The action.", "owner_id": "Owner in force: `give A12 @person` replaces it once they say yes (the earlier ones are in action_changes).",
        "owner_name": "Owner's name.", "due": "Due date (local date), as last moved by `due A12 DATE` (the earlier ones are in action_changes).",
        "accepted_at": "When the owner accepted (UTC): their yes to the action, or to taking it over (`give A12`); empty when someone else said yes in their place (confirmed_by).",
        "status": "open, done or dropped (at its review, or by `drop A12` in chat: see action_changes).", "done_at": "When reported done (UTC): when its owner (or the decision's facilitator) said `done A12` in chat, else at its review.",
        "confirmed_by": "Who said yes in the owner's place: the facilitator the owner's question was handed to (after the owner's misses, or by the escalation timer); empty when the owner accepted.",
        "confirmed_at": "When confirmed_by said yes (UTC).",
        "done_confirmed_by": "Who said the action was done in the owner's place: the decision's facilitator (`done A12` in chat), or at its review the facilitator the owner's question was handed to; empty when the owner said so (or it is not done).",
    }),
    "action_changes": ("One row per change to an action after its decision: its due date moved (`due A12 DATE`), the action dropped (`drop A12 [why]`) or handed to someone else (`give A12 @person [why]`, written when they say yes), said in chat by its owner or the decision's facilitator. The first due date of an action is the `old` of its first `due` change; its first owner, the `old` of its first `owner` change, and when they accepted it, its `old_accepted_at` (the action's `accepted_at` is the owner in force's).", {
        "id": "Change id.", "action_id": "Action.", "field": "due, status or owner.", "old": "The value before (a local date, open, or the owner's id).",
        "new": "The value after (a local date, dropped, or the new owner's id).", "reason": "What they said after `drop A12` or `give A12 @person`; empty when nothing.",
        "actor_id": "Who changed it (an owner change: who asked; `at` is when the new owner said yes).", "actor_name": "Their name.", "at": "When (UTC).",
        "old_accepted_at": "An owner change: when the old owner had accepted the action (their own yes: the action's `accepted_at` before the new owner's replaced it); empty when someone said yes in their place, or for other changes.",
        "old_confirmed_by": "An owner change: who had said yes in the old owner's place (the action's `confirmed_by` before), if anyone.",
        "old_confirmed_at": "An owner change: when old_confirmed_by said yes (UTC).",
    }),
    "reviews": ("One row per review of a decision.", {
        "id": "Review id.", "decision_id": "Decision.", "due_at": "Review date (local date).", "run_id": "The review run: set when the scheduler starts it (held_at stays empty until it completes); for a review run started by hand, when held.",
        "held_at": "When held (UTC).", "outcome": "kept, changed or dropped.",
    }),
    "jobs": ("Durable timers: reminders, escalations, expiries, review starts, owner digests, metric checks (a check's done job is forgotten after a week; its evaluation stays in check_evaluations).", {
        "id": "Job id.", "run_id": "Run (empty for digest and check).", "kind": "remind, escalate, expire, start_flow, digest or check.", "due_at": "When due (UTC).",
        "payload": "Arguments (JSON): a chase's `since` (the last activity its chain is timed from); a reminder or digest put off for some people's quiet hours, `to` (their ids); a review start's `flow`, `decision_id` and `facilitator` (who set its date and leads it; absent on jobs of older releases); a check's `check` and `schedule`, a recurring digest's `schedule`.", "created_at": "Created (UTC).", "claimed_at": "Claimed (UTC).", "done_at": "Done (UTC).",
        "outcome": "done; done: <stage> (a chase whose later stage was due); done: run N (a review started); done: N owner(s) (a digest; with '; M put off for their quiet hours' and/or '; M put off for their quiet days' when some owners get it later: days when a quiet day keeps them past their quiet hours' end); a check's ok, error, started, repeat, resolved, unrouted or held (within bounds, the breach kept open by clear_after); skipped: ...; put off: quiet hours until ... (their quiet hours or days; a new job carries it); put off: quiet days until ... (a review start on its facilitator's quiet day); cancelled: the review was held by run N; superseded; or failed: ...",
    }),
    "owner_digests": ("The day of each owner's calendar their latest digest of open actions went on: one a day of theirs at most, whatever their zone did meanwhile.", {
        "owner_id": "Owner (actor id; join `actions.owner_id`).", "day": "That day, on the owner's clock when it was sent (YYYY-MM-DD).", "sent_at": "When it was queued (UTC)."
    }),
    "deliveries": ("Platform delivery ids already seen (retries are dropped); forgotten after a week.", {
        "platform": "Platform.", "delivery_id": "Its delivery id.", "received_at": "When first received (UTC).",
    }),
    "rasa_calls": ("The answer given to each Rasa action call, returned again when the same call comes back (a retry); forgotten after a week.", {
        "call_id": "JSON [action name, sender_id, message_id of the user message]: ids are unique per sender only.", "answer": "JSON: the events and responses returned.",
        "created_at": "When first answered (UTC).",
    }),
    "leases": ("Work one process on the ledger does at a time: outbox:<channel>, the delivery of that channel's replies (two servers on one ledger never send a reply twice).", {
        "name": "What is leased: outbox:<channel>.", "holder": "A random token of the process holding it.",
        "expires_at": "When it expires unless renewed (UTC; renewed every second); then another process takes it over.",
    }),
    "check_evaluations": ("One row per evaluation of a SQL metric check.", {
        "id": "Evaluation id.", "check_name": "Check.", "at": "When (UTC).", "value": "Value (NULL when the query failed).",
        "threshold": "Threshold.", "direction": "above or below.", "breached": "1 when breached.", "error": "Why there is no value (the query failed), or why a breach or recovery fed no event (routes.yaml broken).",
        "event_id": "The event a breach or recovery fed.",
    }),
    "people": ("People Slack told us about (users.info, a profile changed), by their actor id: join `messages.actor_id`, `answers.actor_id` or `actions.owner_id` on `id` for names and time zones. Only the Slack channel writes here: Teams people are in `teams_users` (`user_id` without the `teams:`), console and Rasa people only by the names in `messages.actor_name`; `demo-data` puts every person its runs name here.", {
        "id": "Neutral actor id: slack:U0123.", "name": "Display name.",
        "tz": "IANA time zone, when the platform says it.", "fetched_at": "When last fetched, or told of a change (UTC); one older than a day is fetched again when next used.",
        "deactivated": "1 when the platform says the account is deactivated (Slack's users.info: deleted): refused as an owner, a participant or a new owner.",
        "is_bot": "1 when the platform says the account is an app's bot user (Slack's users.info: is_bot; Slackbot too): refused as an owner, a participant or a new owner.",
        "external": "1 when the person is of another organization than the bot's (Slack Connect: users.info says is_stranger, or names another Enterprise Grid organization or workspace): asked in the run's thread when Slack refuses the bot's direct message to them.",
    }),
    "conversation_names": ("The name of each conversation runs live in, as its platform last gave it: a Slack slash command's channel_name and the channels its text links (`<#C0OPS|ops>`), the channels routes.yaml names as Slack describes them when the server checks them, both channels of a `/decision move` as Slack described them for its check; a Slack channel runs live in that none of those named (a run started there by a mention or a message), as Slack describes it when `serve` asks in the background (`conversations.info`, one every 15 s at most; a channel Slack refuses to describe, private without the bot or gone, asked again after six hours); a Teams activity's channel and team (channelData), a group chat's topic. Join `run_latency.conversation` (runs.conversation without its thread) on `conversation`; the views that show a conversation give its `conversation_name` already.", {
        "conversation": "platform:id, as runs.conversation without its thread: slack:C0OPS, teams:19:...@thread.tacv2.",
        "platform": "slack or teams.", "name": "The name (a Slack channel's without #; a Teams channel's as Team / Channel).",
        "seen_at": "When it was last given so (UTC); a name given again as kept is not written again.",
    }),
    "slack_threads": ("The Slack thread of each run.", {
        "channel": "Slack channel id (C..., G...).", "thread_ts": "ts of the thread's root message.", "run_id": "Run.",
        "created_at": "When created (UTC).", "closed_at": "When the run's summary was posted (replies are no longer answers).",
    }),
    "slack_inbox": ("The Slack events acknowledged whose turn has not run yet, or failed: each is written here and committed before Slack gets its 200, and its turn, run after, deletes it. Mostly empty: what stays is a turn still to run, one waiting to be tried again, or one given up (`tries` 5), kept with why, run again by `decisionbot slack retry ID` (its `tries` set to 0; `decisionbot slack events` lists them).", {
        "id": "The order the events were acknowledged in.", "event_id": "Slack's event_id (a retry of an event still kept is not kept twice).",
        "payload": "The event_callback as Slack sent it (JSON).", "received_at": "When it was kept (UTC).",
        "tries": "Tries of its turn that failed.", "failed": "Why the last one failed.", "retry_at": "Not tried again before (UTC).",
    }),
    "slack_moves": ("Where each `thread_moved` transition took its Slack run: its thread deleted with its root (a new thread in the same channel), or moved to another channel by its facilitator (/decision move). Join `transitions.id` on `transition_id`.", {
        "transition_id": "The run's thread_moved transition (transitions.id).", "run_id": "Run.",
        "from_conversation": "Where the run lived: slack:C.../<thread ts> (slack:C... for a run whose first message had not gone out yet).",
        "to_conversation": "The channel it went on in (slack:C...): its next message there rooted its new thread (slack_threads).",
        "by_id": "Who moved it (/decision move); empty when its thread was deleted (Slack does not say by whom).", "at": "When (UTC).",
    }),
    "slack_prompts": ("Questions posted on Slack, redrawn once answered.", {
        "channel": "Slack channel id.", "ts": "The posted message.", "message_id": "The outbox row (messages.id).",
        "run_id": "Run.", "actor_id": "Who is asked.", "text": "The question.", "expects": "What it expects (JSON).",
        "status": "open, answered, superseded or closed.", "answered_by": "Who answered.",
        "answer": "The answer taken, as shown (Yes, an option's label, a mention, a date), not as typed.",
        "updated_at": "Last change (UTC).",
    }),
    "slack_dms": ("The direct message the bot opened with each Slack user, kept so that a restarted server writes to it without opening it again; forgotten when Slack refuses a message to it.", {
        "user_id": "Slack user id (U...; the person's actor id is slack: and this).", "channel": "Their direct message with the bot (D...).",
        "opened_at": "When Slack opened it for the bot (UTC).",
    }),
    "teams_conversations": ("Teams conversations the bot is in.", {
        "conversation_id": "Conversation id (without ;messageid=).", "conversation_type": "personal, groupChat or channel.",
        "service_url": "Bot Connector service URL.", "tenant_id": "Tenant.", "bot_id": "The bot's id there.",
        "bot_name": "The bot's name there.", "reference": "The ConversationReference (JSON).",
        "installed": "1 while the bot is installed.", "updated_at": "Last change (UTC).",
        "deleted_at": "When Teams said the channel was deleted (UTC); null otherwise, or once Teams said it was restored.",
        "refused": "Why the bot cannot post there (team, chat: the bot removed; team-app, chat-app: the app uninstalled; channel: deleted; 403, 404: a post refused so); null while it can.",
    }),
    "teams_users": ("Teams users the bot has seen.", {
        "user_id": "Teams user id (29:...).", "name": "Name.", "aad_object_id": "Azure AD object id.",
        "personal_conversation_id": "The bot's 1:1 chat with them.", "updated_at": "Last change (UTC).",
        "tz": "IANA time zone, when Teams says it.",
        "personal_refused": "Why Teams would not create the bot's 1:1 chat with them (403: the app not installed for them, or blocked; 404); null once a chat with them exists, or none was refused. A chat that exists and refuses a post is its `teams_conversations.refused`.",
    }),
    "teams_members": ("Members of each Teams conversation.", {"conversation_id": "Conversation.", "user_id": "User."}),
    "teams_threads": ("The Teams thread of each run in a channel.", {
        "run_id": "Run.", "conversation_id": "The channel.", "root_id": "The bot's first message of the run there.",
        "created_at": "When created (UTC).",
    }),
    "teams_cards": ("Adaptive Cards posted for questions; forgotten 30 days after their run ended (the question stays in messages).", {
        "message_id": "The outbox row (messages.id).", "run_id": "Run.", "step": "Step.", "to_id": "Who is asked.",
        "conversation_id": "Where it was posted.", "activity_id": "The posted activity.", "service_url": "Service URL.",
        "card": "The card as posted (JSON).", "expects": "What the prompt expects (JSON).", "posted_at": "When posted (UTC).",
        "answered_at": "When answered (UTC).",
    }),
    "analytics_runs": ("Summary per run, kept by triggers (see docs/analytics.md).", {
        "run_id": "Run.", "flow_id": "Flow.", "day": "UTC date of the trigger.", "triggered_at": "Trigger time (UTC).",
        "event_id": "Event.", "source": "Event source.", "channel": "Channel.", "facilitator_id": "Facilitator.",
        "status": "runs.status.", "state": "runs.state.", "last_source": "Source of the last transition.",
        "first_answer_at": "First answer (UTC).", "first_answer_ms": "Milliseconds from trigger to first answer.",
        "decided_at": "First decision (UTC).", "decided_ms": "Milliseconds from trigger to decision.", "reached": "Steps reached (' a b ').",
        "kind": "Event kind (events.kind; '' without an event).",
        "conversation": "Where the run lives now, without its thread (slack:C0OPS; a moved run: its new channel).",
    }),
    "analytics_actions": ("Summary per action, kept by triggers.", {
        "action_id": "Action.", "owner_id": "Owner.", "owner_name": "Owner's name.", "flow_id": "Flow of the deciding run.",
        "day": "Its trigger day.", "status": "Status.", "deadline_jd": "julianday(due) + 1.5.", "done_jd": "julianday(done_at).",
        "days_late": "Done late: UTC date of done_at - due, in days.",
    }),
    "analytics_reviews": ("Summary per review, kept by triggers.", {
        "review_id": "Review.", "flow_id": "Flow of the reviewed decision's run.", "day": "Its trigger day.",
        "due_jd": "julianday(due_at) + 1.5.", "held_jd": "julianday(held_at).",
    }),
    "analytics_events": ("Summary per event, kept by triggers.", {
        "event_id": "Event.", "source": "Source.", "kind": "Kind.", "day": "UTC date first seen.", "repeat_count": "Repeats.",
        "runs": "Its runs.", "decided_runs": "Its runs that wrote a decision.",
    }),
    "analytics_people": ("Counters per person, trigger day and flow, kept by triggers.", {
        "person": "actor id.", "day": "Trigger day of the runs.", "flow_id": "Flow.",
        "name": "Greatest display name of their inbound messages.",
        "prompt_name": "Greatest display name of the prompts addressed to them.",
        "inbound": "Messages sent.", "answers": "Answers given.", "addressed": "Distinct (run, step) prompted.",
        "answered": "Of those, answered.", "facilitated": "Runs facilitated.",
    }),
    "analytics_prompts": ("Distinct (person, run, step) asked a question (a prompt with `expects`), kept by triggers.", {
        "person": "actor id.", "run_id": "Run.", "step": "Step.", "answered": "1 once the person answered that step.",
        "asked_at": "The first prompt to them there (UTC).", "answered_at": "Their first answer to that step of that run at or after asked_at (UTC).",
        "answer_ms": "Milliseconds from asked_at to answered_at.", "flow_id": "Flow of the run.", "day": "Its trigger day.",
    }),
    "analytics_revisions": ("Answer counts per flow, step, field and trigger day, kept by triggers.", {
        "flow_id": "Flow.", "step": "Step.", "field": "Field ('' without).", "day": "Trigger day.",
        "slots": "Answers with revision 1.", "revised_slots": "Answers with revision 2.", "revisions": "Answers with revision > 1.",
    }),
    "messages_fts": ("Full-text index (FTS5, Porter stemming) of messages.text, filled in batches by upkeep.", {"text": "Message text."}),
    "_sqlite_migrations": ("Migrations applied, per set.", {
        "id": "Row id.", "migration_set": "Set name.", "name": "Migration.", "applied_at": "When applied (UTC, in sqlite-utils' own format: `2026-11-29 17:09:25.110142+00:00`, not the ISO-8601 `Z` of the other tables).",
    }),
}  # fmt: skip

VIEWS: dict[str, str] = {
    "run_latency": "One row per run: its trigger's source and kind, trigger time, first answer, decision, hours to each, ISO week, platform, conversation and its name (`channel`: the platform, as `platform`; kept for queries written before; `conversation_name`: NULL when its platform never named it).",
    "latency_summary": "Runs, median and p90 hours from trigger to first answer and to decision, by all/flow/source/kind/channel/week/platform/conversation (kind: the trigger's, events.kind; channel: the platform, as platform, kept for queries written before; conversation: where the run lives now, without its thread, its rows named by conversation_name, NULL when its platform never named it).",
    "action_status": "One row per action: deadline (due + 1 day, 12:00 UTC), due as of now, on time, days late.",
    "follow_through_by_owner": "Per owner (named as people has them, else by the greatest name their actions recorded, as the report does): actions, due, done on time / late, overdue, dropped, follow-through, median days late, share dropped.",
    "follow_through_by_flow": "The same per flow.",
    "review_status": "One row per review: deadline (due + 2 days of grace, at its end everywhere: due + 3 days, 12:00 UTC), held on time / held late / missed / pending as of now.",
    "review_adherence": "Per flow and (all): reviews held on time / reviews due.",
    "run_stops": "One row per run: its stop step and whether it dropped off (cancelled, stalled, or idle 7 days).",
    "step_dropoff": "Per flow and step: runs that reached it, dropped off there, drop-off rate, still waiting.",
    "answer_revisions": "Per flow, step and field: slots answered, revised slots, revisions, share revised.",
    "participation": "Per person: inbound messages, answers, prompts addressed / answered, runs facilitated, actions owned.",
    "trigger_quality": "Per source and kind, and (all) but reviews: events, with a run, decided, share decided, repeats per run.",
    "answer_times": "One row per person, run and step they were asked at: the first prompt, their first answer there after it, hours between.",
    "answer_time_by_person": "Per person: questions put to them, answered, median and p90 hours to answer.",
    "answer_time_by_step": "Per flow and step: questions put, answered, median and p90 hours to answer.",
    "run_stalls": "One row per stall: the step, when the run last took an answer or moved, when it stalled, hours waited, when resumed.",
    "stall_waits": "Per flow and step: stalls, runs, resumed, median, p90 and longest hours waited before stalling.",
    "answer_sources": "One row per answer: who gave it (by name), its revision, the message that gave it and the surface it came through (a Slack button, menu, user or date picker, the thread, a direct message; a Teams card or chat).",
}  # fmt: skip


def describe(table: str, column: str, ddl: str | None = None) -> str:
    """The column's description; for a table the catalog does not know yet, the comment that
    follows the column in its ``CREATE TABLE`` text, if any."""
    found = TABLES.get(table, ("", {}))[1].get(column, "")
    if found or not ddl:
        return found
    match = re.search(rf"^\s*{re.escape(column)}\b[^\n]*?--\s*(.+)$", ddl, re.MULTILINE)
    return match.group(1).strip() if match else ""


def markdown(tables: dict[str, tuple[list[str], str]]) -> str:
    """The docs' section on tables: ``tables`` maps each table to its columns and DDL."""
    out = []
    for table, (columns, ddl) in tables.items():
        description = TABLES.get(table, ("(described in its area's docs)", {}))[0]
        out += [f"### `{table}`", "", description, "", "| column | meaning |", "|---|---|"]
        out += [f"| `{c}` | {describe(table, c, ddl) or '-'} |" for c in columns]
        out.append("")
    return "\n".join(out)


def live_schema(conn: sqlite3.Connection) -> dict[str, tuple[list[str], str]]:
    """Every table of a ledger (not SQLite's own, nor the full-text index's internals): columns, DDL."""
    rows = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " AND name NOT LIKE 'messages_fts_%' ORDER BY rowid"
    ).fetchall()
    return {name: ([c[1] for c in conn.execute(f'PRAGMA table_info("{name}")')], sql or "") for name, sql in rows}


if __name__ == "__main__":  # the tables section of docs/analytics.md, from a fresh ledger
    from bot.store import open_db

    print(markdown(live_schema(open_db(":memory:").conn)))
