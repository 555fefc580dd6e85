"""On a real sweep made by icsweep (the demo models and data): the trained series' held-out NLL falls with
model size, aggregates recomputed from per-sample columns match the stored ones, every command runs,
and synth.py writes the same layout.

Runs only when ICSWEEP names the icsweep binary (ctest sets it); about 2 minutes on one CPU, most of it
training the three demo models (scripts/make-demo.sh)."""

import os
import subprocess
import sys

import h5py
import numpy as np
import pytest

import synth
from analysis.__main__ import main
from analysis.common import STATUS_OK, aggregates
from analysis.compare import compare_frames
from analysis.load import load_cells, load_samples, load_tokens
from analysis.plot import make_plots

ICSWEEP = os.environ.get("ICSWEEP")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
pytestmark = pytest.mark.skipif(not ICSWEEP or not os.access(ICSWEEP, os.X_OK),
                                reason="set ICSWEEP=path/to/icsweep to run on a real sweep")


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    work = tmp_path_factory.mktemp("demo")
    env = dict(os.environ, ICSWEEP=os.path.abspath(ICSWEEP), PYTHON=sys.executable)
    subprocess.run(["scripts/make-demo.sh", str(work / "demo")], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    models = sorted(os.listdir(work / "demo" / "models"))
    data = sorted(p for p in os.listdir(work / "demo" / "data") if p.endswith(".jsonl"))
    lines = ["models:"]
    lines += [f"  - {{name: {m}, path: demo/models/{m}, series: demo, size: '{m}', dtype: float32}}" for m in models]
    lines += ["datasets:"] + [f"  - {{name: {d[:-6]}, path: demo/data/{d}}}" for d in data]
    lines += ["settings:", "  max_sample_length: 256", "  tokens_per_batch: 2048", "  output_dir: results",
              "  per_token: true", "  device: cpu", "  threads: 1"]
    (work / "sweep.yaml").write_text("\n".join(lines) + "\n")
    subprocess.run([os.path.abspath(ICSWEEP), "run", "sweep.yaml"], cwd=work, check=True,
                   stdout=subprocess.DEVNULL)
    return str(work / "results" / "results.h5")


def test_trained_series_nll_falls_with_size(results):
    """make-demo.sh trains three sizes on train.jsonl; the datasets are held-out samples."""
    cells = load_cells(results)
    assert cells["model_name"].nunique() == 3
    for data_name, d in cells.groupby("data_name"):
        d = d.sort_values("flops_per_token")
        nll = d["conditional_entropy"].to_numpy()
        assert (np.diff(nll) < 0).all(), f"{data_name}: NLL by FLOPs {list(zip(d['model_name'], nll))}"
        # Below a uniform guess over the vocabulary (log2 V bits) even for the smallest: they learned.
        assert (nll < d["uniform_entropy"].to_numpy() - 1).all(), data_name


def test_recomputed_aggregates_match_stored(results):
    cells, samples = load_cells(results), load_samples(results)
    assert len(cells) >= 2 and (cells["status"] == "ok").all()
    for _, cell in cells.iterrows():
        mine = samples[(samples["model_name"] == cell["model_name"]) & (samples["data_name"] == cell["data_name"])]
        ok = mine[mine["status"] == STATUS_OK]
        got = aggregates(ok["text_bits_per_token"], ok["nll_bits"], ok["n_tokens"], cell["bias"],
                         cell["flops_per_token"])
        assert got["constant"] == cell["constant"]
        for key in ("conditional_entropy", "entropy_gain", "information_capacity", "ic", "constant_unrounded"):
            assert got[key] == pytest.approx(cell[key], rel=1e-12, abs=1e-12), key
        assert ok["n_tokens"].sum() == cell["total_scored_tokens"]
        with h5py.File(cell["cell_file"], "r") as f:
            offsets, bits = f["tokens/offsets"][()], f["tokens/nll_bits"][()].astype(np.float64)
        sums = np.add.reduceat(bits, offsets[:-1][mine["status"].to_numpy() == STATUS_OK])
        np.testing.assert_allclose(sums, ok["nll_bits"], rtol=1e-5)


def test_tokens_of_the_demo(results):
    """load_tokens on a real per_token sweep: every ok sample's per-token NLL, summing to its nll_bits."""
    tokens, samples = load_tokens(results), load_samples(results)
    assert len(tokens) == len(samples)
    ok = tokens[tokens["status"] == STATUS_OK]
    assert len(ok) > 100
    assert (ok["token_nll_bits"].map(len) == ok["n_tokens"]).all()
    sums = ok["token_nll_bits"].map(lambda x: float(np.sum(x, dtype=np.float64)))
    np.testing.assert_allclose(sums, ok["nll_bits"], rtol=1e-5)
    assert (tokens["token_ids"].isna()).all()  # icsweep stores no ids (docs/design.md §4)


def test_commands_run_on_the_demo(results, tmp_path):
    for path in make_plots(results, str(tmp_path / "figures")):
        assert os.path.getsize(path) > 2000
    per_cell, summary, unmatched = compare_frames(results, results)
    assert unmatched.empty and (summary["max_abs_diff"] == 0).all()
    for argv in (["table", results], ["fit-bias", results], ["predict", results], ["route", results],
                 ["site", results]):
        assert main(argv + ["-o", str(tmp_path / ("site" if argv[0] == "site" else "out.md"))]) == 0


def _layout(path):
    """{name: kind} of every root attribute and object; kind = dtype kind/size or 'vlen-utf8'."""
    out = {}
    with h5py.File(path, "r") as f:
        def kind(obj_type, dtype):
            if isinstance(obj_type, h5py.h5t.TypeStringID) and obj_type.is_variable_str():
                return f"vlen-{'utf8' if obj_type.get_cset() == h5py.h5t.CSET_UTF8 else 'ascii'}"
            return f"{dtype.kind}{dtype.itemsize}"
        for name in f.attrs:
            a = f.attrs.get_id(name)
            out["@" + name] = kind(a.get_type(), a.dtype) + f"{a.shape}"
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out[name] = kind(obj.id.get_type(), obj.dtype) + f" {obj.compression} {obj.shuffle}"
                for attr in obj.attrs:
                    out[f"{name}@{attr}"] = kind(obj.attrs.get_id(attr).get_type(), obj.attrs.get_id(attr).dtype)
            else:
                out[name] = "group"
        f.visititems(visit)  # does not follow the index's external links
        if "cells_table" in f:
            for name in f["cells"]:
                link = f["cells"].get(name, getlink=True)
                out["cells/*"] = f"{type(link).__name__} {link.path}"
    return out


def test_synthetic_files_have_the_real_layout(results, tmp_path):
    cell = load_cells(results).iloc[0]
    fake_index = synth.write_sweep(str(tmp_path), [dict(
        model_name="m", data_name="d", flops_per_token=1e9, tokens=True,
        **synth.random_samples(np.random.default_rng(0), 4))])
    fake_cell = os.path.join(str(tmp_path), "cells", "m__d.h5")
    real, fake = _layout(cell["cell_file"]), _layout(fake_cell)
    assert fake == real
    assert _layout(fake_index) == _layout(results)
