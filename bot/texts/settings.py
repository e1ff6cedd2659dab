"""What is said of the settings in the environment."""


def setting_misnamed(name: str, meant: str | None) -> str:
    guess = f" Did you mean {meant}?" if meant else " The settings are listed in the README, under Settings."
    return f"Warning: {name} is set, but decisionbot has no setting of that name: it is ignored.{guess}"
