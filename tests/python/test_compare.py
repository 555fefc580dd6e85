"""compare: a file against itself has no differences; changed and missing cells are reported."""

import numpy as np
import pytest

import synth
from analysis.__main__ import main
from analysis.compare import compare_frames


def specs(shift=0.0, drop_last=False):
    rng = np.random.default_rng(11)
    out = []
    for model, flops in [("x", 1e9), ("y", 5e9)]:
        for data in ["d1", "d2"]:
            s = synth.random_samples(rng, 15)
            if model == "y" and data == "d2":
                s["nll_bits_per_token"] = s["nll_bits_per_token"] + shift
            out.append(dict(model_name=model, data_name=data, flops_per_token=flops, tokens=True, **s))
    return out[:-1] + ([] if drop_last else out[-1:])


def test_file_against_itself_has_zero_differences(tmp_path, capsys):
    path = synth.write_sweep(str(tmp_path), specs())
    per_cell, summary, unmatched = compare_frames(path, path)
    assert len(per_cell) == 4 and unmatched.empty
    assert (summary["max_abs_diff"] == 0).all() and (summary["cells_nan"] == 0).all()
    assert main(["compare", path, path, "--tolerance", "0", "--format", "csv"]) == 0


def test_differences_and_unmatched_cells(tmp_path):
    a = synth.write_sweep(str(tmp_path / "a"), specs())
    b = synth.write_sweep(str(tmp_path / "b"), specs(shift=0.5))
    per_cell, summary, _ = compare_frames(a, b)
    s = summary.set_index("column")
    assert s.loc["conditional_entropy", "max_abs_diff"] == pytest.approx(0.5, rel=1e-9)
    assert s.loc["conditional_entropy", "cells_different"] == 1
    assert s.loc["sample nll_bits_per_token", "max_abs_diff"] == pytest.approx(0.5, rel=1e-9)
    assert s.loc["constant", "max_abs_diff"] == 0
    assert main(["compare", a, b, "--tolerance", "0.1", "-o", str(tmp_path / "c.md")]) == 1
    assert main(["compare", a, b, "--tolerance", "0.6", "-o", str(tmp_path / "c.md")]) == 0
    c = synth.write_sweep(str(tmp_path / "c"), specs(drop_last=True))
    _, _, unmatched = compare_frames(a, c)
    assert list(unmatched["only_in"]) == ["A"] and unmatched.iloc[0]["model_name"] == "y"
    assert main(["compare", a, c, "--tolerance", "1", "-o", str(tmp_path / "c.md")]) == 1
