"""`load`: dump cells, samples or errors (the loader's DataFrames) as CSV or Markdown."""

from analysis.common import add_format_arguments, write_table
from analysis.load import ResultsError, load_cells, load_errors, load_samples

WHAT = {"cells": load_cells, "samples": load_samples, "errors": load_errors}


def add_parser(commands):
    p = commands.add_parser("load", help="print cells, samples or errors as a table",
                            description="Print one of the loader's DataFrames (analysis.load): cells (one row "
                                        "per cell, every root attribute), samples (every /samples row) or errors.")
    p.add_argument("results", help="results.h5 index or a cell file")
    p.add_argument("what", nargs="?", choices=sorted(WHAT), default="cells", help="which table (default cells)")
    p.add_argument("--columns", help="comma-separated columns to keep (default all; cells drops config_text)")
    add_format_arguments(p, default="csv")
    p.set_defaults(run=run)


def run(args):
    frame = WHAT[args.what](args.results)
    if args.columns:
        wanted = [c.strip() for c in args.columns.split(",") if c.strip()]
        unknown = [c for c in wanted if c not in frame]
        if unknown:
            raise ResultsError(f"--columns: no column {', '.join(unknown)} in the {args.what} table; it has "
                               + ", ".join(map(str, frame.columns)))
        frame = frame[wanted]
    elif args.what == "cells":
        frame = frame.drop(columns=[c for c in ("config_text",) if c in frame])
    write_table(frame, args.format, args.output)
