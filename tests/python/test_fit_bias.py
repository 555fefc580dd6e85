"""fit-bias recovers a planted bias and agrees with a brute-force minimisation."""

import math

import numpy as np
import pandas as pd
import pytest

import synth
from analysis.common import cells_frame
from analysis.fit_bias import fit_bias_frame, refit_ic


def planted_sweep(directory, planted, stored_bias=-27.0, seed=0):
    rng = np.random.default_rng(seed)
    specs = []
    for data, b in planted.items():
        for series, ic, flops in [("qwen", 0.31, [1e9, 3e9, 1.4e10, 6e10]), ("llama", 0.27, [2e9, 1.6e10]),
                                  ("solo", 0.5, [5e9])]:
            # The data obey ic = const within series for bias b; the files record stored_bias.
            for i, (n, samples) in enumerate(zip(flops, synth.planted_series(rng, 30, flops, ic, b))):
                specs.append(dict(model_name=f"{series}-{i}", data_name=data, series=series,
                                  flops_per_token=n, bias=stored_bias, **samples))
    return synth.write_sweep(str(directory), specs)


def test_recovers_planted_bias(tmp_path):
    planted = {"mixed_text": -24.0, "Ch-FineWeb-Edu": -18.7, "code": -31.25}
    cells = cells_frame(planted_sweep(tmp_path, planted))
    fits = fit_bias_frame(cells).set_index("data_name")
    for data, b in planted.items():
        assert fits.loc[data, "bias_fit"] == pytest.approx(b, abs=1e-8)
        assert fits.loc[data, "within_series_rms_after"] == pytest.approx(0.0, abs=1e-10)
        assert fits.loc[data, "within_series_rms_before"] > 1e-3
        assert fits.loc[data, "series_used"] == 2 and fits.loc[data, "models_used"] == 6
    after = refit_ic(cells, fits["bias_fit"].to_dict())
    spread = after.groupby(["data_name", "model_series"])["ic_after"].std(ddof=0)
    assert spread.max() < 1e-10


def test_matches_brute_force_minimum_on_noisy_data(tmp_path):
    rng = np.random.default_rng(4)
    rows = []
    for series, k in [("a", 4), ("b", 3), ("c", 1)]:
        for i in range(k):
            rows.append({"model_name": f"{series}{i}", "model_series": series, "data_name": "d",
                         "flops_per_token": 10 ** rng.uniform(8, 11), "entropy_gain": rng.uniform(-20, 0),
                         "bias": -27.0, "ic": 0.0})
    cells = pd.DataFrame(rows)
    fit = fit_bias_frame(cells).loc[0, "bias_fit"]

    log_n = np.log2(cells["flops_per_token"].to_numpy())
    gain = cells["entropy_gain"].to_numpy()
    members = [cells["model_series"].to_numpy() == s for s in ("a", "b", "c")]

    def within_variance(b):  # b: (G,) grid -> (G,) summed within-series variance
        ic = (gain[None, :] + np.asarray(b, float).reshape(-1, 1)) / log_n[None, :]
        return sum(((ic[:, m] - ic[:, m].mean(axis=1, keepdims=True)) ** 2).sum(axis=1) for m in members)

    grid = np.linspace(fit - 5, fit + 5, 20001)
    best = grid[np.argmin(within_variance(grid))]
    assert fit == pytest.approx(best, abs=1e-3)
    assert within_variance(fit) <= min(within_variance(fit - 1e-4), within_variance(fit + 1e-4))


def test_no_fit_without_a_series_of_two(tmp_path):
    cells = pd.DataFrame([{"model_name": "x", "model_series": "x", "data_name": "d", "flops_per_token": 1e9,
                           "entropy_gain": -10.0, "bias": -27.0, "ic": 0.0}])
    assert math.isnan(fit_bias_frame(cells).loc[0, "bias_fit"])
