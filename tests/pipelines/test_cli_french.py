"""`dsnpipe` speaks French to its users, argparse's own messages included: every command's
help, a missing argument, an unknown command or choice, an invalid value."""

from __future__ import annotations

import argparse

import pytest

from pipelines.cli import build_parser, main

# argparse's English, as a user would meet it
ENGLISH = (
    "usage:",
    "show this help message",
    "positional arguments",
    "the following arguments are required",
    "invalid choice",
    "unrecognized arguments",
    "error:",
    "expected one argument",
)


def _commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path of the parser (`("anomalies", "list")`…), the root included."""
    found = [path]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _commands(sub, (*path, name))
    return found


COMMANDS = _commands(build_parser())


def _english(text: str) -> list[str]:
    return [phrase for phrase in ENGLISH if phrase in text.lower()]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "dsnpipe")
def test_every_help_is_french(command: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("utilisation : dsnpipe")
    assert "afficher cette aide et quitter" in out
    assert _english(out) == []


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "dsnpipe")
def test_a_bad_command_line_is_refused_in_french(
    command: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--option-inconnue"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "erreur :" in err
    assert _english(err) == []


def test_missing_arguments_unknown_choices_and_bad_values_are_said_in_french(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for argv, expected in (
        (["export", "statement"], "arguments obligatoires manquants : --siren"),
        (["commande-inconnue"], "choix invalide : 'commande-inconnue'"),
        (["run", "--landing", ".", "--night", "demain"], "date invalide « demain »"),
        (["validate"], "arguments obligatoires manquants : CHEMIN"),
    ):
        with pytest.raises(SystemExit):
            main(argv)
        err = capsys.readouterr().err
        assert expected in err, err
        assert _english(err) == [], err
