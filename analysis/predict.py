"""`predict`: within a series, predict other sizes' NLL from one reference model's ic.

If ic is constant within a series, then for every model s of the series on a dataset with bias b

    NLL_s = constant_s + b - ic_ref * log2(N_s),    ic_ref = (constant_ref - NLL_ref + b) / log2(N_ref),

with N the FLOPs per token. The command compares these predictions with the measured
conditional_entropy. b is the stored bias of each cell unless --bias or --fit-bias says otherwise."""

import sys

import numpy as np
import pandas as pd

from analysis.common import add_format_arguments, cells_frame, emit, series_of
from analysis.fit_bias import fit_bias_frame


def predict_frame(cells, references=(), rule="smallest", biases=None):
    """One row per (dataset, series, non-reference model): measured vs predicted NLL.

    references: model names to use as the reference of their series; series without one use RULE
    (smallest or largest FLOPs per token). biases: dict data_name -> b (default: each cell's stored bias)."""
    cells = cells.assign(model_series=series_of(cells), flops_per_token=cells["flops_per_token"].astype(float))
    rows = []
    for (data_name, series), d in cells.groupby(["data_name", "model_series"], sort=False):
        if len(d) < 2:
            continue
        d = d.sort_values("flops_per_token", kind="stable")
        named = d[d["model_name"].isin(references)]
        ref = named.iloc[0] if len(named) else (d.iloc[0] if rule == "smallest" else d.iloc[-1])
        b = float(biases[data_name]) if biases is not None else float(ref["bias"])
        ic_ref = (float(ref["constant"]) - float(ref["conditional_entropy"]) + b) / np.log2(ref["flops_per_token"])
        for _, m in d.iterrows():
            if m["model_name"] == ref["model_name"]:
                continue
            measured = float(m["conditional_entropy"])
            predicted = float(m["constant"]) + b - ic_ref * np.log2(m["flops_per_token"])
            rows.append({
                "data_name": data_name, "model_series": series, "reference": ref["model_name"],
                "model_name": m["model_name"], "flops_per_token": m["flops_per_token"], "bias": b,
                "ic_reference": ic_ref, "constant": float(m["constant"]), "nll_measured": measured,
                "nll_predicted": predicted, "error": predicted - measured,
                "abs_error": abs(predicted - measured), "rel_error": (predicted - measured) / measured,
            })
    return pd.DataFrame(rows, columns=[
        "data_name", "model_series", "reference", "model_name", "flops_per_token", "bias", "ic_reference",
        "constant", "nll_measured", "nll_predicted", "error", "abs_error", "rel_error"])


def error_summary(predictions):
    """Per (dataset, series): models predicted, mean and max absolute error, mean relative error."""
    g = predictions.groupby(["data_name", "model_series", "reference"], sort=False)
    return g.agg(models=("model_name", "size"), mean_abs_error=("abs_error", "mean"),
                 max_abs_error=("abs_error", "max"),
                 mean_abs_rel_error=("rel_error", lambda x: float(np.mean(np.abs(x))))).reset_index()


def add_parser(commands):
    p = commands.add_parser(
        "predict", help="predict NLL of other sizes in a series from one model's ic",
        description="Within each (dataset, model series), take one reference model's ic and predict the other "
                    "models' NLL as constant_s + b - ic_ref * log2(N_s); report predicted vs measured.")
    p.add_argument("results", help="results.h5 index or a cell file")
    p.add_argument("--reference", action="append", default=[], metavar="MODEL",
                   help="reference model of its series (repeat for several series)")
    p.add_argument("--rule", choices=["smallest", "largest"], default="smallest",
                   help="reference of a series without --reference: its smallest (default) or largest model by FLOPs")
    bias = p.add_mutually_exclusive_group()
    bias.add_argument("--bias", type=float, help="use this b (bits/token) on every dataset")
    bias.add_argument("--fit-bias", action="store_true", help="use the b fitted by fit-bias per dataset")
    add_format_arguments(p)
    p.set_defaults(run=run)


def run(args):
    cells = cells_frame(args.results, ok_only=True)
    missing = set(args.reference) - set(cells["model_name"])
    if missing:
        raise SystemExit(f"--reference: no such model in {args.results}: {', '.join(sorted(missing))}")
    biases = None
    if args.bias is not None:
        biases = {name: args.bias for name in cells["data_name"].unique()}
    elif args.fit_bias:
        fits = fit_bias_frame(cells)
        biases = dict(zip(fits["data_name"], fits["bias_fit"]))
    predictions = predict_frame(cells, args.reference, args.rule, biases)
    if predictions.empty:
        print("note: no series with two or more models on a dataset; nothing to predict", file=sys.stderr)
    emit([("predicted vs measured NLL (bits/token)", predictions), ("errors per series", error_summary(predictions))],
         args.format, args.output)
