"""One spelling per option (-o/--output, -f/--format table|csv|json|markdown, --version), the loader's
column order, the per-token loader, partial cells, and comparing with a leaderboard CSV."""

import json

import h5py
import numpy as np
import pandas as pd
import pytest

import synth
from analysis.__main__ import COMMANDS, build_parser, main
from analysis.common import PUBLISHED_COLUMNS
from analysis.compare import compare_frames
from analysis.load import load_cells, load_tokens

TABLE_COMMANDS = ["load", "table", "fit-bias", "predict", "route", "compare"]


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    return synth.tiny_series_sweep(str(tmp_path_factory.mktemp("sweep")), seed=21, samples=8, tokens=True)


def options_of(name):
    sub = next(a for a in build_parser()._actions if a.dest == "command").choices[name]
    return {o for a in sub._actions for o in a.option_strings if a.help != "==SUPPRESS=="}


@pytest.mark.parametrize("name", TABLE_COMMANDS)
def test_every_table_command_spells_format_and_output_alike(name):
    options = options_of(name)
    assert {"-f", "--format", "-o", "--output"} <= options, options
    sub = next(a for a in build_parser()._actions if a.dest == "command").choices[name]
    fmt = next(a for a in sub._actions if a.dest == "format")
    assert fmt.choices == ["table", "csv", "json", "markdown"]


def test_figure_and_page_commands_write_with_output():
    for name in ("plot", "site"):
        assert {"-o", "--output"} <= options_of(name)


def test_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.split()[-1] == __import__("analysis").__version__
    assert "--version" in build_parser().format_help()
    assert len(COMMANDS) == 8


@pytest.mark.parametrize("fmt", ["table", "csv", "json", "markdown"])
def test_formats(sweep, tmp_path, fmt):
    out = tmp_path / f"t.{fmt}"
    assert main(["table", sweep, "--bootstrap", "0", "--format", fmt, "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    if fmt == "json":
        rows = json.loads(text)
        assert len(rows) == 6 and list(rows[0])[:12] == PUBLISHED_COLUMNS
        assert rows[0]["model_name"] == "tiny-0" and isinstance(rows[0]["ic"], float)
    elif fmt == "table":
        lines = text.splitlines()
        assert lines[0].split()[:4] == ["model_name", "model_series", "model_size", "data_name"]
        assert len(lines) == 7 and "|" not in text
    else:
        assert len(text.splitlines()) == (7 if fmt == "csv" else 8)


def test_json_of_several_tables_is_an_object(sweep, tmp_path):
    out = tmp_path / "fit.json"
    assert main(["fit-bias", sweep, "--format", "json", "--output", str(out)]) == 0
    payload = json.loads(out.read_text())
    assert list(payload) == ["fitted bias per dataset", "ic per series, before and after"]
    assert payload["fitted bias per dataset"][0]["bias_fit"] == pytest.approx(-25.0, abs=1e-8)


def test_old_out_spelling_still_works(sweep, tmp_path, capsys):
    out = tmp_path / "old.csv"
    assert main(["table", sweep, "--bootstrap", "0", "-f", "csv", "--out", str(out)]) == 0
    assert out.read_text().startswith("model_name,")
    assert capsys.readouterr().err.splitlines() == ["python3 -m analysis table: --out is deprecated; use --output"]


def test_cell_columns_in_order(sweep):
    cells = load_cells(sweep)
    columns = list(cells.columns)
    assert columns[:12] == PUBLISHED_COLUMNS
    assert columns[12:16] == ["status", "partial", "bias", "flops_profile"]
    assert columns[-2:] == ["config_text", "cell_file"]
    assert not cells["partial"].any()


def test_tokens_per_sample(sweep):
    tokens = load_tokens(sweep)
    assert len(tokens) == 6 * 8
    for row in tokens.itertuples():
        assert len(row.token_nll_bits) == row.n_tokens
        assert row.token_nll_bits.dtype == np.float32
        assert float(row.token_nll_bits.astype(np.float64).sum()) == pytest.approx(row.nll_bits, rel=1e-5)
        assert row.token_ids is None and row.byte_offsets is None  # not stored by this schema


def test_tokens_with_ids_and_byte_offsets(tmp_path):
    path = str(tmp_path / "c.h5")
    synth.write_cell(path, "m", "d", flops_per_token=1e9, tokens=True, text_bits_per_token=[16.0, 16.0],
                     nll_bits_per_token=[2.0, 3.0], n_tokens=[2, 3])
    with h5py.File(path, "r+") as f:
        f["tokens/ids"] = np.array([5, 6, 7, 8, 9], np.int64)
        f["tokens/byte_offsets"] = np.array([0, 2, 0, 1, 3], np.int64)
    rows = load_tokens(path)
    assert [list(x) for x in rows["token_ids"]] == [[5, 6], [7, 8, 9]]
    assert [list(x) for x in rows["byte_offsets"]] == [[0, 2], [0, 1, 3]]


def test_no_tokens_is_a_message(tmp_path, capsys):
    path = str(tmp_path / "c.h5")
    synth.write_cell(path, "m", "d", flops_per_token=1e9, **synth.random_samples(np.random.default_rng(0), 3))
    with pytest.raises(Exception, match="per_token: true"):
        load_tokens(path)


@pytest.mark.parametrize("attributes", [{"partial": np.int64(1)}, {"limit": np.int64(5)}, {"status": "partial"}])
def test_partial_cells(tmp_path, attributes, capsys):
    rng = np.random.default_rng(2)
    specs = [dict(model_name=m, data_name="d", flops_per_token=n, **synth.random_samples(rng, 4))
             for m, n in [("a", 1e8), ("b", 1e9)]]
    index = synth.write_sweep(str(tmp_path), specs)
    with h5py.File(str(tmp_path / "cells" / "b__d.h5"), "r+") as f:
        for key, value in attributes.items():
            f.attrs[key] = value
    assert list(load_cells(index)["partial"]) == [False, True]
    out = tmp_path / "t.csv"
    assert main(["table", index, "--bootstrap", "0", "-f", "csv", "-o", str(out)]) == 0
    assert list(pd.read_csv(out)["status"]) == ["ok", "partial"]
    assert main(["plot", index, "-o", str(tmp_path / "fig"), "--formats", "png", "--figures", "ic_heatmap"]) == 0
    assert "skipping b x d: partial" in capsys.readouterr().err


def leaderboard_csv(sweep, path, rename=None, shift=0.0):
    """A leaderboard CSV made from the sweep's own published columns (names as the study spells them)."""
    rows = load_cells(sweep)[PUBLISHED_COLUMNS].copy()
    rows["model_name"] = "Org/" + rows["model_name"].str.upper()
    rows["data_name"] = rows["data_name"] + ".jsonl"
    rows["ic"] = rows["ic"] + shift
    if rename:
        rows = rows.replace(rename)
    rows.to_csv(path, index=False)
    return str(path)


def test_compare_with_a_leaderboard_csv(sweep, tmp_path):
    csv = leaderboard_csv(sweep, tmp_path / "board.csv", shift=0.01)
    per_cell, summary, unmatched = compare_frames(sweep, csv)
    assert len(per_cell) == 6 and unmatched.empty
    assert list(per_cell["model_name"][:3]) == ["tiny-0", "tiny-1", "tiny-2"]  # A's spelling
    s = summary.set_index("column")
    assert s.loc["ic", "max_abs_diff"] == pytest.approx(0.01, abs=1e-12)
    assert s.loc["conditional_entropy", "max_abs_diff"] == 0
    assert "sample nll_bits_per_token" not in s.index
    assert main(["compare", sweep, csv, "--tolerance", "0.02", "-o", str(tmp_path / "c.txt")]) == 0
    assert main(["compare", sweep, csv, "--tolerance", "0.001", "-o", str(tmp_path / "c.txt")]) == 1


def test_compare_without_common_cells_says_so(sweep, tmp_path, capsys):
    rename = {"model_name": {f"Org/TINY-{i}": f"Other-{i}" for i in range(3)}}
    csv = leaderboard_csv(sweep, tmp_path / "other.csv", rename=rename)
    assert main(["compare", sweep, csv]) == 1
    err = capsys.readouterr().err
    assert "no cells in common" in err and "Other-0" in err and "tiny-0" in err and "Traceback" not in err


def test_leaderboard_csv_lacking_columns(sweep, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("model_name,data_name,ic\nx,y,0.3\n")
    assert main(["compare", sweep, str(bad)]) == 1
    assert "lacks the published column(s) model_series" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["load", "{r}", "--columns", "ic,nope"], "--columns: no column nope"),
    (["table", "{r}", "-o", "/nonexistent/dir/t.txt"], "cannot write the output"),
    (["plot", "{r}", "-o", "/proc/forbidden"], "error"),
    (["compare", "{r}", "/nonexistent.csv"], "no such file"),
    (["load", "/nonexistent/results.h5"], "no such file"),
])
def test_bad_input_is_a_message(sweep, capsys, argv, message):
    assert main([a.format(r=sweep) for a in argv]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
