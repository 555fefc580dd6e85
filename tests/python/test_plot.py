"""Every figure renders to a non-empty PNG (and PDF)."""

import os

import numpy as np
import pytest

import synth
from analysis.plot import FIGURES, make_plots


@pytest.fixture
def sweep(tmp_path):
    rng = np.random.default_rng(1)
    specs = []
    for series, flops in [("s", [1e8, 4e8, 1.6e9]), ("t", [2e8, 9e8])]:
        for data in ["en", "zh", "code", "math"]:
            for i, (n, samples) in enumerate(zip(flops, synth.planted_series(rng, 10, flops, 0.3, -27.0))):
                specs.append(dict(model_name=f"{series}-{i}", data_name=data, series=series, size=f"{i}B",
                                  flops_per_token=n, **samples))
    specs.append(dict(model_name="dead", data_name="en", flops_per_token=1e9, failed=True,
                      **synth.random_samples(rng, 3)))
    return synth.write_sweep(str(tmp_path / "sweep"), specs)


def test_every_plot_writes_non_empty_png_and_pdf(sweep, tmp_path):
    out = tmp_path / "figures"
    written = make_plots(sweep, str(out))
    assert sorted(os.path.basename(p) for p in written) == sorted(f"{f}.{x}" for f in FIGURES for x in ("png", "pdf"))
    for path in written:
        with open(path, "rb") as f:
            head = f.read(8)
        assert os.path.getsize(path) > 2000, path
        assert head.startswith(b"\x89PNG") if path.endswith(".png") else head.startswith(b"%PDF")


def test_plot_of_a_single_cell(tmp_path):
    path = str(tmp_path / "one.h5")
    synth.write_cell(path, "m", "d", flops_per_token=1e9, **synth.random_samples(np.random.default_rng(0), 5))
    for target in make_plots(path, str(tmp_path / "f"), formats=("png",), metric="information_capacity"):
        assert os.path.getsize(target) > 2000
