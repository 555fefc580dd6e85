"""predict: exact on series with constant ic, and the formula by hand otherwise."""

import math

import numpy as np
import pandas as pd
import pytest

import synth
from analysis.common import cells_frame
from analysis.predict import error_summary, predict_frame


def test_constant_ic_series_is_predicted_exactly(tmp_path):
    rng = np.random.default_rng(2)
    flops = [1e9, 4e9, 2e10]
    specs = [dict(model_name=f"m{i}", data_name="d", series="s", flops_per_token=n, bias=-24.0, **samples)
             for i, (n, samples) in enumerate(zip(flops, synth.planted_series(rng, 25, flops, 0.28, -24.0)))]
    cells = cells_frame(synth.write_sweep(str(tmp_path), specs))
    for rule in ("smallest", "largest"):
        p = predict_frame(cells, rule=rule)
        assert len(p) == 2
        assert p["abs_error"].max() < 1e-9
        assert p["ic_reference"].iloc[0] == pytest.approx(0.28, abs=1e-12)
    p = predict_frame(cells, references=["m1"])
    assert set(p["reference"]) == {"m1"} and set(p["model_name"]) == {"m0", "m2"}


def test_prediction_formula_by_hand():
    cells = pd.DataFrame([
        {"model_name": "small", "model_series": "s", "data_name": "d", "flops_per_token": 2 ** 30,
         "constant": 16.0, "conditional_entropy": 4.0, "bias": -27.0},
        {"model_name": "big", "model_series": "s", "data_name": "d", "flops_per_token": 2 ** 34,
         "constant": 15.5, "conditional_entropy": 3.0, "bias": -27.0},
    ])
    p = predict_frame(cells)  # reference = small: ic = (16 - 4 - 27) / 30 = -0.5
    row = p.iloc[0]
    assert row["ic_reference"] == pytest.approx(-0.5)
    assert row["nll_predicted"] == pytest.approx(15.5 - 27.0 + 0.5 * 34)  # 5.5
    assert row["error"] == pytest.approx(2.5)
    assert row["rel_error"] == pytest.approx(2.5 / 3.0)
    p = predict_frame(cells, biases={"d": -15.0})  # ic = (16 - 4 - 15) / 30 = -0.1
    assert p.iloc[0]["nll_predicted"] == pytest.approx(15.5 - 15.0 + 0.1 * 34)
    s = error_summary(p)
    assert s.loc[0, "max_abs_error"] == pytest.approx(abs(15.5 - 15.0 + 3.4 - 3.0))
    assert math.isfinite(s.loc[0, "mean_abs_rel_error"])
