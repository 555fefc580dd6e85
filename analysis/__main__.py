"""python3 -m analysis COMMAND results.h5 ...: tables, figures and fits from icsweep results.

Each command lives in its own module (analysis/<command>.py) with a build_parser/run pair."""

import argparse
import sys

from analysis import compare, fit_bias, load_cmd, plot, predict, route, table
from analysis.load import ResultsError

COMMANDS = [load_cmd, table, plot, fit_bias, predict, route, compare]


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python3 -m analysis",
        description="Post-hoc analysis of icsweep HDF5 results (docs/design.md §1, §4). RESULTS is a sweep's "
                    "results.h5 index or a single cell file.",
        epilog="Run 'python3 -m analysis COMMAND --help' for a command's options. See docs/analysis.md.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS:
        module.add_parser(commands)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.run(args) or 0
    except ResultsError as e:
        print(f"python3 -m analysis {args.command}: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
