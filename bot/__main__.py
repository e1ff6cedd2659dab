"""``python -m bot``: the same command line as ``decisionbot`` (for a venv whose bin is not on PATH)."""

from bot.cli import main

main(prog_name="decisionbot")
