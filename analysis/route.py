"""`route`: simulate sending each sample to a smaller model of a series and count FLOPs saved vs bits lost.

For one dataset and one series, samples are aligned by sample_index (only samples ok in every model) and
models ordered by FLOPs per token N. Sending sample s to model m costs N_m * n_tokens[s, m] FLOPs and
nll_bits[s, m] bits; the baseline sends everything to the largest model L.

* oracle router, tolerance t: the smallest m with nll_bits_per_token[s, m] <= nll_bits_per_token[s, L] + t
  (it knows every model's NLL; an upper bound on what routing can save).
* threshold router, threshold h (a cascade): try models from the smallest up and keep the first with
  nll_bits_per_token[s, m] <= h, else L. The models it tried are charged too (--free-cascade: only the
  chosen one), so flops_saved can be negative.

Reported per router setting: flops_saved = 1 - FLOPs / baseline FLOPs, bits_lost = bits - baseline bits
(total over samples), bits_lost_per_token (over the baseline's scored tokens), rel_bits_lost, and how many
samples each model got."""

import sys

import numpy as np
import pandas as pd

from analysis.common import STATUS_OK, add_format_arguments, cells_frame, emit, series_of
from analysis.load import load_samples

DEFAULT_TOLERANCES = [0.0, 0.1, 0.25, 0.5, 1.0]
QUANTILES = [0.1, 0.25, 0.5, 0.75, 0.9]


class Series:
    """Aligned per-sample matrices of one (dataset, series): rows samples, columns models by FLOPs."""

    def __init__(self, cells, samples):
        cells = cells.sort_values("flops_per_token", kind="stable")
        self.models = list(cells["model_name"])
        self.flops = cells["flops_per_token"].astype(float).to_numpy()  # (K,)
        ok = samples[(samples["status"] == STATUS_OK) & samples["model_name"].isin(self.models)]
        values = ["nll_bits_per_token", "nll_bits", "n_tokens"]
        wide = ok.pivot(index="sample_index", columns="model_name", values=values)
        wide = wide.reindex(columns=pd.MultiIndex.from_product([values, self.models])).dropna()  # ok in every model
        self.sample_index = wide.index.to_numpy()
        self.nll_bpt = wide["nll_bits_per_token"][self.models].to_numpy(dtype=float)  # (S, K)
        self.nll_bits = wide["nll_bits"][self.models].to_numpy(dtype=float)  # (S, K)
        self.tokens = wide["n_tokens"][self.models].to_numpy(dtype=float)  # (S, K)

    def evaluate(self, choice, charge_tried=False):
        """Metrics of routing sample s to model choice[s] (column index)."""
        rows = np.arange(len(choice))
        cost_matrix = self.tokens * self.flops  # (S, K) FLOPs of each sample on each model
        if charge_tried:
            cost = np.where(np.arange(len(self.models)) <= choice[:, None], cost_matrix, 0.0).sum()
        else:
            cost = cost_matrix[rows, choice].sum()
        baseline_cost = cost_matrix[:, -1].sum()
        bits = self.nll_bits[rows, choice].sum()
        baseline_bits = self.nll_bits[:, -1].sum()
        counts = np.bincount(choice, minlength=len(self.models))
        return {
            "samples": len(choice),
            "flops_saved": 1.0 - cost / baseline_cost,
            "bits_lost": bits - baseline_bits,
            "bits_lost_per_token": (bits - baseline_bits) / self.tokens[:, -1].sum(),
            "rel_bits_lost": (bits - baseline_bits) / baseline_bits,
            "routed": ";".join(f"{m}:{c}" for m, c in zip(self.models, counts)),
        }

    def oracle(self, tolerance):
        """Index of the smallest model within TOLERANCE bits/token of the largest, per sample."""
        good = self.nll_bpt <= self.nll_bpt[:, -1:] + tolerance
        return np.argmax(good, axis=1)  # the largest always qualifies

    def threshold(self, threshold):
        """Index of the first model (smallest up) whose NLL bits/token is <= THRESHOLD, else the largest."""
        good = self.nll_bpt <= threshold
        good[:, -1] = True
        return np.argmax(good, axis=1)


def route_frame(cells, samples, tolerances=DEFAULT_TOLERANCES, thresholds=None, charge_tried=True,
                series=None, datasets=None):
    """Router results for every (dataset, series) with two or more models. thresholds None: quantiles
    of the smallest model's per-sample NLL bits/token."""
    cells = cells.assign(model_series=series_of(cells))
    rows = []
    for (data_name, name), d in cells.groupby(["data_name", "model_series"], sort=False):
        if len(d) < 2 or (series and name not in series) or (datasets and data_name not in datasets):
            continue
        s = Series(d, samples[samples["data_name"] == data_name])
        if len(s.sample_index) == 0:
            continue
        base = {"data_name": data_name, "model_series": name}
        for t in tolerances:
            rows.append({**base, "router": "oracle", "parameter": float(t), **s.evaluate(s.oracle(t))})
        hs = thresholds if thresholds is not None else np.quantile(s.nll_bpt[:, 0], QUANTILES)
        for h in hs:
            rows.append({**base, "router": "threshold", "parameter": float(h),
                         **s.evaluate(s.threshold(h), charge_tried)})
    return pd.DataFrame(rows, columns=["data_name", "model_series", "router", "parameter", "samples", "flops_saved",
                                       "bits_lost", "bits_lost_per_token", "rel_bits_lost", "routed"])


def _floats(text):
    return [float(x) for x in text.split(",") if x.strip()]


def add_parser(commands):
    p = commands.add_parser(
        "route", help="oracle and threshold routing within a series: FLOPs saved vs bits lost",
        description="From per-sample NLL of the models of a series (aligned by sample_index), route each sample "
                    "to a smaller model: oracle router (smallest model within a tolerance of the largest model's "
                    "NLL bits/token) and threshold router (cascade: first model with NLL bits/token <= h). "
                    "Reports FLOPs saved and bits lost against always using the largest model.")
    p.add_argument("results", help="results.h5 index or a cell file")
    p.add_argument("--series", action="append", metavar="NAME", help="only this series (repeatable)")
    p.add_argument("--dataset", action="append", metavar="NAME", help="only this dataset (repeatable)")
    p.add_argument("--tolerances", type=_floats, default=DEFAULT_TOLERANCES, metavar="T1,T2,...",
                   help="oracle tolerances in bits/token (default 0,0.1,0.25,0.5,1)")
    p.add_argument("--thresholds", type=_floats, metavar="H1,H2,...",
                   help="threshold router NLL thresholds in bits/token (default: the 10/25/50/75/90%% quantiles "
                        "of the smallest model's per-sample NLL)")
    p.add_argument("--free-cascade", action="store_true",
                   help="threshold router: charge only the chosen model, not the smaller ones it tried")
    add_format_arguments(p)
    p.set_defaults(run=run)


def run(args):
    cells = cells_frame(args.results, ok_only=True)
    frame = route_frame(cells, load_samples(args.results), args.tolerances, args.thresholds,
                        not args.free_cascade, args.series, args.dataset)
    if frame.empty:
        print("note: no (dataset, series) with two or more models and shared ok samples", file=sys.stderr)
    emit([(None, frame)], args.format, args.output)
