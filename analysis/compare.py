"""`compare`: two result files side by side, per (model, dataset), with differences.

Cells are matched by (model_name, data_name). For each number (the published columns and the cell
scalars) the table shows A, B and B - A; per cell also the largest |B - A| of per-sample NLL bits/token
over samples ok in both. A summary gives the max |B - A| per number and the unmatched cells.
With --tolerance, exit status 1 when a published number or per-sample NLL differs by more than it, or a
cell is unmatched (for CI); totals and counts are shown but not held to it."""

import sys

import numpy as np
import pandas as pd

from analysis.common import NUMERIC_PUBLISHED, STATUS_OK, add_format_arguments, cells_frame, emit
from analysis.load import load_samples

KEY = ["model_name", "data_name"]
SHOWN = ["constant", "conditional_entropy", "BF16_TFLOPs", "information_capacity", "ic"]
# --tolerance applies to these (bits/token and ratios), not to totals and counts (reported all the same).
GATED = NUMERIC_PUBLISHED + ["constant_unrounded", "sample nll_bits_per_token"]
NUMBERS = NUMERIC_PUBLISHED + ["constant_unrounded", "bias", "flops_per_token", "total_nll_bits",
                               "total_scored_tokens", "samples_scored", "samples_skipped"]


def _sample_diffs(samples_a, samples_b):
    """Per cell: max |B - A| of nll_bits_per_token over samples ok in both, and samples ok in only one."""
    cols = KEY + ["sample_index", "nll_bits_per_token"]
    a = samples_a[samples_a["status"] == STATUS_OK][cols]
    b = samples_b[samples_b["status"] == STATUS_OK][cols]
    m = a.merge(b, on=KEY + ["sample_index"], how="outer", suffixes=("_a", "_b"), indicator=True)
    m["d"] = (m["nll_bits_per_token_b"] - m["nll_bits_per_token_a"]).abs()
    g = m.groupby(KEY, sort=False)
    return g.agg(max_abs_diff_sample_nll=("d", "max"),
                 samples_unmatched=("_merge", lambda x: int((x != "both").sum()))).reset_index()


def compare_frames(path_a, path_b, samples=True):
    """(per-cell table, summary table, unmatched cells). Per-cell: KEY, status_a/b, then for every
    number X: X_a, X_b, X_diff (B - A)."""
    a, b = cells_frame(path_a), cells_frame(path_b)
    numbers = [c for c in NUMBERS if c in a and c in b]
    m = a[KEY + ["status"] + numbers].merge(b[KEY + ["status"] + numbers], on=KEY, how="outer",
                                             suffixes=("_a", "_b"), indicator=True)
    unmatched = m[m["_merge"] != "both"][KEY + ["_merge"]].rename(columns={"_merge": "only_in"})
    unmatched["only_in"] = unmatched["only_in"].map({"left_only": "A", "right_only": "B"})
    m = m[m["_merge"] == "both"].drop(columns="_merge").reset_index(drop=True)
    out = m[KEY + ["status_a", "status_b"]].copy()
    summary = []
    for c in numbers:
        x, y = m[f"{c}_a"].astype(float), m[f"{c}_b"].astype(float)
        out[f"{c}_a"], out[f"{c}_b"], out[f"{c}_diff"] = x, y, y - x
        diff = (y - x).abs()
        summary.append({"column": c, "max_abs_diff": float(diff.max()) if len(diff) else 0.0,
                        "cells_different": int((diff > 0).sum()),
                        "cells_nan": int((x.isna() != y.isna()).sum())})
    if samples and len(out):
        per_sample = _sample_diffs(load_samples(path_a), load_samples(path_b))
        out = out.merge(per_sample, on=KEY, how="left")
        summary.append({"column": "sample nll_bits_per_token",
                        "max_abs_diff": float(np.nan_to_num(out["max_abs_diff_sample_nll"].max())),
                        "cells_different": int((out["max_abs_diff_sample_nll"] > 0).sum()),
                        "cells_nan": int((out["samples_unmatched"] > 0).sum())})
    return out, pd.DataFrame(summary), unmatched.reset_index(drop=True)


def add_parser(commands):
    p = commands.add_parser(
        "compare", help="two result files side by side with differences",
        description="Match the cells of two result files by (model, dataset) and show A, B and B - A for the "
                    "published columns (all numbers with --all-columns), per-sample NLL differences, a max-abs-"
                    "diff summary and the cells found in only one file.")
    p.add_argument("results_a", metavar="A.h5", help="first results.h5 index or cell file")
    p.add_argument("results_b", metavar="B.h5", help="second results.h5 index or cell file")
    p.add_argument("--all-columns", action="store_true", help="show every compared number, not only "
                                                              + ", ".join(SHOWN))
    p.add_argument("--no-samples", action="store_true", help="skip the per-sample comparison")
    p.add_argument("--tolerance", type=float, metavar="X",
                   help="exit 1 if a published number, constant_unrounded or a per-sample NLL differs by more than X "
                        "(absolute), a value is NaN in one file only, or a cell is in one file only")
    add_format_arguments(p)
    p.set_defaults(run=run)


def run(args):
    per_cell, summary, unmatched = compare_frames(args.results_a, args.results_b, not args.no_samples)
    if not args.all_columns:
        keep = KEY + ["status_a", "status_b"] + [f"{c}_{s}" for c in SHOWN for s in ("a", "b", "diff")]
        keep += ["max_abs_diff_sample_nll", "samples_unmatched"]
        per_cell = per_cell[[c for c in per_cell.columns if c in keep]]
    sections = [("per cell (diff = B - A)", per_cell), ("max |B - A|", summary)]
    if len(unmatched):
        sections.append(("cells in one file only", unmatched))
    emit(sections, args.format, args.out, float_format="{:.6g}" if args.format == "markdown" else None)
    if args.tolerance is not None:
        gated = summary[summary["column"].isin(GATED)]
        worst = float(np.nan_to_num(gated["max_abs_diff"].max(), nan=np.inf)) if len(gated) else 0.0
        if worst > args.tolerance or len(unmatched) or (summary["cells_nan"] > 0).any():
            print(f"compare: differences above {args.tolerance} (max {worst:.3g}) or unmatched cells",
                  file=sys.stderr)
            return 1
        print(f"compare: all differences within {args.tolerance} (max {worst:.3g})", file=sys.stderr)
    return 0
