"""What a flow file's author is told when a file is refused at load: the problem and its fix
(the file and the step are added by FlowError)."""

from __future__ import annotations

import difflib
from typing import Any

from bot.texts._common import _join


def default_not_taken(default: object, what: str, why: str) -> str:
    """``why``: the re-prompt its question gives that answer, e.g. 'That is above 5. Please ...'."""
    return f"the default '{default}' of {what} is not an answer it takes: {why.rstrip('.')}"


def default_not_taken_fix() -> str:
    return "change it to an answer the question takes, or remove it"


def person_default_not_text() -> str:
    return "a person is named by text"


def person_default_names_nobody() -> str:
    return "it names nobody"


def person_default_template() -> str:
    return "a default is taken as written, not filled in as a template"


def person_default_fix() -> str:
    return (
        "name someone a run can read: me (whoever answers), an id such as slack:U0123 or teams:29:1abc,"
        " or a name or @handle of the run's people; or remove it"
    )


def yaml_key_twice(key: object, line: int, first: int) -> str:
    where = f"line {line}" if line == first else f"lines {first} and {line}"
    return f"the key '{key}' is written twice in one mapping, at {where}: YAML keeps only the last"


def yaml_key_twice_fix() -> str:
    return "keep one of them (a second step needs its own '- id: ...' item)"


def key_does_nothing(key: str, what: str, kind: str, works_on: str) -> str:
    return f"{what} has '{key}', which does nothing on a {kind} question (it works on {works_on})"


def key_does_nothing_fix(key: str, works_on: str) -> str:
    return f"remove '{key}', or make the question {works_on}"


def repeat_default() -> str:
    return "the step has 'default', which does nothing on a repeat step (its fields are asked, one by one)"


def repeat_default_fix() -> str:
    return "remove it, or give a field of the step its own default"


def repeat_optional() -> str:
    return "the step has 'optional', which does nothing on a repeat step: 'skip' is refused there"


def repeat_optional_fix() -> str:
    return "remove it: saying 'done' at the first item leaves the list empty (unless min_items is set)"


def complete_when_alone(what: str) -> str:
    return (
        f"{what} has 'complete_when', which works only on a step fanned out with 'to: each ...' (an"
        " answer per item); on any other step, one asked of one person or of every participant, it does nothing"
    )


def complete_when_alone_fix() -> str:
    return "remove 'complete_when', or fan the step out with 'to: each <step>.<person field>'"


def skip_on_fail_not_optional() -> str:
    return "the step has 'on_fail: skip' but nothing in it is optional, so it can never be skipped"


def skip_on_fail_not_optional_fix() -> str:
    return "add 'optional: true', or use on_fail escalate, cancel or help"


def condition_never_true(when: str, step: str, value: object, kind: str, takes: list[str]) -> str:
    return (
        f"the condition \"{when}\" compares '{step}' with {value!r}, which a {kind} answer never is"
        f" (it is one of {_join(takes)}), so the branch is never taken"
    )


def template_choice_never(step: str, value: object, takes: list[str]) -> str:
    return (
        f"the prompt compares the choice '{step}' with {value!r}, which it never equals: a template compares a"
        f" choice by its value (one of {_join(takes)}), though it shows its label"
    )


def condition_never_true_fix(step: str, takes: list[str]) -> str:
    return f"compare '{step}' with one of {_join(takes)}"


def item_field_unknown(what: str, name: str, fields: list[str]) -> str:
    return f"the prompt of {what} reads item.{name}, which is not a field of the items (fields: {_join(fields)})"


def template_names_fix(item_misplaced: bool, unknown: str = "", names: tuple[str, ...] = ()) -> str:
    """``unknown``: a name the template reads that is none of ``names`` (a step id misspelt)."""
    if not item_misplaced:
        return "use trigger.<field>, a step id, or item.<field>" + (_meant(unknown, list(names)) if unknown else "")
    return (
        "use trigger.<field> or a step id: item.<field> is only in a repeat's fields and in a step"
        " asked of each person ('to: each <step>.<person field>')"
    )


def template_syntax_fix() -> str:
    return "correct the template: {{ name }} for a value, {% if ... %}...{% endif %} for a condition"


def prompt_reads_later_step(what: str, step: str) -> str:
    return f"the prompt of {what} reads '{step}', which no route asks before it: it would show nothing in every run"


def condition_reads_later_step(when: str, step: str) -> str:
    return (
        f"the condition \"{when}\" reads '{step}', which no route asks before it: it is empty there in every run,"
        " so the branch is decided without it (never taken, or always with 'not')"
    )


def condition_reads_later_step_fix(step: str, reader: str) -> str:
    return f"ask '{step}' before '{reader}', or branch on '{step}' at a step asked after it"


def record_reads_per_item(where: str, step: str, per: str = "item") -> str:
    """``per``: item (a repeat, a fan-out) or person (a step asked of each participant)."""
    return f"{where} '{step}', which answers once per {per}, where the record reads one answer"


def record_reads_per_item_fix() -> str:
    return (
        "name a step asked once (not a repeat, no 'to: each' or 'to: participants'); a repeat's items go in"
        " record.actions"
    )


def prompt_reads_later_step_fix(step: str, reader: str) -> str:
    return f"ask '{step}' before '{reader}', or read '{step}' in a prompt asked after it"


def item_field_unknown_fix() -> str:
    return "name one of the item's fields, or add the field to the repeat step"


def required_key_misspelt(problem: str, strays: list[str]) -> str:
    keys = ", ".join(f"'{k}'" for k in strays)
    return f"{problem}, and has {keys}, which the flow format does not know (misspelt?)"


def required_key_misspelt_fix(strays: list[str]) -> str:
    keys = ", ".join(f"'{k}'" for k in strays)
    return f"correct the spelling of {keys}, or add the missing key"


#: Keys people write for another the flow format names: 'question:' for 'ask:'.
KEY_SYNONYMS = {"question": "ask", "prompt": "ask", "text": "ask", "then": "next", "goto": "next", "kind": "type"}


def unknown_key(at: str, keys: list[str]) -> str:
    names = ", ".join(f"'{k}'" for k in keys)
    return f"{at}has an unknown key {names}" if len(keys) == 1 else f"{at}has unknown keys {names}"


def unknown_key_fix(key: str, known: list[str]) -> str:
    """'optinal': did you mean 'optional'?; a key like none: the keys there are."""
    meant = difflib.get_close_matches(key, known, n=1, cutoff=0.6) or [
        k for k in (KEY_SYNONYMS.get(key),) if k in known
    ]
    if meant:
        return f"correct its spelling: did you mean '{meant[0]}'?"
    return f"remove it, or correct its spelling: the keys there are {', '.join(known)} (see the README's 'Flows')"


def _meant(name: str, names: list[str]) -> str:
    """': did you mean 'confirm'?' for a name close to one of ``names``; empty otherwise."""
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    return f": did you mean '{close[0]}'?" if close else ""


def unknown_goto(goto: str) -> str:
    return f"branches to unknown step '{goto}'"


def unknown_goto_fix(goto: str, names: list[str]) -> str:
    return "name a step of this flow, or completed (or cancelled)" + _meant(goto, names)


def condition_unknown(when: str, unknown: list[str]) -> str:
    return f'the condition "{when}" names no step: ' + ", ".join(unknown)


def condition_unknown_fix(unknown: list[str], names: list[str]) -> str:
    return "compare the answers of this flow's steps, by step id" + _meant(unknown[0], names)


_TYPE_WORDS = {
    "array": "a list",
    "object": "a mapping (key: value lines)",
    "string": "a text",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
}


def schema_empty(at: str) -> str:
    return f"{at}is empty"


def schema_type_fix(wanted: object, empty: bool) -> str:
    kinds = wanted if isinstance(wanted, list) else [wanted]
    words = " or ".join(_TYPE_WORDS.get(str(k), str(k)) for k in kinds)
    return f"write {words} under it" if empty else f"make it {words}"


#: What an empty list of the flow format (``options: []``) wants under it.
_EMPTY_LIST_FIXES = {
    "options": "list the options: 'options: [a, b, c]'",
    "next": "name where the step goes, 'next: completed', or remove it: the step below comes next",
    "fields": "list the fields each item asks, e.g. '- {id: what, ask: What is the action?, type: text}'",
    "steps": "list the steps, e.g. '- {id: decision, ask: What was decided?, type: text}'",
}


def empty_list_fix(key: str) -> str:
    return _EMPTY_LIST_FIXES.get(key, "write a list under it")


def branch_without_goto_fix(step: str) -> str:
    return f"write each branch of a list with goto: '- goto: {step}' (and 'when:' on all but the last)"


def timer_too_long(key: str, value: str) -> tuple[str, str]:
    return (
        f"'timers.{key}' is invalid: '{value}' is longer than ten years",
        "write a duration of ten years at most, such as 30m, 4h, 1d or 2w",
    )


def not_a_duration(at: str, value: object) -> str:
    return f"{at}is invalid: '{value}' is not a duration"


#: The roles a flow may declare, as ``roles:`` maps them from the trigger.
ROLES = {"facilitator": "trigger.facilitator", "participants": "trigger.participants"}


def role_missing_fix(to: str, roles: list[str], people: tuple[str, ...] = ()) -> str:
    """``people``: the person steps asked before, which ``to`` may name too."""
    usable = "use one of " + ", ".join(roles) + ", an earlier person step's id, or 'each <step>.<person field>'"
    if to in ROLES:
        return f"declare it under roles: ('{to}: {ROLES[to]}'), or {usable}"
    return usable + _meant(to, [*roles, *people])


def number_option_fix(option: object) -> str:
    return f"options are text: put the number in quotes ('{option}'), or ask a number step with min and max"


def too_many_options(what: str, count: int, most: int) -> str:
    return f"{what} has {count} options; chat menus show {most} at most"


def too_many_options_fix() -> str:
    return "split the choice over two steps, or ask for text"


def option_twice(what: str, label: str) -> str:
    return f"{what} lists the option '{label}' twice"


def option_twice_fix(label: str) -> str:
    return f"remove the second '{label}' from its options"


def option_value_twice(what: str, value: str, labels: list[str]) -> str:
    named = " and ".join(f"'{label}'" for label in labels)
    return f"{what} has options {named} with the same value '{value}': either answer is recorded as '{value}'"


def option_value_twice_fix() -> str:
    return "give each option its own value"


def option_blank(what: str, number: int) -> str:
    return f"{what} has option {number} with no words to pick or type it by"


def option_blank_fix(number: int) -> str:
    return f"give option {number} a label and a value of a word or more, or remove it"


def labels_read_alike(what: str, shown: int) -> str:
    return f"{what} has options whose labels read the same in a menu, which shows {shown} characters"


def labels_read_alike_fix() -> str:
    return "make the labels differ within their first words"


def option_shown(label: str, value: str) -> str:
    """A choice's option for a flow author or an analyst: the label people pick, and the value
    conditions compare and the ledger keeps when it differs."""
    return value if label == value else f"{label} ({value})"


def question_terms(question: Any) -> str:
    """What ``flows show`` says of a question's answer (a step or a repeat's field): its type, and
    its options, bounds, default, whether it may be skipped and whether a fan-out's first answer
    ends it, as the file gives them."""
    options = " | ".join(option_shown(o.label, o.value) for o in question.options)
    terms = [question.type + (": " + options if options else "")]
    low, high = question.minimum, question.maximum
    if low is not None or high is not None:
        terms.append(f"{'' if low is None else f'{low:g}'}..{'' if high is None else f'{high:g}'}")
    if question.not_before:
        terms.append(f"from {question.not_before}")
    if question.not_after:
        terms.append(f"until {question.not_after}")
    if getattr(question, "min_items", 0):  # a repeat step's bound
        terms.append(f"at least {question.min_items}")
    if question.default is not None:
        terms.append(f"default {question.default}")
    if question.optional:
        terms.append("optional")
    if getattr(question, "complete_when", "all") == "any":  # a fan-out step's
        terms.append("the first answer ends it")
    if question.label:
        terms.append(f"named 'the {question.label.removeprefix('the ')}'")
    return "[" + "; ".join(terms) + "]"


def fan_out_no_field(to: str) -> str:
    return f"'to: {to}' names no field to fan out over"


def fan_out_no_field_fix() -> str:
    return "write 'each <repeat step>.<person field>', e.g. 'each actions.owner'"


def fan_out_not_a_person_field(to: str, source: str, source_type: str) -> str:
    problem = f"'to: {to}' needs a person field of a repeat step"
    return problem if source_type == "repeat" else f"{problem}: '{source}' is a {source_type} step"


def fan_out_person_field_fix(source: str, source_type: str, person_fields: list[str]) -> str:
    if source_type != "repeat":
        return (
            "ask for the people in a repeat step with a person field and fan out over it, or address the step to a role"
        )
    if not person_fields:
        return f"add a field of type person to '{source}' and fan out over it"
    return "use " + " or ".join(f"'each {source}.{f}'" for f in person_fields)


def to_person_repeat(to: str) -> str:
    return f"'to: {to}' addresses a repeat step to one person, but a repeat is the facilitator's list"


def to_person_repeat_fix() -> str:
    return "address it to the facilitator"


def to_person_not_before(to: str) -> str:
    return f"'to: {to}' names a step that is not asked before this one"


def to_person_not_before_fix(to: str) -> str:
    return f"move '{to}' before this step, or name a role"


def to_person_not_a_person(to: str, source_type: str) -> str:
    return f"'to: {to}' needs a step whose answer is one person, and '{to}' is a {source_type} step"


def to_person_not_a_person_fix() -> str:
    return "name a 'type: person' step asked once, or 'each <repeat step>.<person field>' for a repeat's people"


def flow_version_missing(flow: str, version: str) -> str:
    return f"Flow {flow} version {version} is not in the ledger."
