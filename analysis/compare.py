"""`compare`: two result files side by side, per (model, dataset), with differences.

Either side may be a leaderboard CSV (its 12 published columns; analysis/leaderboard.py), e.g. the
study's published rows against a sweep. Cells are matched by (model_name, data_name), normalised as
analysis.leaderboard says (case, an "org/" prefix and ".jsonl" are ignored). For each number (the published columns and the cell
scalars) the table shows A, B and B - A; per cell also the largest |B - A| of per-sample NLL bits/token
over samples ok in both. A summary gives the max |B - A| per number and the unmatched cells.
With --tolerance, exit status 1 when a published number or per-sample NLL differs by more than it, or a
cell is unmatched (for CI); totals and counts are shown but not held to it."""

import sys

import numpy as np
import pandas as pd

from analysis.common import NUMERIC_PUBLISHED, STATUS_OK, add_format_arguments, cells_frame, emit
from analysis.leaderboard import MATCH_KEY, is_csv, read_leaderboard, with_match_key
from analysis.load import ResultsError, load_samples

KEY = ["model_name", "data_name"]
SHOWN = ["constant", "conditional_entropy", "BF16_TFLOPs", "information_capacity", "ic"]
# --tolerance applies to these (bits/token and ratios), not to totals and counts (reported all the same).
GATED = NUMERIC_PUBLISHED + ["constant_unrounded", "sample nll_bits_per_token"]
NUMBERS = NUMERIC_PUBLISHED + ["constant_unrounded", "bias", "flops_per_token", "total_nll_bits",
                               "total_scored_tokens", "samples_scored", "samples_skipped"]


def _sample_diffs(samples_a, samples_b):
    """Per cell: max |B - A| of nll_bits_per_token over samples ok in both, and samples ok in only one."""
    cols = MATCH_KEY + ["sample_index", "nll_bits_per_token"]
    a = with_match_key(samples_a[samples_a["status"] == STATUS_OK])[cols]
    b = with_match_key(samples_b[samples_b["status"] == STATUS_OK])[cols]
    m = a.merge(b, on=MATCH_KEY + ["sample_index"], how="outer", suffixes=("_a", "_b"), indicator=True)
    m["d"] = (m["nll_bits_per_token_b"] - m["nll_bits_per_token_a"]).abs()
    g = m.groupby(MATCH_KEY, sort=False)
    return g.agg(max_abs_diff_sample_nll=("d", "max"),
                 samples_unmatched=("_merge", lambda x: int((x != "both").sum()))).reset_index()


def read_cells(path):
    """Cells of a results file, or of a leaderboard CSV (path ending .csv), with the match key added."""
    return with_match_key(read_leaderboard(path) if is_csv(path) else cells_frame(path))


def no_common_cells(path_a, path_b, a, b):
    """The error for two inputs that share no (model, dataset), naming what each holds."""
    def holds(cells):
        return (f"models {', '.join(dict.fromkeys(cells['model_name']))}; "
                f"datasets {', '.join(dict.fromkeys(cells['data_name']))}")
    return ResultsError(f"no cells in common: {path_a} has {holds(a)}; {path_b} has {holds(b)}. Cells are matched by "
                        "model_name and data_name (case, an org/ prefix and .jsonl ignored): name the sweep's models "
                        "and datasets as the other file does")


def compare_frames(path_a, path_b, samples=True):
    """(per-cell table, summary table, unmatched cells). Per-cell: KEY, status_a/b, then for every
    number X: X_a, X_b, X_diff (B - A). Per-sample NLL only when both are results files."""
    a, b = read_cells(path_a), read_cells(path_b)
    numbers = [c for c in NUMBERS if c in a and c in b]
    m = a[KEY + MATCH_KEY + ["status"] + numbers].merge(b[KEY + MATCH_KEY + ["status"] + numbers], on=MATCH_KEY,
                                                         how="outer", suffixes=("_a", "_b"), indicator=True)
    for k in KEY:  # A's spelling of the names, B's where A has no such cell
        m[k] = m[f"{k}_a"].fillna(m[f"{k}_b"])
    unmatched = m[m["_merge"] != "both"][KEY + ["_merge"]].rename(columns={"_merge": "only_in"})
    unmatched["only_in"] = unmatched["only_in"].map({"left_only": "A", "right_only": "B"})
    m = m[m["_merge"] == "both"].drop(columns="_merge").reset_index(drop=True)
    if m.empty:
        raise no_common_cells(path_a, path_b, a, b)
    out = m[KEY + MATCH_KEY + ["status_a", "status_b"]].copy()
    summary = []
    for c in numbers:
        x, y = m[f"{c}_a"].astype(float), m[f"{c}_b"].astype(float)
        out[f"{c}_a"], out[f"{c}_b"], out[f"{c}_diff"] = x, y, y - x
        diff = (y - x).abs()
        summary.append({"column": c, "max_abs_diff": float(diff.max()) if len(diff) else 0.0,
                        "cells_different": int((diff > 0).sum()),
                        "cells_nan": int((x.isna() != y.isna()).sum())})
    if samples and not is_csv(path_a) and not is_csv(path_b):
        per_sample = _sample_diffs(load_samples(path_a), load_samples(path_b))
        out = out.merge(per_sample, on=MATCH_KEY, how="left")
        summary.append({"column": "sample nll_bits_per_token",
                        "max_abs_diff": float(np.nan_to_num(out["max_abs_diff_sample_nll"].max())),
                        "cells_different": int((out["max_abs_diff_sample_nll"] > 0).sum()),
                        "cells_nan": int((out["samples_unmatched"] > 0).sum())})
    return out.drop(columns=MATCH_KEY), pd.DataFrame(summary), unmatched.reset_index(drop=True)


def add_parser(commands):
    p = commands.add_parser(
        "compare", help="two result files side by side with differences",
        description="Match the cells of two result files (or a leaderboard CSV with the 12 published columns) by "
                    "(model, dataset) and show A, B and B - A for the "
                    "published columns (all numbers with --all-columns), per-sample NLL differences, a max-abs-"
                    "diff summary and the cells found in only one file.")
    p.add_argument("results_a", metavar="A", help="first results.h5 index, cell file or leaderboard .csv")
    p.add_argument("results_b", metavar="B", help="second results.h5 index, cell file or leaderboard .csv")
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
    emit(sections, args.format, args.output, float_format="{:.6g}" if args.format in ("markdown", "table") else None)
    if args.tolerance is not None:
        gated = summary[summary["column"].isin(GATED)]
        worst = float(np.nan_to_num(gated["max_abs_diff"].max(), nan=np.inf)) if len(gated) else 0.0
        if worst > args.tolerance or len(unmatched) or (summary["cells_nan"] > 0).any():
            print(f"compare: differences above {args.tolerance} (max {worst:.3g}) or unmatched cells",
                  file=sys.stderr)
            return 1
        print(f"compare: all differences within {args.tolerance} (max {worst:.3g})", file=sys.stderr)
    return 0
