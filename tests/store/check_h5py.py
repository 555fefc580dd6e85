"""Reads a sweep written by unit_python_reader.cpp with h5py/pandas through analysis.load and checks
the stored aggregates against the per-sample columns and against values worked out by hand
(tests/store/cell_fixture.h).

usage: check_h5py.py RESULTS_H5 CELL_H5
"""

import math
import sys

import h5py

from analysis.load import load_cells, load_errors, load_samples

# Hand values from cell_fixture.h.
EXPECTED_CONSTANT = 35.12
EXPECTED_CE = 212 / 57
EXPECTED_IC = 0.2466900584795321
EXPECTED_INFORMATION_CAPACITY = 1.046690058479532


def close(a, b, tol=1e-12):
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


def check(condition, message):
    if not condition:
        print("FAIL:", message)
        sys.exit(1)


def check_cell_aggregates(cell, samples):
    ok = samples[samples["status_name"] == "ok"]
    constant = round(ok["text_bits_per_token"].mean(), 2)
    ce = ok["nll_bits"].sum() / ok["n_tokens"].sum()
    ic = (constant - ce + cell["bias"]) / math.log2(cell["flops_per_token"])
    unbiased = (constant - ce) / math.log2(cell["flops_per_token"])
    name = f"{cell['model_name']} x {cell['data_name']}"
    check(constant == cell["constant"], f"{name}: constant {constant} != stored {cell['constant']}")
    check(close(ce, cell["conditional_entropy"]), f"{name}: conditional_entropy {ce} != {cell['conditional_entropy']}")
    check(close(ic, cell["ic"]), f"{name}: ic {ic} != stored {cell['ic']}")
    check(close(unbiased, cell["information_capacity"]), f"{name}: information_capacity {unbiased}")
    check(constant == EXPECTED_CONSTANT, f"{name}: constant {constant} != hand value {EXPECTED_CONSTANT}")
    check(close(ce, EXPECTED_CE), f"{name}: conditional_entropy {ce} != hand value")
    check(close(ic, EXPECTED_IC), f"{name}: ic {ic} != hand value {EXPECTED_IC}")
    check(close(unbiased, EXPECTED_INFORMATION_CAPACITY), f"{name}: information_capacity != hand value")
    check(cell["total_scored_tokens"] == ok["n_tokens"].sum() == 57, f"{name}: total_scored_tokens")


def main(results_path, cell_path):
    cells = load_cells(results_path)
    check(len(cells) == 2, f"expected 2 cells, got {len(cells)}")
    check(list(cells["model_name"]) == ["org/model-a", "model-b"], f"model names {list(cells['model_name'])}")
    check(list(cells["data_name"]) == ["docs", "données"], f"data names {list(cells['data_name'])}")
    check(cells.loc[0, "hosts"] == "node-α,node-β", f"hosts attribute {cells.loc[0, 'hosts']!r}")
    check(cells.loc[0, "BF16_TFLOPs"] == 1.099511627776, "BF16_TFLOPs")
    check(cells.loc[0, "seq_len"] == 1024, "seq_len")

    samples = load_samples(results_path)
    check(len(samples) == 10, f"expected 10 samples, got {len(samples)}")
    check(list(samples.columns[:2]) == ["model_name", "data_name"], f"columns {list(samples.columns)}")
    for _, cell in cells.iterrows():
        mine = samples[(samples["model_name"] == cell["model_name"]) & (samples["data_name"] == cell["data_name"])]
        check(list(mine["status_name"]) == ["ok", "ok", "too_short", "bad_record", "failed"], "status names")
        check_cell_aggregates(cell, mine)

    errors = load_errors(results_path)
    check(len(errors) == 6, f"expected 6 error rows, got {len(errors)}")
    check(errors.loc[0, "message"] == "expected ',' after «ünïcødé» 日本 at column 17", repr(errors.loc[0, "message"]))

    single = load_cells(cell_path)
    check(len(single) == 1 and single.loc[0, "ic"] == EXPECTED_IC, "single cell file")
    check(len(load_samples(cell_path)) == 5, "single cell samples")

    # The index's external links resolve with plain h5py too.
    with h5py.File(results_path, "r") as f:
        linked = f["cells/org%2Fmodel-a__docs"]
        check(linked.attrs["model_name"] == "org/model-a", "external link attribute")
        tokens = linked["tokens/nll_bits"][()]
        offsets = linked["tokens/offsets"][()]
        check(len(tokens) == 57 and list(offsets) == [0, 25, 57, 57, 57, 57], "tokens CSR")
        check(close(float(tokens[offsets[1]:offsets[2]].sum()), 112.0), "sample 1 token NLL sums to 112 bits")
        check("samples" not in f, "the index holds links, not samples")
    print("ok")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
