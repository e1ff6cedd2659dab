"""What is said of the settings in the environment."""


def setting_misnamed(name: str, meant: str | None) -> str:
    guess = f" Did you mean {meant}?" if meant else " The settings are listed in the README, under Settings."
    return f"Warning: {name} is set, but decisionbot has no setting of that name: it is ignored.{guess}"


def timezone_unknown(name: str) -> str:
    return f"Unknown time zone '{name}' (DECISIONBOT_TIMEZONE). Use an IANA name such as Europe/Paris."


def synchronous_bad(value: str) -> str:
    return f"DECISIONBOT_SYNCHRONOUS must be NORMAL or FULL, not '{value}'."


def secret_with_control(variable: str) -> str:
    return (
        f"{variable} has a line break or another control character inside it (two lines pasted into"
        f" the env file?): no request could carry it. Set {variable} to the one value, on one line."
    )
