"""route: oracle and threshold routers on a hand-made three-model series."""

import numpy as np
import pytest

import synth
from analysis.common import cells_frame
from analysis.load import load_samples
from analysis.route import route_frame

# Per-sample NLL bits/token of models with FLOPs per token 1, 2 and 4 (x 1e6); 100 tokens each.
NLL = np.array([
    [3.0, 2.9, 2.85],
    [5.0, 4.0, 4.0],
    [2.0, 2.0, 2.0],
    [6.0, 5.5, 5.0],
])


@pytest.fixture
def routed(tmp_path):
    specs = []
    for k, flops in enumerate([1e6, 2e6, 4e6]):
        nll = list(NLL[:, k]) + [1.0]
        status = [0, 0, 0, 0, 1 if k == 1 else 0]  # sample 4 is too short for the middle model: dropped
        index = [0, 1, 2, 3, 4]
        if k == 2:  # rows in another order: alignment is by sample_index
            nll, status, index = nll[::-1], status[::-1], index[::-1]
        specs.append(dict(model_name=f"m{k}", data_name="d", series="s", flops_per_token=flops,
                          text_bits_per_token=[16.0] * 5, nll_bits_per_token=nll, n_tokens=[100] * 5,
                          status=status, sample_index=index))
    path = synth.write_sweep(str(tmp_path), specs)
    return cells_frame(path), load_samples(path)


def result(frame, router, parameter):
    row = frame[(frame["router"] == router) & np.isclose(frame["parameter"], parameter)]
    assert len(row) == 1
    return row.iloc[0]


def test_oracle_router(routed):
    frame = route_frame(*routed, tolerances=[0.0, 0.2], thresholds=[])
    exact = result(frame, "oracle", 0.0)  # choices m2, m1, m0, m2
    assert exact["samples"] == 4
    assert exact["flops_saved"] == pytest.approx(1 - (4 + 2 + 1 + 4) / 16)
    assert exact["bits_lost"] == pytest.approx(0.0, abs=1e-9)
    assert exact["routed"] == "m0:1;m1:1;m2:2"
    loose = result(frame, "oracle", 0.2)  # choices m0, m1, m0, m2
    assert loose["flops_saved"] == pytest.approx(0.5)
    assert loose["bits_lost"] == pytest.approx(15.0)
    assert loose["bits_lost_per_token"] == pytest.approx(15.0 / 400)
    assert loose["rel_bits_lost"] == pytest.approx(15.0 / 1385)


def test_threshold_router_charges_the_cascade(routed):
    frame = route_frame(*routed, tolerances=[], thresholds=[4.0])
    row = result(frame, "threshold", 4.0)  # choices m0, m1, m0, m2; tried 1, 1+2, 1, 1+2+4
    assert row["flops_saved"] == pytest.approx(1 - 12 / 16)
    assert row["bits_lost"] == pytest.approx(15.0)
    free = result(route_frame(*routed, tolerances=[], thresholds=[4.0], charge_tried=False), "threshold", 4.0)
    assert free["flops_saved"] == pytest.approx(0.5)


def test_default_thresholds_and_filters(routed):
    frame = route_frame(*routed)
    assert (frame["router"] == "threshold").sum() == 5 and (frame["router"] == "oracle").sum() == 5
    assert route_frame(*routed, series=["other"]).empty
