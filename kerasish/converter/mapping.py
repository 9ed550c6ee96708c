"""``--map mapping.json``: renaming state_dict keys to match a user's own torch module.

The file is a JSON object of exact renames ``{"dense.weight": "fc1.weight"}`` and/or prefix
rules under the key ``"prefix"``: ``{"prefix": {"dense.": "fc1."}}``. An exact rename wins over a
prefix rule; among prefix rules the longest matching prefix wins. The same file read inverted
takes a torch module's keys back to kerasish's, so one mapping serves both directions.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from kerasish.converter.errors import ConversionError


@dataclass(frozen=True)
class KeyMap:
    exact: dict[str, str] = field(default_factory=dict)
    prefixes: dict[str, str] = field(default_factory=dict)

    def rename(self, key: str) -> str:
        if key in self.exact:
            return self.exact[key]
        for old in sorted(self.prefixes, key=len, reverse=True):
            if key.startswith(old):
                return self.prefixes[old] + key[len(old):]
        return key

    def inverted(self) -> KeyMap:
        return KeyMap(_invert(self.exact, "key"), _invert(self.prefixes, "prefix"))

    def apply(self, state: dict) -> dict:
        renamed: dict = {}
        for key, value in state.items():
            new = self.rename(key)
            if new in renamed:
                raise ConversionError(
                    f"The mapping sends two keys to '{new}' (one of them is '{key}')."
                )
            renamed[new] = value
        return renamed


def _invert(pairs: dict[str, str], what: str) -> dict[str, str]:
    inverse: dict[str, str] = {}
    for old, new in pairs.items():
        if new in inverse:
            raise ConversionError(
                f"The mapping cannot be inverted: {what}s '{inverse[new]}' and '{old}' both map "
                f"to '{new}'."
            )
        inverse[new] = old
    return inverse


def read_map(path: str) -> KeyMap:
    path = os.fspath(path)
    try:
        with open(path) as f:
            document = json.load(f)
    except (OSError, json.JSONDecodeError) as err:
        raise ConversionError(f"Could not read the mapping file '{path}': {err}") from err
    if not isinstance(document, dict):
        raise ConversionError(
            f"The mapping file '{path}' must hold a JSON object; it holds "
            f"{type(document).__name__}."
        )
    prefixes = document.pop("prefix", {})
    for name, pairs in (("prefix", prefixes), ("exact", document)):
        if not isinstance(pairs, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in pairs.items()
        ):
            raise ConversionError(
                f"The {name} renames in '{path}' must map strings to strings; received {pairs!r}."
            )
    return KeyMap(dict(document), dict(prefixes))
