"""Which prompts print nothing in every run, as their text alone tells (``templates.always_blank``):
a flow with one is refused at load (tests/test_broken_flows.py), as Slack refuses an empty message."""

from __future__ import annotations

import pytest

from bot.engine import templates

CONTEXTS = [
    {"trigger": {"title": ""}},
    {"trigger": {"title": "Weekly sync", "note": ""}, "x": True},
    {"trigger": {}, "x": False, "items": [1, 2]},
]


@pytest.mark.parametrize(
    "text",
    [
        "   ",
        "\n\t",
        "{% if false %}What was decided?{% endif %}",
        "{% if 1 > 2 %}Why?{% elif false %}When?{% else %} {% endif %}",
        "{% if x %}  {% endif %}",
        "{{ '' }} {{ ' ' }}",
        "{% set a = 1 %} {% for i in items %} {% endfor %}",
        "{% if true %} {% else %}Never shown{% endif %}",
    ],
)
def test_a_prompt_that_prints_nothing_in_any_run_is_blank(text: str) -> None:
    assert templates.always_blank(text)
    assert all(not templates.render(text, ctx).strip() for ctx in CONTEXTS)  # as rendered, too


@pytest.mark.parametrize(
    "text",
    [
        "What was decided?",
        "{{ trigger.title }}",  # may be empty at run time: not known from its text
        "{% if x %}Why?{% endif %}",
        "{% if false %}{% else %}When?{% endif %}",
        "{% if false %}{% elif x %}Who?{% endif %}",
        "{% for i in items %}{{ i }}{% endfor %}",
        "{{ 0 }}",
    ],
)
def test_a_prompt_that_may_print_something_is_not_blank(text: str) -> None:
    assert not templates.always_blank(text)
    assert any(templates.render(text, ctx).strip() for ctx in CONTEXTS)
