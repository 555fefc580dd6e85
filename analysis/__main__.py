"""python3 -m analysis COMMAND results.h5 ... (installed: icsweep-analysis): tables, figures, fits and a
leaderboard page from icsweep results.

Each command lives in its own module (analysis/<command>.py) with an add_parser/run pair."""

import argparse
import os
import sys

from analysis import __version__, compare, fit_bias, load_cmd, plot, predict, route, site, table
from analysis.load import ResultsError

COMMANDS = [load_cmd, table, plot, fit_bias, predict, route, compare, site]


def program_name():
    """How the user called us: `icsweep-analysis` (the installed entry point) or `python3 -m analysis`."""
    name = os.path.basename(sys.argv[0] or "")
    return name if name.startswith("icsweep-analysis") else "python3 -m analysis"


def build_parser(prog=None):
    parser = argparse.ArgumentParser(
        prog=prog or program_name(),
        description="Post-hoc analysis of icsweep HDF5 results (docs/design.md §1, §4). RESULTS is a sweep's "
                    "results.h5 index or a single cell file.",
        epilog="Run '%(prog)s COMMAND --help' for a command's options. See docs/analysis.md.")
    parser.add_argument("--version", action="version", version=f"%(prog)s (icsweep analysis) {__version__}",
                        help="print the version and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS:
        module.add_parser(commands)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    where = f"{parser.prog} {args.command}"
    try:
        return args.run(args) or 0
    except ResultsError as e:
        print(f"{where}: error: {e}", file=sys.stderr)
        return 1
    except OSError as e:  # an output folder or file that cannot be written, an input that vanished
        print(f"{where}: error: {e.filename or ''}: {e.strerror or e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{where}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
