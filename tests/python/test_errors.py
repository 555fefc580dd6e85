"""Results that cannot be analysed end in one clear line on stderr and exit 1, never a traceback:
a missing file, a file that is not HDF5, results whose cells all failed."""

import os

import h5py
import numpy as np
import pytest

import synth
from analysis.__main__ import main


@pytest.fixture(scope="module")
def all_failed(tmp_path_factory):
    rng = np.random.default_rng(3)
    directory = str(tmp_path_factory.mktemp("failed"))
    index = synth.write_sweep(directory, [dict(model_name="m", data_name="d", flops_per_token=1e9,
                                                **synth.random_samples(rng, 4))])
    with h5py.File(os.path.join(directory, "cells", "m__d.h5"), "r+") as f:
        f.attrs["status"] = "failed"
    return index


@pytest.mark.parametrize("command", [["plot", "-o", "OUT"], ["fit-bias"]])
def test_all_cells_failed(all_failed, command, capsys, tmp_path):
    argv = [command[0], all_failed] + [str(tmp_path) if a == "OUT" else a for a in command[1:]]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "no full cell finished ok (1 failed" in err and "Traceback" not in err


def test_missing_file(capsys, tmp_path):
    assert main(["table", str(tmp_path / "nothing.h5")]) == 1
    assert "nothing.h5: no such file" in capsys.readouterr().err


def test_not_hdf5(capsys, tmp_path):
    path = tmp_path / "notes.h5"
    path.write_text("not an HDF5 file")
    assert main(["fit-bias", str(path)]) == 1
    assert "notes.h5: not a readable HDF5 file" in capsys.readouterr().err
