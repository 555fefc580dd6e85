"""`table`: the published columns per (model, dataset) with bootstrap confidence intervals of ic.

The bootstrap resamples a cell's ok samples with replacement and recomputes, per resample,
constant = round(mean text_bits_per_token, 2), conditional_entropy = sum nll_bits / sum n_tokens and
ic = (constant - conditional_entropy + bias) / log2(flops_per_token), exactly as icsweep does for the
whole cell; the interval is the percentile interval of those ic values."""

import numpy as np
import pandas as pd

from analysis.common import (PUBLISHED_COLUMNS, STATUS_OK, add_bootstrap_arguments, add_format_arguments, cells_frame,
                             check_confidence, write_table)
from analysis.load import load_samples


def bootstrap_draws(text_bits_per_token, nll_bits, n_tokens, resamples=1000, rng=None, chunk=200):
    """(constant, conditional_entropy), each (RESAMPLES,), of bootstrap resamples of a cell's samples,
    computed as icsweep computes the cell; None when there is no sample or no resample."""
    tbpt = np.asarray(text_bits_per_token, dtype=np.float64)
    nll = np.asarray(nll_bits, dtype=np.float64)
    tokens = np.asarray(n_tokens, dtype=np.float64)
    n = len(tbpt)
    if n == 0 or resamples <= 0:
        return None
    rng = rng if rng is not None else np.random.default_rng()
    constants, entropies = [], []
    for start in range(0, resamples, chunk):
        idx = rng.integers(0, n, size=(min(chunk, resamples - start), n))  # (B, n) sample picks
        # np.round may differ from Python's round at exact .xx5 ties; irrelevant for an interval.
        constants.append(np.round(tbpt[idx].mean(axis=1), 2))
        entropies.append(nll[idx].sum(axis=1) / tokens[idx].sum(axis=1))
    return np.concatenate(constants), np.concatenate(entropies)


def percentile_interval(values, confidence=0.95):
    """(low, high): the central CONFIDENCE percentile interval of VALUES."""
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(values, [alpha, 1.0 - alpha])
    return float(low), float(high)


def bootstrap_ic(text_bits_per_token, nll_bits, n_tokens, bias, flops_per_token, resamples=1000,
                 confidence=0.95, rng=None, chunk=200):
    """(low, high) percentile interval of ic over RESAMPLES bootstrap resamples of the samples."""
    draws = bootstrap_draws(text_bits_per_token, nll_bits, n_tokens, resamples, rng, chunk)
    if draws is None:
        return float("nan"), float("nan")
    constant, ce = draws
    return percentile_interval((constant - ce + bias) / np.log2(flops_per_token), confidence)


def published_table(path, resamples=1000, confidence=0.95, seed=None):
    """The published columns, one row per cell in the index's order, plus status (ok, failed, or
    partial for a sample-limited trial cell), ic_ci_low/ic_ci_high (NaN for failed cells or
    resamples=0) and n_samples (ok samples)."""
    cells = cells_frame(path)
    frame = cells[PUBLISHED_COLUMNS].copy()
    frame["status"] = cells["status"].where(~cells["partial"], "partial")
    lows, highs, counts = [], [], []
    if resamples > 0:
        samples = load_samples(path)
        samples = samples[samples["status"] == STATUS_OK]
        groups = dict(tuple(samples.groupby(["model_name", "data_name"], sort=False)))
    rng = np.random.default_rng(seed)
    for _, cell in cells.iterrows():
        mine = groups.get((cell["model_name"], cell["data_name"])) if resamples > 0 else None
        if mine is None or len(mine) == 0 or cell.get("status", "ok") != "ok":
            lows.append(np.nan), highs.append(np.nan), counts.append(0 if mine is None else len(mine))
            continue
        low, high = bootstrap_ic(mine["text_bits_per_token"], mine["nll_bits"], mine["n_tokens"],
                                 float(cell["bias"]), float(cell["flops_per_token"]), resamples, confidence, rng)
        lows.append(low), highs.append(high), counts.append(len(mine))
    if resamples > 0:
        frame["ic_ci_low"] = lows
        frame["ic_ci_high"] = highs
        frame["n_samples"] = counts
    return frame


def add_parser(commands):
    p = commands.add_parser(
        "table", help="published columns per (model, dataset) with bootstrap CIs of ic",
        description="The reference's published columns (model_name, model_series, model_size, data_name, seq_len, "
                    "uniform_entropy, constant, conditional_entropy, entropy_gain, BF16_TFLOPs, "
                    "information_capacity, ic) per cell, plus a bootstrap confidence interval of ic over samples "
                    "(ic_ci_low, ic_ci_high) and the number of ok samples.")
    p.add_argument("results", help="results.h5 index or a cell file")
    add_bootstrap_arguments(p, "the interval of ic")
    add_format_arguments(p)
    p.set_defaults(run=run)


def run(args):
    check_confidence(args.confidence)
    frame = published_table(args.results, args.bootstrap, args.confidence, args.seed)
    write_table(frame, args.format, args.output)
