"""The leaderboard page's data and HTML (analysis/site.py); tests/site/browser_check.py opens it in a browser.

Hand-checkable cells: every sample of a cell with the same text and NLL bits per token makes every
bootstrap resample equal the cell, so its intervals are the point [value, value]."""

import json
import math
import re

import h5py
import numpy as np
import pandas as pd
import pytest

import synth
from analysis.__main__ import main
from analysis.site import render_page, site_data


def flat_samples(text_bpt, nll_bpt, n=6):
    return {"text_bits_per_token": [text_bpt] * n, "nll_bits_per_token": [nll_bpt] * n, "n_tokens": [64] * n}


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    directory = tmp_path_factory.mktemp("sweep")
    specs = [dict(model_name="m-1", data_name="en", series="m", size="1B", flops_per_token=2.0 ** 20, bias=-27.0,
                  **flat_samples(16.0, 3.0)),
             dict(model_name="m-2", data_name="en", series="m", size="2B", flops_per_token=2.0 ** 24, bias=-27.0,
                  **flat_samples(16.0, 2.5)),
             dict(model_name="m-2", data_name="zh", series="m", size="2B", flops_per_token=2.0 ** 24, bias=-18.7,
                  **flat_samples(24.0, 4.0)),
             dict(model_name="dead", data_name="en", flops_per_token=1e9, failed=True, **flat_samples(16.0, 3.0))]
    index = synth.write_sweep(str(directory), specs)
    with h5py.File(str(directory / "cells" / "m-2__zh.h5"), "r+") as f:
        f.attrs["partial"] = np.int64(1)
    return index


def test_rows_statuses_and_intervals(sweep):
    data = site_data([sweep], resamples=50)
    rows = {(r["model_name"], r["data_name"]): r for r in data["rows"]}
    assert [r["status"] for r in data["rows"]] == ["ok", "ok", "partial", "failed"]
    one = rows[("m-1", "en")]
    # 16 bits/token of text, 3 bits/token NLL, N = 2^20: ic = (16 - 3 - 27) / 20 = -0.7, no bias 13 / 20 = 0.65.
    assert one["ic"] == pytest.approx(-0.7) and one["information_capacity"] == pytest.approx(0.65)
    assert one["intervals"]["conditional_entropy"] == pytest.approx([3.0, 3.0])
    assert one["intervals"]["ic"] == pytest.approx([-0.7, -0.7])
    assert one["intervals"]["information_capacity"] == pytest.approx([0.65, 0.65])
    assert one["bias"] == -27.0 and one["flops_profile"] == "reference" and one["dtype"] == "float32"
    dead = rows[("dead", "en")]
    assert dead["ic"] is None and dead["intervals"] == {} and dead["error_count"] == 1
    assert dead["errors"] == ["model_load: synthetic failure"]
    assert data["sources"][0]["cells"] == 4 and data["sources"][0]["git_commit"] == "abc123"
    assert data["compare"] is None


def test_compare_with_leaderboard(sweep, tmp_path):
    board = pd.DataFrame([
        # the study's spelling: org prefix, upper case, .jsonl; ic 0.01 above ours
        {"model_name": "Org/M-1", "model_series": "m", "model_size": "1B", "data_name": "en.jsonl", "seq_len": 1024,
         "uniform_entropy": math.log2(32000), "constant": 16.0, "conditional_entropy": 3.0, "entropy_gain": 13.0,
         "BF16_TFLOPs": 2.0 ** 20 * 1024 / 1e12, "information_capacity": 0.65, "ic": -0.69},
        {"model_name": "Other-7B", "model_series": "o", "model_size": "7B", "data_name": "en", "seq_len": 1024,
         "uniform_entropy": 15.0, "constant": 16.0, "conditional_entropy": 2.0, "entropy_gain": 14.0,
         "BF16_TFLOPs": 1.0, "information_capacity": 0.5, "ic": 0.1}])
    csv = tmp_path / "board.csv"
    board.to_csv(csv, index=False)
    c = site_data([sweep], compare=str(csv), resamples=0)
    assert (c["compare"]["matched"], c["compare"]["rows"], c["compare"]["board_rows"]) == (1, 4, 2)
    assert c["compare"]["unmatched_board"] == [{"model_name": "Other-7B", "data_name": "en"}]
    assert len(c["compare"]["unmatched_ours"]) == 3
    row = c["rows"][0]
    assert row["board"]["model_name"] == "Org/M-1"
    assert row["board"]["diff"]["ic"] == pytest.approx(-0.01)
    assert row["board"]["diff"]["conditional_entropy"] == pytest.approx(0.0, abs=1e-12)


def test_page_is_self_contained_and_escapes_names(tmp_path):
    name = 'evil</script><script>alert("x")</script><!--'
    path = str(tmp_path / "c.h5")
    synth.write_cell(path, name, "d&<b>", flops_per_token=1e9, **flat_samples(16.0, 3.0))
    page = render_page(site_data([path], resamples=0))
    assert "<script>alert" not in page and "<script src" not in page and "<link" not in page
    assert set(re.findall(r"https?://[^\s\"')]+", page)) == {"http://www.w3.org/2000/svg"}  # the SVG namespace only
    payload = re.search(r'<script type="application/json" id="icsweep-data">(.*?)</script>', page, re.S).group(1)
    data = json.loads(payload)
    assert data["rows"][0]["model_name"] == name and data["rows"][0]["data_name"] == "d&<b>"
    for placeholder in ("/*@CSS@*/", "/*@JS@*/", "/*@DATA@*/", "@TITLE@"):
        assert placeholder not in page


def test_site_command(sweep, tmp_path, capsys):
    assert main(["site", sweep, sweep, "-o", str(tmp_path / "page"), "--bootstrap", "0", "--title", "T & U"]) == 0
    page = (tmp_path / "page" / "index.html").read_text(encoding="utf-8")
    assert "<title>T &amp; U</title>" in page
    assert main(["site", sweep, "--compare", str(tmp_path / "none.csv"), "-o", str(tmp_path / "p2")]) == 1
    assert "none.csv: no such file" in capsys.readouterr().err
