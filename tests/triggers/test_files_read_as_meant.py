"""Values of ``routes.yaml`` and ``checks.yaml`` that YAML reads as something other than what was
meant, refused at load with the file, the route or check, and the fix, instead of a route that never
matches or a check that dies on its first run:

- a check's ``threshold: .nan`` (or ``.inf``): validated, then every evaluation failed (SQLite keeps
  NaN as NULL, the NOT NULL column refused it) and the check was never scheduled again;
- a match value YAML reads as a boolean or as nothing (``severity: yes``, ``on``, ``null``): compared
  as "True" or "None", which no label ever is, so its alerts went to the default route;
- ``match: {source: prometheus}``: a source no trigger comes from;
- ``facilitator: [a, b]``: runs started with a made-up person named "['a', 'b']".
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.triggers import checks
from bot.triggers.router import load_routes
from tests.triggers.test_cli_triggers import cli

CHECK = (
    "{{name: orders, sql: SELECT 1, threshold: {threshold}, direction: above, schedule: 15m, database: shop.db{more}}}"
)


def check_refused(tmp_path: Path, threshold: str = "5", more: str = "") -> str:
    path = tmp_path / "checks.yaml"
    path.write_text(f"checks:\n  - {CHECK.format(threshold=threshold, more=more)}\n")
    with pytest.raises(ConfigError) as err:
        checks.load(path)
    return str(err.value).removeprefix(f"{path}, check 'orders': ")


def route_refused(tmp_path: Path, route: str) -> str:
    path = tmp_path / "routes.yaml"
    path.write_text(f"routes:\n  - {{name: r2, channel: console, {route}}}\n")
    with pytest.raises(ConfigError) as err:
        load_routes(path)
    return str(err.value).removeprefix(f"{path}, route 'r2': ")


@pytest.mark.parametrize(("given", "read"), [(".nan", "nan"), (".inf", "inf"), ("-.inf", "-inf")])
def test_a_threshold_no_value_can_cross_is_refused(tmp_path: Path, given: str, read: str) -> None:
    assert check_refused(tmp_path, given) == (
        f"threshold is {read}, which no value can cross. Fix: write a finite number, like 2.5"
    )


def test_checks_validate_refuses_a_nan_threshold_and_exits_1(tmp_path: Path, flows: Path) -> None:
    (flows / "checks.yaml").write_text(f"checks:\n  - {CHECK.format(threshold='.nan', more='')}\n")
    out = cli(tmp_path, flows, "checks", "validate")
    assert out.exit_code == 1
    assert "threshold is nan, which no value can cross" in out.output


@pytest.mark.parametrize(("given", "read"), [("yes", "true"), ("on", "true"), ("off", "false"), ("null", "nothing")])
def test_a_match_value_read_as_a_boolean_or_nothing_says_to_quote_it(tmp_path: Path, given: str, read: str) -> None:
    assert route_refused(tmp_path, f"match: {{labels: {{severity: {given}}}}}") == (
        f"match labels.severity is {read}: YAML reads yes, no, on, off, true, false and null unquoted as no text."
        ' Fix: quote it, like severity: "yes"'
    )
    assert "match_re title is true" in route_refused(tmp_path, "match_re: {title: yes}")


def test_a_quoted_match_value_matches_as_written(tmp_path: Path) -> None:
    path = tmp_path / "routes.yaml"
    path.write_text('routes:\n  - {name: r2, channel: console, match: {labels: {severity: "yes"}, fields: {n: 3}}}\n')
    [route] = load_routes(path)
    assert route.exact == {"labels.severity": "yes", "fields.n": "3"}


def test_a_source_no_trigger_comes_from_is_refused_naming_those_there_are(tmp_path: Path) -> None:
    assert route_refused(tmp_path, "match: {source: prometheus}") == (
        "match source is 'prometheus', which no trigger comes from."
        " Fix: use one of alertmanager, grafana, generic, check, cli"
    )
    path = tmp_path / "routes.yaml"
    path.write_text("routes:\n  - {name: r2, channel: console, match: {source: grafana}}\n")
    assert load_routes(path)[0].exact == {"source": "grafana"}


@pytest.mark.parametrize("hint", ["facilitator", "backup"])
def test_a_list_where_one_person_goes_is_refused_in_a_route_and_in_a_check(tmp_path: Path, hint: str) -> None:
    fix = f"{hint} names a list, and a run has one {hint}. Fix: write one person's id, like {hint}: U0123"
    assert route_refused(tmp_path, f"{hint}: [a, b]") == fix
    assert check_refused(tmp_path, more=f", channel: console, {hint}: [alice, bob]") == fix
    # participants and owners take a list, as before
    path = tmp_path / "routes.yaml"
    path.write_text("routes:\n  - {name: r2, channel: console, facilitator: a, participants: [b, c], owners: [d]}\n")
    [route] = load_routes(path)
    assert (route.facilitator, route.participants, route.owners) == ("a", ("b", "c"), ("d",))


def test_routes_validate_names_the_route_a_boolean_match_breaks(tmp_path: Path, flows: Path) -> None:
    (flows / "routes.yaml").write_text("routes:\n  - {name: r2, channel: console, match: {labels: {severity: yes}}}\n")
    out = cli(tmp_path, flows, "routes", "validate")
    assert out.exit_code == 1
    assert "route 'r2': match labels.severity is true" in out.output


@pytest.mark.parametrize("name", ["routes.yaml", "checks.yaml"])
@pytest.mark.parametrize("shape", ["pipe", "folder"])
def test_a_pipe_or_folder_named_as_routes_or_checks_is_refused_not_taken_as_absent(
    tmp_path: Path, flows: Path, name: str, shape: str
) -> None:
    """Before, ``routes.yaml`` as a pipe or a folder was read as no file at all: ``routes validate``
    said "no routes" and exited 0, and ``serve`` started routing every alert to the default channel;
    a folder ``checks.yaml`` said "no checks". Now each command refuses it, naming file and fix."""
    path = flows / name
    os.mkfifo(path) if shape == "pipe" else path.mkdir()
    what = name.removesuffix(".yaml")
    out = cli(tmp_path, flows, what, "validate")
    assert out.exit_code == 1
    assert f"{path}: is not a regular file (a directory, pipe or device)" in out.output
    assert f"Fix: put the {what} in a regular file, or rename this one" in out.output
    if name == "routes.yaml":
        with pytest.raises(ConfigError, match="is not a regular file"):
            load_routes(path)
    else:
        with pytest.raises(ConfigError, match="is not a regular file"):
            checks.load(path)
