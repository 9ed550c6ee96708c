"""Print a Keras model config's summary and the torch forward kerasish generates for it.

    python tools/show_model.py model.json          # a Keras config (to_json output or get_config)

Reads the tf.keras 2.x and Keras 3 JSON schemas: the top-level ``{"class_name", "config"}``
that ``model.to_json()`` writes, or a bare functional/sequential ``get_config()`` dict.
"""

from __future__ import annotations

import argparse
import json
import sys

from kerasish.models import Sequential
from kerasish.models.model import Model
from kerasish.saving.model_config import deserialize_layer


def load_config(text: str) -> Model:
    config = json.loads(text)
    if "class_name" in config:
        return deserialize_layer(config)
    if "input_layers" in config:
        return Model.from_config(config)
    return Sequential.from_config(config)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", help="path to a JSON model config, or - for stdin")
    args = parser.parse_args(argv)
    text = sys.stdin.read() if args.config == "-" else open(args.config).read()
    model = load_config(text)
    model.summary()
    print(model.forward_source())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
