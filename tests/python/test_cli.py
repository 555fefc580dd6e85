"""The command line: real --help for every command, and every command runs on a sweep file."""

import io
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import synth
from analysis.__main__ import COMMANDS, build_parser, main

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NAMES = ["load", "table", "plot", "fit-bias", "predict", "route", "compare", "site"]


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    return synth.tiny_series_sweep(str(tmp_path_factory.mktemp("sweep")), seed=9)


@pytest.mark.parametrize("name", NAMES)
def test_help(name, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([name, "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith("usage: python3 -m analysis " + name) and "--" in text


def test_top_level_help_lists_every_command(capsys):
    assert len(COMMANDS) == len(NAMES)
    help_text = build_parser().format_help()
    for name in NAMES:
        assert name in help_text


@pytest.mark.parametrize("argv", [
    ["load", "{r}", "samples", "--format", "csv"],
    ["table", "{r}", "--bootstrap", "50", "--format", "csv"],
    ["table", "{r}", "--bootstrap", "0"],
    ["fit-bias", "{r}", "--cells"],
    ["predict", "{r}", "--fit-bias", "--format", "csv"],
    ["predict", "{r}", "--reference", "tiny-1", "--bias", "-20"],
    ["route", "{r}", "--tolerances", "0,0.5", "--thresholds", "3,4"],
    ["compare", "{r}", "{r}"],
])
def test_command_writes_a_table(sweep, tmp_path, argv):
    out = tmp_path / "out.txt"
    assert main([a.format(r=sweep) for a in argv] + ["-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "tiny-" in text and len(text.splitlines()) >= 3


def test_fit_bias_cli_reports_the_planted_bias(sweep, tmp_path):
    out = tmp_path / "fit.csv"
    main(["fit-bias", sweep, "--format", "csv", "-o", str(out)])
    first = out.read_text().split("\n\n")[0].splitlines()  # "# fitted bias per dataset", header, rows
    fits = pd.read_csv(io.StringIO("\n".join(first[1:])))
    assert list(fits["data_name"]) == ["en", "code"]
    assert np.allclose(fits["bias_fit"], -25.0, atol=1e-8)


def test_bad_reference_is_an_error(sweep):
    with pytest.raises(SystemExit, match="no such model"):
        main(["predict", sweep, "--reference", "nope"])


def test_python_dash_m(sweep, tmp_path):
    done = subprocess.run([sys.executable, "-m", "analysis", "plot", sweep, "-o", str(tmp_path / "f"),
                           "--formats", "png"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert len(done.stdout.split()) == 3
