"""Every figure renders to a non-empty PNG, PDF and SVG; the IC-vs-FLOPs figure has its own y axis per
dataset, a series legend, error bars and a caption naming bias, FLOPs profile and sequence length;
width presets give the printed widths; the heatmap is coloured per dataset."""

import os

import matplotlib.image
import numpy as np
import pytest

import synth
from analysis.common import cells_frame
from analysis.figures import WIDTHS, ic_heatmap, ic_vs_flops, power_of_ten
from analysis.plot import FIGURES, caption, intervals_of, make_plots


@pytest.fixture
def sweep(tmp_path):
    rng = np.random.default_rng(1)
    specs = []
    for series, flops in [("s", [1e8, 4e8, 1.6e9]), ("t", [2e8, 9e8])]:
        for data, bias in [("en", -27.0), ("zh", -18.7), ("code", -27.0), ("math", -27.0)]:
            for i, (n, samples) in enumerate(zip(flops, synth.planted_series(rng, 10, flops, 0.3, bias))):
                specs.append(dict(model_name=f"{series}-{i}", data_name=data, series=series, size=f"{i}B",
                                  flops_per_token=n, bias=bias, seq_len=512, **samples))
    specs.append(dict(model_name="dead", data_name="en", flops_per_token=1e9, failed=True,
                      **synth.random_samples(rng, 3)))
    return synth.write_sweep(str(tmp_path / "sweep"), specs)


HEADS = {"png": b"\x89PNG", "pdf": b"%PDF", "svg": b"<?xml"}


def test_every_plot_writes_non_empty_png_pdf_and_svg(sweep, tmp_path):
    out = tmp_path / "figures"
    written = make_plots(sweep, str(out), resamples=50)
    assert sorted(os.path.basename(p) for p in written) == sorted(f"{f}.{x}" for f in FIGURES for x in HEADS)
    for path in written:
        with open(path, "rb") as f:
            head = f.read(8)
        assert os.path.getsize(path) > 2000, path
        assert head.startswith(HEADS[path.rsplit(".", 1)[1]]), path


def test_caption_names_bias_profile_and_length(sweep):
    cells = cells_frame(sweep, ok_only=True)
    assert caption(cells, "ic", 0.95, 1000) == (
        "ic = (constant − NLL + b) / log₂ N; b = −27 (en, code, math); b = −18.7 (zh); N = FLOPs per token, "
        "profile reference; sequence length 512 tokens; bars: 95% bootstrap interval over samples (1000 resamples).")
    assert caption(cells, "information_capacity").startswith("information_capacity = (constant − NLL) / log₂ N (no bias)")


def test_ic_vs_flops_panels_have_their_own_y_axis_legend_and_bars(sweep):
    cells = cells_frame(sweep, ok_only=True)
    intervals = intervals_of(sweep, cells, "ic", 200, 0.95, 0)
    assert len(intervals) == 20
    for (model, data), (low, high) in intervals.items():
        ic = float(cells[(cells["model_name"] == model) & (cells["data_name"] == data)]["ic"].iloc[0])
        assert low < ic < high  # the planted ic lies inside its interval
    fig = ic_vs_flops(cells, "ic", WIDTHS["two-column"], intervals)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == ["en", "zh", "code", "math"]
    assert not any(panels[0].get_shared_y_axes().joined(panels[0], ax) for ax in panels[1:])
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["s", "t"]
    assert fig.get_size_inches()[0] == pytest.approx(7.16)
    assert sum(len(ax.collections) for ax in panels) == 8  # an error-bar collection per series and panel


def test_log_tick_labels():
    assert [power_of_ten(v) for v in (1e5, 2e5, 5e6, 1e-3, 3e5)] == ["10⁵", "2×10⁵", "5×10⁶", "10⁻³", "3×10⁵"]


@pytest.mark.parametrize("width, inches", [("one-column", 3.5), ("two-column", 7.16)])
def test_width_presets(sweep, tmp_path, width, inches):
    written = make_plots(sweep, str(tmp_path / width), figures=["ic_vs_flops"], formats=["png"], dpi=100,
                         width=width, resamples=0)
    pixels = matplotlib.image.imread(written[0]).shape[1]
    assert inches * 100 * 0.9 < pixels < inches * 100 * 1.08  # tight bounding box: within a few percent


def test_heatmap_is_normalised_per_dataset(tmp_path):
    rng = np.random.default_rng(5)
    specs = [dict(model_name=m, data_name=d, flops_per_token=n, bias=b, **synth.random_samples(rng, 6))
             for m, n in [("a", 1e8), ("b", 1e9), ("c", 1e10)] for d, b in [("en", -27.0), ("zh", -18.7)]]
    cells = cells_frame(synth.write_sweep(str(tmp_path), specs), ok_only=True)
    fig = ic_heatmap(cells, "ic", WIDTHS["two-column"])
    colours = np.asarray(fig.axes[0].images[0].get_array())  # (models, datasets), each column spans 0..1
    assert np.allclose(colours.min(axis=0), 0) and np.allclose(colours.max(axis=0), 1)
    ic = cells.pivot(index="model_name", columns="data_name", values="ic")[["en", "zh"]].to_numpy()
    assert (np.argsort(colours, axis=0) == np.argsort(ic, axis=0)).all()  # same order within a dataset


def test_heatmap_of_round_off_differences_is_mid_scale(sweep):
    cells = cells_frame(sweep, ok_only=True)  # planted: every ic 0.3 up to round-off
    colours = np.asarray(ic_heatmap(cells, "ic", WIDTHS["two-column"]).axes[0].images[0].get_array())
    assert np.allclose(colours, 0.5)


def test_plot_of_a_single_cell(tmp_path):
    path = str(tmp_path / "one.h5")
    synth.write_cell(path, "m", "d", flops_per_token=1e9, **synth.random_samples(np.random.default_rng(0), 5))
    for target in make_plots(path, str(tmp_path / "f"), formats=("png",), metric="information_capacity"):
        assert os.path.getsize(target) > 2000
