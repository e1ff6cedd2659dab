"""A newcomer's mistakes in a flow file, refused in words they understand: a misspelt or guessed
key names the key meant (before: "Unevaluated properties are not allowed ('not_befor' was
unexpected) ... see bot/engine/schema.json"), an empty ``steps:`` says it is empty (before:
"None is not of type 'array'. Fix: make it a array"), and a duration says what one looks like
without a regular expression."""

from __future__ import annotations

import pytest

from tests.engine.test_reader import MINIMAL, refused, write


@pytest.mark.parametrize(
    ("old", "new", "step", "key", "meant"),
    [
        ("    type: text\n", "    type: text\n    optinal: true\n", "decision", "optinal", "optional"),
        ("    type: text\n", "    type: text\n    not_befor: today\n", "decision", "not_befor", "not_before"),
        ('    ask: "Is', '    question: "Is', "confirm", "question", "ask"),
        ("steps:", "timer: {remind_after: 4h}\nsteps:", None, "timer", "timers"),
        ("steps:", "on_completion: [{post_summary: conversation}]\nsteps:", None, "on_completion", "on_complete"),
        ("steps:", "record: {decison: decision}\nsteps:", None, "decison", "decision"),
        ("steps:", "timers: {remind: 4h}\nsteps:", None, "remind", "remind_after"),
    ],
)
def test_a_misspelt_key_names_the_key_meant(tmp_path, old, new, step, key, meant) -> None:
    err = refused(write(tmp_path, MINIMAL.replace(old, new, 1)), step, f"unknown key '{key}'")
    assert "Unevaluated" not in err.problem and "Additional properties" not in err.problem
    assert f"did you mean '{meant}'?" in err.fix
    assert "spelling" in err.fix


def test_an_unknown_key_like_none_lists_the_keys_there_are(tmp_path) -> None:
    text = MINIMAL.replace("    type: text\n", "    type: text\n    colour: blue\n", 1)
    err = refused(write(tmp_path, text), "decision", "unknown key 'colour'")
    assert "did you mean" not in err.fix
    assert "id, to, ask, type, options" in err.fix


def test_empty_steps_say_so(tmp_path) -> None:
    text = "id: mini\ntitle: Mini flow\nsteps:\n"
    err = refused(write(tmp_path, text), None, "'steps' is empty")
    assert "None" not in err.problem and "a array" not in err.fix
    assert "list" in err.fix


def test_a_duration_in_words_is_refused_without_a_regular_expression(tmp_path) -> None:
    text = MINIMAL.replace("steps:", "timers: {remind_after: 4 hours}\nsteps:")
    err = refused(write(tmp_path, text), None, "'4 hours' is not a duration")
    assert "^[0-9]" not in err.problem
    assert "4h" in err.fix


@pytest.mark.parametrize("length", ["99999999999d", "3651d", "99999999999999999999w"])
def test_a_timer_longer_than_ten_years_is_refused_naming_it(tmp_path, length) -> None:
    text = MINIMAL.replace("steps:", f"timers: {{remind_after: 1d, expire_after: {length}}}\nsteps:")
    err = refused(write(tmp_path, text), None, f"'timers.expire_after' is invalid: '{length}' is longer than ten years")
    assert "ten years at most" in err.fix  # (before: an OverflowError traceback at load past ~2.7 million years)


def test_a_step_whose_id_yaml_reads_as_no_text_is_named_by_its_place(tmp_path) -> None:
    for bare, shown in (("yes", "True"), ("12", "12")):
        text = MINIMAL.replace("  - id: decision\n", f"  - id: {bare}\n", 1)
        err = refused(write(tmp_path, text), "#1", "'id' is invalid")  # (before: step 'True')
        assert f"{shown} is not of type" in err.problem


def test_a_misspelt_goto_names_the_step_meant(tmp_path) -> None:
    text = MINIMAL.replace("    type: text\n", "    type: text\n    next: confrim\n", 1)
    err = refused(write(tmp_path, text), "decision", "branches to unknown step 'confrim'")
    assert err.fix == "name a step of this flow, or completed (or cancelled): did you mean 'confirm'?"


def test_canceled_spelt_the_american_way_is_pointed_at_cancelled(tmp_path) -> None:
    text = MINIMAL.replace("    type: yes_no\n", "    type: yes_no\n    next: canceled\n", 1)
    err = refused(write(tmp_path, text), "confirm", "branches to unknown step 'canceled'")
    assert "did you mean 'cancelled'?" in err.fix


def test_a_goto_like_nothing_lists_no_guess(tmp_path) -> None:
    text = MINIMAL.replace("    type: text\n", "    type: text\n    next: elsewhere\n", 1)
    err = refused(write(tmp_path, text), "decision", "branches to unknown step 'elsewhere'")
    assert err.fix == "name a step of this flow, or completed (or cancelled)"


def test_a_misspelt_step_in_a_condition_names_the_step_meant(tmp_path) -> None:
    branches = "    next:\n      - {when: \"desicion == 'x'\", goto: completed}\n      - goto: confirm\n"
    text = MINIMAL.replace("    type: text\n", "    type: text\n" + branches, 1)
    err = refused(write(tmp_path, text), "decision", "names no step: desicion")
    assert "did you mean 'decision'?" in err.fix


def test_a_pinned_version_with_a_timer_over_ten_years_still_loads_at_the_bound(tmp_path) -> None:
    """A version stored before the bound (its runs pinned to it): refused, its runs could take no
    answer, told of a file that may say otherwise now."""
    from datetime import timedelta

    from bot.engine.reader import read_flow_text

    text = MINIMAL.replace("steps:", "timers: {expire_after: 600w}\nsteps:")
    flow = read_flow_text(text, str(tmp_path / "mini.yaml"), pinned=True)
    assert flow.timers.expire_after == timedelta(days=3650)
