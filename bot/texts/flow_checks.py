"""What a flow file's author is told of what :mod:`bot.engine.validate` and
:mod:`bot.engine.reader` refuse: each (problem, fix) pair, which ``FlowError`` puts after the
file and the step."""

from __future__ import annotations

from collections.abc import Iterable


def question_named(field: str | None) -> str:
    """How a problem names the question it is about: a repeat's field, or the step itself."""
    return f"field '{field}'" if field is not None else "the step"


def step_id_twice(step: str) -> tuple[str, str]:
    return f"the step id '{step}' is used twice", "give every step its own id"


def timers_out_of_order(later: str, later_is: str, earlier: str, earlier_is: str, lost: str) -> str:
    """``lost``: what the earlier timer sends (reminder, escalation), which no run would send."""
    return (
        f"'timers.{later}: {later_is}' is not later than 'timers.{earlier}: {earlier_is}': the {lost}"
        " would never be sent, the run going straight to the later one"
    )


def timers_out_of_order_fix() -> str:
    return (
        "each timer counts from the run's last activity, not from the timer before it: make each later"
        " than the one before, e.g. remind_after: 4h, escalate_after: 1d, expire_after: 1w"
    )


def timer_of_nothing(key: str, written: str) -> tuple[str, str]:
    return (
        f"'timers.{key}' is {written}: it would fire with every question, as soon as it is asked",
        "write a duration of a minute or more, such as 30m, 4h or 1d, or remove it",
    )


def label_unusable(label: str, what: str, why: str) -> str:
    """``why``: template, question, no words or long (:mod:`bot.engine.validate_labels`)."""
    said = {
        "template": "is a template: a label is said as written",
        "question": "is a question: the label names the answer, 'ask' is the question",
        "no words": "has no words",
        "long": "is longer than 40 characters",
        "the": "starts with 'the', which messages say before it ('Changed the the budget')",
    }[why]
    return f"the label '{label}' of {what} {said}"


def label_is_an_id(label: str, what: str, other_id: str, step: str) -> str:
    where = f"step '{step}'" if other_id == step else f"field '{other_id}' of step '{step}'"
    return f"the label '{label}' of {what} is the id of {where}: a correction naming it would find that one"


def label_is_a_name(label: str, what: str, other_id: str, step: str) -> str:
    """``other_id``'s answer is named so in every message (``texts.ANSWER_WORDS``: ``review_at``)."""
    where = f"step '{step}'" if other_id == step else f"field '{other_id}' of step '{step}'"
    return f"the label '{label}' of {what} is what {where} is called: a correction naming it could mean either"


def label_twice(label: str, what: str, first: str) -> str:
    """``first``: the step (``step`` or ``step.field``) whose answer the label named first."""
    return (
        f"the label '{label}' of {what} is also the label of step '{first}': a correction naming it could mean either"
    )


def label_fix(refused: str = "") -> str:
    """``refused``: the label refused, never offered back as the example."""
    example = "budget" if refused.casefold() != "budget" else "budget cap"
    return (
        f"make it a short name of this answer alone, as messages say it after 'the', e.g. 'label: {example}'"
        f" ('Changed the {example}: ...'), or remove it"
    )


def condition_per_person(when: str, step: str) -> str:
    return (
        f"the condition \"{when}\" reads '{step}', which has an answer per person: it would read them all"
        " at once, true once anyone answered, whatever they said"
    )


def condition_per_person_fix(step: str) -> str:
    return (
        f"to branch on the first answer, ask '{step}' with 'to: each <step>.<person field>' and"
        " 'complete_when: any'; or branch on a step asked once after it (the facilitator's decision)"
    )


def repeat_in_repeat(what: str) -> tuple[str, str]:
    return f"{what} is a repeat inside a repeat", "use one level of repeated fields"


def repeat_without_fields() -> tuple[str, str]:
    return "a repeat step has no fields", "list the fields asked for each item under 'fields:'"


def field_id_twice() -> tuple[str, str]:
    return "two fields share an id", "give every field its own id"


def no_prompt(what: str) -> tuple[str, str]:
    return f"{what} has no prompt", "add 'ask: <the question>'"


def answer_type_unknown(kind: str, known: Iterable[str]) -> tuple[str, str]:
    return f"unknown answer type '{kind}'", "use one of " + ", ".join(known)


def choice_without_options(what: str) -> tuple[str, str]:
    return f"{what} is a choice without options", "add 'options: [a, b, c]'"


def options_not_a_choice(what: str, kind: str) -> tuple[str, str]:
    return f"{what} has options but is of type {kind}", "remove 'options' or use type choice"


def date_bound_not_a_date(what: str, kind: str) -> tuple[str, str]:
    return f"{what} has a date bound but is of type {kind}", "remove it or use type date"


def date_bound_unread(bound: object) -> tuple[str, str]:
    return (
        f"the date bound '{bound}' is not understood",
        "write a day as an answer would name it: today, tomorrow, in 2 weeks, end of month or an ISO date (2027-01-31)",
    )


def prompt_template_bad(what: str, problem: str) -> str:
    return f"the prompt of {what} {problem}"


def prompt_blank(what: str) -> str:
    return f"the prompt of {what} is blank in every run: chat platforms refuse an empty message"


def prompt_blank_fix() -> str:
    return "write the question as text, outside any {% if %} that is never true"


def role_missing(to: str) -> str:
    return f"'to: {to}' names no role"


def repeat_fanned_out() -> tuple[str, str]:
    return "a repeat step cannot be fanned out", "address it to the facilitator"


def fan_out_not_earlier(to: str, source: str) -> tuple[str, str]:
    return f"'to: {to}' fans out over '{source}', not an earlier step", "name an earlier repeat step"


def default_branch_not_last() -> tuple[str, str]:
    return "a branch without 'when' is not the last", "put the default branch last"


def condition_not_allowed(when: str, why: str) -> tuple[str, str]:
    return (
        f"the condition '{when}' is not allowed ({why})",  # not the library's advice
        "a condition may only compare step answers (by step id) with ==, !=, <, >, <=, >=,"
        " and, or, not, e.g. when: \"response == 'act'\"",
    )


def step_never_reached() -> tuple[str, str]:
    return "this step is never reached", "branch to it or remove it"


def record_step_wrong_type(key: str, ref: str, kind: str) -> tuple[str, str]:
    return f"record.{key} names '{ref}', which is not a {kind} step", f"name a {kind} step"


def record_step_not_per_action(key: str, ref: str) -> tuple[str, str]:
    return (
        f"record.{key} names '{ref}', which asks no one per action",
        "name a yes_no step with 'to: each <actions step>.owner' (as owner_accepts in post_meeting.yaml)",
    )


def record_actions_field_missing(kind: str, name: str, step: str) -> tuple[str, str]:
    return f"record.actions needs a {kind} field '{name}' in step '{step}'", f"add it to '{step}'"


def record_actions_field_optional(name: str, step: str) -> tuple[str, str]:
    return (
        f"the field '{name}' of step '{step}', which record.actions reads, is optional, but every action"
        f" needs its {name} (an action is stored, its owner asked to accept it and reviewed)",
        f"remove 'optional: true' from '{name}' (only 'due' may be skipped)",
    )


def record_decision_no_step(decision: str) -> tuple[str, str]:
    return f"record.decision names no step '{decision}'", "name a step or write a template"


def record_decision_template_bad(problem: str) -> tuple[str, str]:
    return f"the template of record.decision {problem}", "use step ids, answers.<step> or trigger.<field>"


def schedule_at_not_a_date(at: object) -> tuple[str, str]:
    return f"schedule_flow.at names '{at}', which is not a date step", "name a date step"


def last_branch_conditional(when: str) -> tuple[str, str]:
    return (
        f"the last branch has a condition ('{when}'): an answer that matches none has nowhere to go",
        "end 'next' with a branch without 'when', e.g. '- goto: completed'",
    )


def min_above_max(what: str, minimum: object, maximum: object) -> tuple[str, str]:
    return f"{what} has min {minimum} above max {maximum}: no number is accepted", "swap min and max"


def dates_crossed(what: str, not_before: object, not_after: object) -> tuple[str, str]:
    return (
        f"{what} has not_before {not_before} later than not_after {not_after}: no date is accepted",
        "swap not_before and not_after",
    )


def never_ends() -> tuple[str, str]:
    return (
        "from this step the run never ends: its branches only loop back, never to completed",
        "give one of the steps on the loop a branch that leads on to completed (or cancelled)",
    )


def invite_at_not_a_date(at: object) -> tuple[str, str]:
    return f"calendar_invite.at names '{at}', which is not a date step", "name a date step"


def invite_duration_empty(duration: object) -> tuple[str, str]:
    return f"calendar_invite.duration is {duration}: the meeting would end as it starts", "use 30m or 1h"


def invite_duration_bad(duration: object) -> tuple[str, str]:
    return f"calendar_invite.duration is {duration}, longer than any meeting (ten years at most)", "use 30m or 1h"


def invite_title_template_bad(problem: str) -> tuple[str, str]:
    return f"the template of calendar_invite.title {problem}", "use {{ title }} and {{ decision }}"


def scheduled_flow_missing(name: str, known: Iterable[str]) -> tuple[str, str]:
    return f"schedule_flow names the flow '{name}', which is not in the flows folder", "use one of " + ", ".join(
        sorted(known)
    )


# --- bot.engine.reader: the file, its YAML, the schema --------------------------------------


def flow_file_unreadable(error: str | None) -> tuple[str, str]:
    return f"cannot be read ({error})", "check the path"


def flow_file_link_broken(target: str) -> tuple[str, str]:
    return (
        f"is a symbolic link to {target}, which does not exist",
        "point the link at a file that exists, or remove the link",
    )


def flow_file_not_a_file(what: str = "the flow") -> tuple[str, str]:
    return "is not a regular file (a directory, pipe or device)", f"put {what} in a regular file, or rename this one"


def flow_file_not_utf8(byte: int, offset: int) -> tuple[str, str]:
    return f"is not UTF-8 text (byte 0x{byte:02x} at offset {offset})", "save the file as UTF-8 in your editor"


def yaml_syntax_error(line: str, problem: str) -> str:
    """``line``: ' at line 3, column 5', or empty where YAML did not say."""
    return f"YAML syntax error{line}: {problem}"


def yaml_syntax_fix(tab: bool) -> str:
    return "indent with spaces, not tabs" if tab else "correct the indentation or quoting there"


def yaml_quote_at_fault(left_open: bool, line: int, column: int, quote: str, error_line: int) -> str:
    """Lines and columns from 0, as YAML counts them (:func:`bot.yaml_text.quote_at_fault`)."""
    where = f"line {line + 1}, column {column + 1}"
    if left_open:
        return f": the quote opened at {where} is closed only at line {error_line + 1}"
    return f": the text quoted at {where} ends before the rest of its line (a {quote} inside it?)"


def yaml_quote_at_fault_fix(left_open: bool, line: int, column: int, quote: str) -> str:
    if left_open:
        return f"close the quote ({quote}) opened at line {line + 1}, column {column + 1}, on its own line"
    other = "'" if quote == '"' else '"'
    inside = "''" if quote == "'" else '\\"'
    return f"quote the text at line {line + 1} with {other} instead, or write a {quote} inside it as {inside}"


def flow_file_empty() -> tuple[str, str]:
    return (
        "the file is empty (or holds only comments)",
        "write the flow: 'id:', 'title:', 'steps:' (see flows/post_meeting.yaml)",
    )


def flow_file_too_many_values(most: int) -> tuple[str, str]:
    """A flow file holding more than ``most`` values, its YAML aliases (``*name``) written out."""
    return (
        f"the file holds over {most:,} values once its YAML aliases (*name) are written out",
        "write the steps out, without aliases nested in aliases",
    )


def flow_file_not_a_mapping() -> tuple[str, str]:
    return "the file is not a YAML mapping", "start with 'id:', 'title:', 'steps:'"


def flow_id_not_file_name(flow: str, stem: str, stem_is_an_id: bool = True) -> tuple[str, str]:
    """``stem_is_an_id``: the file's name could be an id (``budget approval`` could not)."""
    if not stem_is_an_id:
        fix = f"rename the file {flow}.yaml: a flow's file is named by its id (lowercase letters, digits and _)"
        return f"the id '{flow}' differs from the file name", fix
    return f"the id '{flow}' differs from the file name", f"use id: {stem}"


def schema_bare_boolean_fix() -> str:
    return "put the word in quotes ('yes', 'no', 'on', 'off'): YAML reads them bare as true or false"


def schema_enum_fix(values: Iterable[object]) -> str:
    return "use one of " + ", ".join(repr(v) for v in values)


def schema_required_fix() -> str:
    return "add it"


def schema_unknown_key_fix() -> str:
    return "remove the key or correct its spelling (see bot/engine/schema.json)"


def schema_duration_fix() -> str:
    return "write a duration such as 30m, 4h, 1d or 2w"


def schema_time_fix() -> str:
    return "write the time of day as HH:MM on a 24-hour clock, two digits each: 09:30, 14:00"


def schema_id_fix() -> str:
    return "use lowercase letters, digits and underscores, starting with a letter"


def schema_other_fix() -> str:
    return "see the flow format in the README and bot/engine/schema.json"


def not_a_template_field(key: str, what: str) -> tuple[str, str]:
    """``help``, ``example`` or ``item_label`` written as a template: they are shown as written."""
    return (
        f"'{key}' of {what} holds a template ({{{{ ... }}}}), but it is shown as written, not filled in",
        f"write '{key}' as plain text; only the prompt ('ask') fills in names",
    )


def option_a_chat_word(what: str, option: str, command: str) -> str:
    """An option ``option`` that is a word chat reads as the command ``command`` (back, help, skip, cancel)."""
    does = {"back": "go back", "help": "ask for help", "skip": "skip the question", "cancel": "cancel the run"}[command]
    return f"the option '{option}' of {what} is a word people type to {does}: typed, it would {does}, not answer"


def option_a_chat_word_fix(n: int, command: str) -> str:
    example = {"back": "Go back to the plan", "help": "Ask for support", "skip": "Leave it out"}.get(
        command, "Call it off"
    )
    return f"name option {n} in other words, its value and label alike (e.g. '{example}')"


def option_number_elsewhere(what: str, option: str, n: int) -> str:
    """An option that is a number naming another option's place: typed, people mean one or the other."""
    return f"the option '{option}' of {what} is option {n} of the menu, where '{option}' typed names another"


def option_number_elsewhere_fix() -> str:
    return "list numbered options in their own order (1, 2, 3), or give each a label in words"
