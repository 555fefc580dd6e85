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

``load_cells(path)``   one row per cell, one column per root attribute (plus ``cell_file``).
``load_samples(path)`` every cell's ``/samples`` rows with ``model_name``, ``data_name`` and a
                       categorical ``status_name`` column added.
``load_errors(path)``  every cell's ``/errors`` rows with ``model_name`` and ``data_name``.

Example::

    from analysis.load import load_cells, load_samples
    cells = load_cells("out/results.h5")
    ok = load_samples("out/results.h5").query("status_name == 'ok'")
"""

import os

import h5py
import numpy as np
import pandas as pd

__all__ = ["ResultsError", "cell_files", "load_cells", "load_errors", "load_samples"]


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


def load_cells(path):
    """One row per cell with every root attribute of the cell file as a column."""
    rows = []
    for cell_path in cell_files(path):
        with _open(cell_path) as f:
            row = {name: _python_value(value) for name, value in f.attrs.items()}
        row["cell_file"] = cell_path
        rows.append(row)
    return pd.DataFrame(rows)


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
