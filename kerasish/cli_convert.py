"""``kerasish-convert``: move weights between Keras files and torch state_dicts.

    kerasish-convert to-torch model.h5|model.keras|weights.h5 out.pt|out.safetensors
        [--config CONFIG] [--map mapping.json] [--flatten-to-nchw] [--verify]
    kerasish-convert to-keras state.pt|state.safetensors --config CONFIG
        out.h5|out.keras|out.weights.h5 [--map mapping.json] [--flatten-to-nchw] [--verify]
    kerasish-convert inspect FILE
"""

from __future__ import annotations

import argparse
import sys
from typing import Optional

from kerasish.converter import ConversionError, convert, verify
from kerasish.converter.inspect import describe

_FLATTEN_HELP = (
    "permute the weight of each Dense that follows a Flatten of conv features from Keras' "
    "(H, W, C) order to torch's (C, H, W), for torch modules that flatten NCHW activations"
)
_MAP_HELP = 'JSON {"old": "new", "prefix": {"old.": "new."}} renaming state_dict keys'


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kerasish-convert", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    to_torch = commands.add_parser("to-torch", help="Keras file -> torch state_dict")
    to_torch.add_argument("source", help=".h5, .keras or .weights.h5")
    to_torch.add_argument("output", help=".pt/.pth or .safetensors")
    to_torch.add_argument("--config", help="architecture for a weights-only source")

    to_keras = commands.add_parser("to-keras", help="torch state_dict -> Keras file")
    to_keras.add_argument("source", help=".pt/.pth or .safetensors")
    to_keras.add_argument("--config", required=True, help="model .json, .h5 or .keras")
    to_keras.add_argument("output", help=".h5, .keras or .weights.h5")

    for command in (to_torch, to_keras):
        command.add_argument("--map", help=_MAP_HELP)
        command.add_argument("--flatten-to-nchw", action="store_true", help=_FLATTEN_HELP)
        command.add_argument(
            "--verify", action="store_true",
            help=f"reload the result and compare outputs on random inputs (fail above {verify.TOLERANCE})",
        )

    inspect = commands.add_parser("inspect", help="list the tensors of a Keras or torch file")
    inspect.add_argument("file")
    return parser


def main(argv: Optional[list[str]] = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "inspect":
            print(describe(args.file))
            return 0
        options = dict(mapping=args.map, verify_outputs=args.verify,
                       flatten_to_nchw=args.flatten_to_nchw, verbose=True)
        if args.command == "to-torch":
            difference = convert.to_torch(args.source, args.output, config=args.config, **options)
        else:
            difference = convert.to_keras(args.source, args.config, args.output, **options)
    except ConversionError as err:
        print(f"kerasish-convert: error: {err}", file=sys.stderr)
        return 2
    print(f"Wrote {args.output}")
    if difference is None:
        return 0
    print(f"max |diff| = {difference:.3g}")
    if difference > verify.TOLERANCE:
        print(f"kerasish-convert: verification failed: max |diff| {difference:.3g} > "
              f"{verify.TOLERANCE}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
