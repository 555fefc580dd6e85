#!/usr/bin/env python3
"""Checks sweep results with h5py, independently of icsweep's C++ code.

  check_results.py recompute RESULTS.h5   every cell's aggregates recomputed from its /samples columns
                                          (docs/design.md section 1) equal the stored attributes
  check_results.py same A.h5 B.h5         two sweeps have identical per-sample values (and per-token
                                          values where either has them) and bit-identical aggregates
  check_results.py same-cell A.h5 B.h5 CELL   the same for one cell (MODEL__DATASET) of each
  check_results.py readable OUTPUT_DIR    every results file under OUTPUT_DIR (results.h5, cells/*.h5,
                                          not the *.tmp-PID files of an interrupted write) opens and
                                          every dataset and attribute reads back
"""
import math
import sys

import h5py
import numpy as np

OK = 0
AGGREGATES = ["constant", "conditional_entropy", "entropy_gain", "BF16_TFLOPs", "information_capacity", "ic",
              "constant_unrounded", "total_nll_bits", "total_scored_tokens", "samples_scored"]
COLUMNS = ["sample_index", "text_bytes", "n_tokens", "text_bits", "nll_bits", "text_bits_per_token",
           "nll_bits_per_token", "status"]


def cells(path):
    f = h5py.File(path, "r")
    return f, {name: f["cells"][name] for name in f["cells"]}


def recompute(path):
    f, groups = cells(path)
    assert groups, f"{path}: no cells"
    for name, g in groups.items():
        a = g.attrs
        s = {c: g["samples"][c][()] for c in COLUMNS}
        ok = s["status"] == OK
        assert ok.sum() == a["samples_scored"], name
        # text size rule: 8 * bytes / scored tokens
        np.testing.assert_array_equal(s["text_bits"][ok], 8.0 * s["text_bytes"][ok])
        np.testing.assert_allclose(s["text_bits_per_token"][ok], s["text_bits"][ok] / s["n_tokens"][ok], rtol=1e-15)
        constant_unrounded = float(np.mean(s["text_bits_per_token"][ok]))
        constant = round(constant_unrounded, 2)  # the reference rounds with Python's round()
        ce = float(np.sum(s["nll_bits"][ok]) / np.sum(s["n_tokens"][ok]))
        n = float(a["flops_per_token"])
        bias = float(a["bias"])
        ic = (constant - ce + bias) / math.log2(n)
        unbiased = (constant - ce) / math.log2(n)
        for key, want in [("constant", constant), ("conditional_entropy", ce), ("ic", ic),
                          ("information_capacity", unbiased), ("entropy_gain", constant - ce),
                          ("constant_unrounded", constant_unrounded)]:
            got = float(a[key])
            assert abs(got - want) <= 1e-12 * max(1.0, abs(want)), f"{name}: {key} stored {got!r}, recomputed {want!r}"
        assert abs(float(a["BF16_TFLOPs"]) - n * int(a["seq_len"]) / 1e12) <= 1e-9 * float(a["BF16_TFLOPs"])
        if "tokens" in g:
            offsets = g["tokens"]["offsets"][()]
            bits = g["tokens"]["nll_bits"][()]
            sums = np.add.reduceat(bits.astype(np.float64), offsets[:-1][ok]) if ok.any() else []
            np.testing.assert_allclose(sums, s["nll_bits"][ok], rtol=1e-5)
        print(f"{name}: recomputed constant {constant} NLL {ce:.6f} ic {ic:.6f} ok")


def same(path_a, path_b, only=None):
    fa, a = cells(path_a)
    fb, b = cells(path_b)
    if only is None:
        assert sorted(a) == sorted(b), f"different cells: {sorted(a)} vs {sorted(b)}"
    else:
        assert only in a and only in b, f"cell {only} missing: {sorted(a)} vs {sorted(b)}"
    for name in [only] if only else a:
        for c in COLUMNS:
            x, y = a[name]["samples"][c][()], b[name]["samples"][c][()]
            assert x.dtype == y.dtype and np.array_equal(x, y), f"{name}: column {c} differs"
        for key in AGGREGATES:
            x, y = a[name].attrs[key], b[name].attrs[key]
            assert x == y, f"{name}: {key} differs bitwise: {x!r} vs {y!r}"
        if "tokens" in a[name] or "tokens" in b[name]:
            assert "tokens" in a[name] and "tokens" in b[name], f"{name}: /tokens in only one of them"
            for c in ["offsets", "nll_bits"]:
                x, y = a[name]["tokens"][c][()], b[name]["tokens"][c][()]
                assert np.array_equal(x, y), f"{name}: /tokens/{c} differs"
        print(f"{name}: identical")


def readable(out_dir):
    import pathlib
    root = pathlib.Path(out_dir)
    files = sorted(root.glob("cells/*.h5")) + ([root / "results.h5"] if (root / "results.h5").exists() else [])
    def visit(name, obj):
        dict(obj.attrs)
        if isinstance(obj, h5py.Dataset):
            obj[()]
    for path in files:
        with h5py.File(path, "r") as f:
            dict(f.attrs)
            f.visititems(visit)
            if "cells" in f:  # the index: its external links resolve
                for name in f["cells"]:
                    dict(f["cells"][name].attrs)
    print(f"{out_dir}: {len(files)} HDF5 files readable")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "recompute":
        recompute(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "readable":
        readable(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "same":
        same(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 5 and sys.argv[1] == "same-cell":
        same(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)
