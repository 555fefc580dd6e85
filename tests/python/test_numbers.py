"""The published numbers recomputed from per-sample columns match the stored aggregates; `table`."""

import math

import numpy as np
import pytest

import synth
from analysis.common import PUBLISHED_COLUMNS, STATUS_OK, aggregates
from analysis.load import load_cells, load_samples
from analysis.table import bootstrap_ic, published_table


@pytest.fixture
def sweep(tmp_path):
    rng = np.random.default_rng(7)
    specs = []
    for model, flops, series in [("a-1B", 2e9, "a"), ("a-7B", 1.4e10, "a"), ("b/1B", 2.2e9, "b")]:
        for data, bias in [("mixed_text", -24.0), ("code", -27.0)]:
            samples = synth.random_samples(rng, 40)
            status = np.zeros(40, np.int8)
            status[[3, 17]] = [1, 2]  # too_short, bad_record
            specs.append(dict(model_name=model, data_name=data, flops_per_token=flops, bias=bias, series=series,
                              status=status, tokens=True, **samples))
    specs.append(dict(model_name="broken", data_name="code", flops_per_token=3e9, failed=True, series="c",
                      **synth.random_samples(rng, 5)))
    return synth.write_sweep(str(tmp_path), specs)


def test_recomputed_aggregates_match_stored(sweep):
    cells = load_cells(sweep)
    samples = load_samples(sweep)
    checked = 0
    for _, cell in cells[cells["status"] == "ok"].iterrows():
        mine = samples[(samples["model_name"] == cell["model_name"]) & (samples["data_name"] == cell["data_name"])
                       & (samples["status"] == STATUS_OK)]
        got = aggregates(mine["text_bits_per_token"], mine["nll_bits"], mine["n_tokens"], cell["bias"],
                         cell["flops_per_token"])
        assert got["constant"] == cell["constant"]
        for key in ("conditional_entropy", "entropy_gain", "information_capacity", "ic", "constant_unrounded"):
            assert got[key] == pytest.approx(cell[key], rel=1e-12, abs=1e-12), key
        assert mine["n_tokens"].sum() == cell["total_scored_tokens"]
        assert cell["BF16_TFLOPs"] == pytest.approx(cell["flops_per_token"] * cell["seq_len"] / 1e12, rel=1e-12)
        checked += 1
    assert checked == 6


def test_reference_example_row():
    # docs/design.md §1.5: constant 34.95, NLL 3.98853, 1.000647688192 TFLOPs for T = 1024, b = -24 -> ic 0.23311
    n = 1.000647688192e12 / 1024
    ic = (34.95 - 3.98853 - 24) / math.log2(n)
    assert round(ic, 5) == 0.23311


def test_table_has_published_columns_in_order_and_ci(sweep):
    frame = published_table(sweep, resamples=300, seed=1)
    assert list(frame.columns) == PUBLISHED_COLUMNS + ["status", "ic_ci_low", "ic_ci_high", "n_samples"]
    assert list(frame["status"]) == ["ok"] * 6 + ["failed"]
    assert list(frame["model_name"]) == ["a-1B", "a-1B", "a-7B", "a-7B", "b/1B", "b/1B", "broken"]
    ok = frame.iloc[:6]
    assert (ok["ic_ci_low"] <= ok["ic"]).all() and (ok["ic"] <= ok["ic_ci_high"]).all()
    assert (ok["ic_ci_high"] - ok["ic_ci_low"] > 0).all()
    assert (ok["n_samples"] == 38).all()
    broken = frame.iloc[6]
    assert math.isnan(broken["ic"]) and math.isnan(broken["ic_ci_low"])


def test_bootstrap_is_seeded(sweep):
    a = published_table(sweep, resamples=200, seed=5)
    b = published_table(sweep, resamples=200, seed=5)
    c = published_table(sweep, resamples=200, seed=6)
    assert a.equals(b)
    assert not a["ic_ci_low"].equals(c["ic_ci_low"])


def test_bootstrap_of_identical_samples_is_the_point_value():
    low, high = bootstrap_ic([16.0] * 10, [300.0] * 10, [100] * 10, -27.0, 1e9, resamples=50,
                             rng=np.random.default_rng(0))
    ic = (16.0 - 3.0 - 27.0) / math.log2(1e9)
    assert low == pytest.approx(ic) and high == pytest.approx(ic)


def test_bootstrap_interval_narrows_with_more_samples():
    rng = np.random.default_rng(3)
    widths = []
    for n in (20, 2000):
        s = synth.random_samples(rng, n)
        nll_bits = s["nll_bits_per_token"] * s["n_tokens"]
        low, high = bootstrap_ic(s["text_bits_per_token"], nll_bits, s["n_tokens"], -27.0, 1e9, 400, rng=rng)
        widths.append(high - low)
    assert widths[1] < widths[0] / 4


def test_single_cell_file(tmp_path):
    rng = np.random.default_rng(0)
    path = str(tmp_path / "one.h5")
    stored = synth.write_cell(path, "m", "d", flops_per_token=1e9, **synth.random_samples(rng, 12))
    frame = published_table(path, resamples=0)
    assert len(frame) == 1 and frame.loc[0, "ic"] == stored["ic"]
    assert "ic_ci_low" not in frame
