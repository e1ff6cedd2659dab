"""YAML as decisionbot reads its files (flows, routes.yaml, checks.yaml): PyYAML's safe loader,
except that a bare date it cannot build (``2027-02-30``) is kept as the text written. PyYAML
raises ValueError for one, past ``yaml.YAMLError``: a traceback instead of the file's own
refusal, and no flow of the folder loaded."""

from __future__ import annotations

from typing import Any

import yaml


class SafeLoader(yaml.SafeLoader):
    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


SafeLoader.add_constructor("tag:yaml.org,2002:timestamp", SafeLoader.construct_yaml_timestamp)


def safe_load(text: str) -> Any:
    """``yaml.safe_load`` with impossible dates kept as text."""
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - a SafeLoader
