"""Several actions typed at once where the bot asks for one ("1. draft plan 2. call vendor", or one
per line with bullets): they became one action named by the whole list, owned by one person. Now
the list is taken one action at a time: the first is this action, and each next one is asked its
owner and due date in turn, without typing it again. Through `decisionbot chat` (its real entry
point); a removal asked for mid-run ("remove the second action"), which became an action named so,
is answered with what can be done instead."""

from __future__ import annotations

from tests.dates import FEB1, JAN10
from tests.test_chat_terminal import ledger, piped

ITEMS = "SELECT item, field, raw FROM answers WHERE step = 'actions' ORDER BY id"


def test_a_numbered_list_typed_at_once_is_taken_one_action_at_a_time(tmp_path) -> None:  # type: ignore[no-untyped-def]
    lines = ["We ship in March", "1. draft plan 2. call vendor", "@bob", JAN10, "@carol", FEB1, "done"]
    out = piped(tmp_path, [*lines, "/as bob", "yes", "/as carol", "yes", "/as alice", "ok"])
    assert out.returncode == 0, out.stderr
    said = out.stdout
    told = "bot -> alice: That is 2 actions: I'll take them one at a time, 'draft plan' first."
    assert f"alice> 1. draft plan 2. call vendor\n{told}\nbot -> alice: Action 1: Who owns 'draft plan'?" in said
    assert f"alice> {JAN10}\nbot -> alice: Action 2: Who owns 'call vendor'?" in said
    assert ledger(tmp_path, ITEMS) == [
        (1, "what", "draft plan"),
        (1, "owner", "@bob"),
        (1, "due", JAN10),
        (2, "what", "call vendor"),
        (2, "owner", "@carol"),
        (2, "due", FEB1),
    ]
    assert ledger(tmp_path, "SELECT what, owner_id FROM actions ORDER BY id") == [
        ("draft plan", "console:bob"),
        ("call vendor", "console:carol"),
    ]


def test_removing_an_action_mid_run_is_told_what_can_be_done_and_lists_nothing(tmp_path) -> None:  # type: ignore[no-untyped-def]
    lines = ["We ship in March", "Draft the plan", "@bob", JAN10, "remove the second action", "done"]
    out = piped(tmp_path, lines)
    said = out.stdout
    assert "alice> remove the second action\nbot -> alice: I can't remove a listed action while the decision" in said
    assert "alice> done\nbot -> bob: alice assigned you an action" in said
    assert ledger(tmp_path, "SELECT count(*) FROM answers WHERE raw LIKE 'remove%'") == [(0,)]


def test_an_owner_asking_to_remove_their_action_is_told_to_ask_the_facilitator(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Only the facilitator changes the list: the owner asked to accept it is not told to change it."""
    lines = ["We ship in March", "Draft the plan", "@bob", JAN10, "done", "/as bob", "remove the action", "yes"]
    said = piped(tmp_path, lines).stdout
    assert (
        "bob> remove the action\nbot -> bob: I can't remove a listed action while the decision is being recorded:"
        " ask the facilitator to change it, or once it is recorded, drop it with its code ('drop A12 why').\n"
    ) in said
    assert ledger(tmp_path, "SELECT step, raw FROM answers WHERE actor_id = 'console:bob'") == [
        ("owner_accepts", "yes")
    ]


def test_bullets_one_a_line_are_a_list_and_a_sentence_with_numbers_is_not(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bot.engine.listing import listed

    assert listed("- draft plan\n- call vendor\n* book room") == ["draft plan", "call vendor", "book room"]
    assert listed("1) draft plan\n2) call vendor") == ["draft plan", "call vendor"]
    assert listed("- draft plan\n- call vendor") == ["draft plan", "call vendor"]  # two lines are a list
    assert listed("• draft plan • call vendor") == ["draft plan", "call vendor"]
    assert listed("Ship 2. Then review in 3. weeks") == []  # not 1., 2., ...
    assert listed("Draft the plan\nwith the new dates") == []  # lines, but no list
    assert listed("1. draft plan") == []  # one is no list


def test_change_action_n_to_text_renames_that_action_and_is_not_the_next_one(tmp_path) -> None:  # type: ignore[no-untyped-def]
    lines = ["We ship in March", "Draft the plan", "@bob", JAN10, "Call vendor", "me", FEB1]
    out = piped(tmp_path, [*lines, "change action 2 to Call the vendor", "done"])
    said = out.stdout
    assert (
        "alice> change action 2 to Call the vendor\nbot -> alice: Changed the task of Action 2: Call vendor -> Call the vendor."
        in said
    )
    assert ledger(tmp_path, "SELECT raw FROM answers WHERE item = 2 AND field = 'what' ORDER BY id") == [
        ("Call vendor",),
        ("Call the vendor",),
    ]
    assert ledger(tmp_path, "SELECT count(*) FROM answers WHERE item = 3") == [(0,)]


def test_the_action_being_listed_is_corrected_in_place_and_actually_x_is_y_is_a_correction(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Asked the due date of action 1, Alice changed its owner: 'I can't find 'owner' to change',
    as if she had named nothing; and 'actually the owner of action 1 is carol' became action 2."""
    lines = [
        "We ship in March",
        "Draft the plan",
        "@bob",
        "change the owner of action 1 to carol",
        "change owner to bob",
    ]
    later = [JAN10, "actually the owner of action 1 is carol", "no, the due date is " + FEB1, "done"]
    out = piped(tmp_path, [*lines, *later, "/as carol", "yes", "/as alice", "ok"])
    said = out.stdout
    assert (
        "alice> change the owner of action 1 to carol\nbot -> alice: Changed the owner of Action 1: bob -> carol."
        in said
    )
    assert "bot -> alice: Back to: Action 1: By when should 'Draft the plan' be done?" in said
    assert (
        "alice> change owner to bob\nbot -> alice: Changed the owner of Action 1: carol -> bob." in said
    )  # the one being listed
    assert (
        "alice> actually the owner of action 1 is carol\nbot -> alice: Changed the owner of Action 1: bob -> carol."
        in said
    )
    # after it, with one action listed, 'the due date' is that action's
    assert f"bot -> alice: Changed the due date of Action 1: {JAN10} -> {FEB1}." in said
    assert "alice> done\nbot -> carol: alice assigned you an action" in said
    assert ledger(tmp_path, "SELECT what, owner_id, due FROM actions") == [("Draft the plan", "console:carol", FEB1)]


def test_another_action_added_later_is_asked_alone_and_only_its_owner_confirms(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Asked the review date, Alice remembered an action: 'add another action' was no date, and
    'back' asked again the last action's due date, then every owner again. Now the list opens at a
    new action, and only its owner is asked to confirm it (bob's yes stands)."""
    lines = ["We ship in March", "Draft the plan", "@bob", JAN10, "done", "/as bob", "yes", "/as alice"]
    added = ["add another action", "Call vendor", "@carol", FEB1, "done", "/as carol", "yes"]
    out = piped(tmp_path, [*lines, *added])
    said = out.stdout
    listed = "bot -> alice: Listed so far:\n      Action 1: Draft the plan (owner: bob, due: "
    assert f"alice> add another action\n{listed}" in said
    assert f"(owner: bob, due: {JAN10})\nbot -> alice: Action 2: What is the action?" in said
    assert said.count("bot -> bob: alice assigned you an action") == 1  # his yes stands
    assert "bot -> carol: alice assigned you an action from 'Post-meeting decision check': 'Call vendor'" in said
    assert said.rstrip().endswith("(default: in 4 weeks; say 'ok' to take it)")  # the review date, asked again
    answers = ledger(tmp_path, "SELECT step, actor_id, raw FROM answers WHERE step = 'owner_accepts' ORDER BY id")
    assert answers == [("owner_accepts", "console:bob", "yes"), ("owner_accepts", "console:carol", "yes")]


def test_another_action_asked_for_while_listing_is_shown_where_it_goes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = piped(tmp_path, ["We ship", "Draft the plan", "add another action", "@bob", JAN10, "one more action"])
    said = out.stdout
    assert "alice> add another action\nbot -> alice: Finish this one first, then add it: Action 1: Who owns" in said
    assert "alice> one more action\nbot -> alice: Add it here: Action 2: What is the action?" in said
    assert ledger(tmp_path, "SELECT count(*) FROM answers WHERE raw LIKE '%action'") == [(0,)]
