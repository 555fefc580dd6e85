"""`fit-bias`: per dataset, the bias b that makes ic most constant within each model series.

With g_i = entropy_gain and L_i = log2(flops_per_token) of model i,

    ic_i(b) = (g_i + b) / L_i = a_i + b * w_i,      a_i = g_i / L_i,  w_i = 1 / L_i.

Centring within a series s (x~_i = x_i - mean_{j in s} x_j), ic_i - mean_s(ic) = a~_i + b * w~_i, so the
within-series variance summed over series is the 1-D quadratic

    V(b) = sum_s sum_{i in s} (a~_i + b * w~_i)^2,   V'(b) = 2 * sum (a~_i * w~_i + b * w~_i^2) = 0

    b* = - sum a~_i * w~_i / sum w~_i^2,

its unique minimum whenever some series has two models of different FLOPs (sum w~_i^2 > 0). Series with
one model contribute nothing. The command prints the fitted b per dataset and before/after tables."""

import sys

import numpy as np
import pandas as pd

from analysis.common import add_format_arguments, cells_frame, emit, series_of


def _centred(values, groups):
    return values - values.groupby(groups).transform("mean")


def fit_bias_frame(cells):
    """Per dataset: data_name, bias_stored, bias_fit, series_used, models_used, within-series RMS
    deviation of ic before (stored bias) and after (fitted bias). CELLS as from cells_frame."""
    rows = []
    for data_name, d in cells.groupby("data_name", sort=False):
        series = series_of(d)
        log_n = np.log2(d["flops_per_token"].astype(float))
        a = d["entropy_gain"].astype(float) / log_n
        w = 1.0 / log_n
        counts = series.map(series.value_counts())
        multi = counts >= 2
        a_c, w_c = _centred(a[multi], series[multi]), _centred(w[multi], series[multi])
        denominator = float((w_c * w_c).sum())
        bias_fit = -float((a_c * w_c).sum()) / denominator if denominator > 0 else float("nan")
        stored = d["bias"].astype(float).unique()

        def rms(b):
            if not multi.any() or np.isnan(b):
                return float("nan")
            return float(np.sqrt(np.mean((a_c + b * w_c) ** 2)))

        rows.append({
            "data_name": data_name,
            "bias_stored": float(stored[0]) if len(stored) == 1 else float("nan"),
            "bias_fit": bias_fit,
            "series_used": int(series[multi].nunique()),
            "models_used": int(multi.sum()),
            "within_series_rms_before": rms(float(stored[0])) if len(stored) == 1 else float("nan"),
            "within_series_rms_after": rms(bias_fit),
        })
    return pd.DataFrame(rows)


def refit_ic(cells, biases):
    """Per cell: series, model, dataset, flops_per_token, ic with the stored bias and with BIASES
    (a dict data_name -> b)."""
    b = cells["data_name"].map(biases).astype(float)
    out = pd.DataFrame({
        "model_series": series_of(cells),
        "model_name": cells["model_name"],
        "data_name": cells["data_name"],
        "flops_per_token": cells["flops_per_token"].astype(float),
        "bias_before": cells["bias"].astype(float),
        "ic_before": cells["ic"].astype(float),
        "bias_after": b,
        "ic_after": (cells["entropy_gain"].astype(float) + b) / np.log2(cells["flops_per_token"].astype(float)),
    })
    return out.sort_values(["data_name", "model_series", "flops_per_token"], kind="stable").reset_index(drop=True)


def series_summary(per_cell):
    """Per (dataset, series): models, mean and standard deviation of ic before and after."""
    g = per_cell.groupby(["data_name", "model_series"], sort=False)
    return g.agg(models=("model_name", "size"), ic_mean_before=("ic_before", "mean"),
                 ic_sd_before=("ic_before", lambda x: x.std(ddof=0)), ic_mean_after=("ic_after", "mean"),
                 ic_sd_after=("ic_after", lambda x: x.std(ddof=0))).reset_index()


def add_parser(commands):
    p = commands.add_parser(
        "fit-bias", help="per-dataset bias b minimising within-series variance of ic",
        description="Fit, per dataset, the bias b (bits/token) that minimises the within-series variance of "
                    "ic = (entropy_gain + b) / log2(FLOPs per token), in closed form (see the module docstring). "
                    "Prints the fits, per-series spread and per-cell ic before (stored bias) and after.")
    p.add_argument("results", help="results.h5 index or a cell file")
    p.add_argument("--cells", action="store_true", help="also print the per-cell before/after table")
    add_format_arguments(p)
    p.set_defaults(run=run)


def run(args):
    cells = cells_frame(args.results, ok_only=True)
    fits = fit_bias_frame(cells)
    per_cell = refit_ic(cells, dict(zip(fits["data_name"], fits["bias_fit"])))
    sections = [("fitted bias per dataset", fits), ("ic per series, before and after", series_summary(per_cell))]
    if args.cells:
        sections.append(("ic per cell, before and after", per_cell))
    emit(sections, args.format, args.output)
    if fits["bias_fit"].isna().any():
        print("note: no fit where no series has two models of different FLOPs (bias_fit nan)",
              file=sys.stderr)
