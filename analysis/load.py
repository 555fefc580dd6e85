"""Load icsweep results into pandas.

Every function accepts either the index ``results.h5`` of a sweep (all its cells) or a single cell
file (one model x dataset). Files are laid out as in docs/design.md §4:

* cell file: root attributes = the published columns (model_name, model_series, model_size,
  data_name, seq_len, uniform_entropy, constant, conditional_entropy, entropy_gain, BF16_TFLOPs,
  information_capacity, ic), the other cell scalars (constant_unrounded, bias, flops_per_token,
  flops_profile, max_sample_length, total_scored_tokens, total_nll_bits, samples_scored,
  samples_skipped, status, ...) and provenance strings; ``/samples/*`` equal-length columns;
  ``/errors/*`` columns; optional ``/tokens/{nll_bits, offsets}`` (CSR).
* index file: ``/cells_table/{model_name, data_name, file}`` with ``file`` relative to the index's
  directory, ``/cells/<model>__<dataset>`` external links, sweep provenance as root attributes.

Functions:

``load_cells(path)``   one row per cell, one column per root attribute (plus ``partial`` and
                       ``cell_file``): the published columns first, then status, partial, bias, FLOPs
                       profile and the other numbers, provenance last (CELL_COLUMNS_FIRST).
``load_samples(path)`` every cell's ``/samples`` rows with ``model_name``, ``data_name`` and a
                       categorical ``status_name`` column added.
``load_errors(path)``  every cell's ``/errors`` rows with ``model_name`` and ``data_name``.
``load_tokens(path)``  per sample of the cells that stored ``/tokens`` (``per_token: true``): NLL bits of
                       every scored token (float32 array), and token ids and byte offsets where the
                       file stores them (None otherwise; see load_tokens).

Example::

    from analysis.load import load_cells, load_samples
    cells = load_cells("out/results.h5")
    ok = load_samples("out/results.h5").query("status_name == 'ok'")
"""

import os
import sys

import h5py
import numpy as np
import pandas as pd

__all__ = ["ResultsError", "cell_files", "load_cells", "load_errors", "load_samples", "load_tokens",
           "PUBLISHED_COLUMNS"]

# docs/design.md §1.5, in the reference's order.
PUBLISHED_COLUMNS = [
    "model_name", "model_series", "model_size", "data_name", "seq_len", "uniform_entropy", "constant",
    "conditional_entropy", "entropy_gain", "BF16_TFLOPs", "information_capacity", "ic",
]
# load_cells: after the published columns, what a reader needs to interpret them; then the remaining
# attributes by name, and the long provenance texts and the file last.
CELL_COLUMNS_FIRST = PUBLISHED_COLUMNS + [
    "status", "partial", "bias", "flops_profile", "flops_per_token", "max_sample_length", "dtype",
    "samples_scored", "samples_skipped", "total_scored_tokens", "total_nll_bits", "constant_unrounded",
    "ic_unrounded_constant",
]
CELL_COLUMNS_LAST = ["config_text", "cell_file"]


def _text(value):
    """h5py gives str for string attributes, bytes for string dataset elements."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


def _python_value(value):
    value = _text(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


class ResultsError(Exception):
    """A results file that cannot be analysed; the message names it and says what to do."""


def _open(path):
    if not os.path.exists(path):
        raise ResultsError(f"{path}: no such file; give a sweep's results.h5 or a cell .h5 file")
    if not os.path.isfile(path):
        raise ResultsError(f"{path}: not a file; give a sweep's results.h5 or a cell .h5 file")
    try:
        return h5py.File(path, "r")
    except OSError as e:
        raise ResultsError(f"{path}: not a readable HDF5 file ({e}); give a sweep's results.h5 or a cell .h5 "
                           "file") from None


def cell_files(path):
    """Paths of the cell files behind PATH (itself when PATH is a cell file)."""
    with _open(path) as f:
        if "cells_table" not in f:
            return [path]
        files = [_text(x) for x in f["cells_table/file"][()]]
    directory = os.path.dirname(os.path.abspath(path))
    return [x if os.path.isabs(x) else os.path.normpath(os.path.join(directory, x)) for x in files]


def is_partial(attributes):
    """Whether a cell holds only part of its dataset (a trial run with a sample limit): its attribute
    `partial` is true, or `status` is "partial", or a `limit`/`sample_limit` attribute is > 0. A cell
    without those attributes is a full one."""
    def number(key):
        try:
            return float(attributes.get(key) or 0)
        except (TypeError, ValueError):
            return 0.0
    partial = attributes.get("partial")
    if isinstance(partial, str):
        partial = partial.strip().lower() not in ("", "0", "false", "no")
    return bool(partial) or attributes.get("status") == "partial" or number("limit") > 0 \
        or number("sample_limit") > 0


def order_cell_columns(frame):
    """CELL_COLUMNS_FIRST (those present), the other columns by name, then CELL_COLUMNS_LAST."""
    first = [c for c in CELL_COLUMNS_FIRST if c in frame]
    last = [c for c in CELL_COLUMNS_LAST if c in frame]
    rest = sorted(c for c in frame.columns if c not in first and c not in last)
    return frame[first + rest + last]


def load_cells(path):
    """One row per cell with every root attribute of the cell file as a column, plus `partial`
    (is_partial) and `cell_file`; columns ordered by order_cell_columns."""
    rows = []
    for cell_path in cell_files(path):
        with _open(cell_path) as f:
            row = {name: _python_value(value) for name, value in f.attrs.items()}
        row["partial"] = is_partial(row)
        row["cell_file"] = cell_path
        rows.append(row)
    return order_cell_columns(pd.DataFrame(rows)) if rows else pd.DataFrame()


def _group_frame(cell_path, group):
    with _open(cell_path) as f:
        model_name = _text(f.attrs["model_name"])
        data_name = _text(f.attrs["data_name"])
        g = f[group]
        columns = {}
        for name, dataset in g.items():
            values = dataset[()]
            if values.dtype.kind in ("O", "S"):
                values = [_text(x) for x in values]
            columns[name] = values
        status_names = _text(g["status"].attrs["status_names"]).split(",") if "status" in g else None
    frame = pd.DataFrame(columns)
    frame.insert(0, "data_name", data_name)
    frame.insert(0, "model_name", model_name)
    if status_names is not None:
        frame["status_name"] = pd.Categorical.from_codes(frame["status"].astype(int), categories=status_names)
    return frame


def load_samples(path):
    """All cells' /samples rows; columns model_name, data_name, sample_index, ..., status_name."""
    frames = [_group_frame(p, "samples") for p in cell_files(path)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def load_errors(path):
    """All cells' /errors rows (sample_index -1 for cell-level errors); str columns kind, message."""
    frames = [_group_frame(p, "errors") for p in cell_files(path)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


# Optional /tokens columns beside nll_bits and offsets, under the names a file may use for them.
TOKEN_IDS = ("ids", "token_ids")
TOKEN_BYTE_OFFSETS = ("byte_offsets", "text_offsets")


def _csr_rows(group, names, offsets):
    """Per-row slices of the first of NAMES present in GROUP (CSR by OFFSETS), or None per row."""
    for name in names:
        if name in group:
            values = group[name][()]
            return [values[offsets[r]:offsets[r + 1]] for r in range(len(offsets) - 1)]
    return [None] * (len(offsets) - 1)


def _token_frame(cell_path):
    """One row per /samples row of a cell with /tokens; None when the cell stored no tokens."""
    with _open(cell_path) as f:
        if "tokens" not in f:
            return None
        t = f["tokens"]
        offsets = t["offsets"][()]  # (rows + 1,) int64
        nll = t["nll_bits"][()]  # (total scored tokens,) float32
        samples = f["samples"]
        frame = pd.DataFrame({name: samples[name][()] for name in ("sample_index", "status", "n_tokens",
                                                                     "text_bytes", "nll_bits")})
        if len(offsets) != len(frame) + 1:
            raise ResultsError(f"{cell_path}: /tokens/offsets has {len(offsets)} entries for {len(frame)} "
                               "samples (expected samples + 1); the file is damaged: rescore the cell")
        frame["token_nll_bits"] = [nll[offsets[r]:offsets[r + 1]] for r in range(len(frame))]
        frame["token_ids"] = _csr_rows(t, TOKEN_IDS, offsets)
        frame["byte_offsets"] = _csr_rows(t, TOKEN_BYTE_OFFSETS, offsets)
        model_name, data_name = _text(f.attrs["model_name"]), _text(f.attrs["data_name"])
    frame.insert(0, "data_name", data_name)
    frame.insert(0, "model_name", model_name)
    return frame


def load_tokens(path):
    """Per-token numbers, one row per sample of every cell that stored /tokens (sweep setting
    `per_token: true`; docs/design.md §4): model_name, data_name, sample_index, status, n_tokens,
    text_bytes, nll_bits (the sample's sum), token_nll_bits (float32 array of the n_tokens scored
    tokens' NLL in bits, in order; token t predicts id t+1 of the sample), token_ids and byte_offsets
    (arrays where the file stores /tokens/ids and /tokens/byte_offsets in the same CSR layout, else
    None). Cells without /tokens are left out with a note on stderr; none at all is a ResultsError."""
    frames, without = [], []
    for cell_path in cell_files(path):
        frame = _token_frame(cell_path)
        (without if frame is None else frames).append(cell_path if frame is None else frame)
    if not frames:
        raise ResultsError(f"{path}: no cell stored per-token NLL (/tokens); score with 'per_token: true' in "
                           "the sweep's settings (or icsweep score --per-token)")
    for cell_path in without:
        print(f"note: {cell_path} has no /tokens (scored without per_token); left out", file=sys.stderr)
    return pd.concat(frames, ignore_index=True)
