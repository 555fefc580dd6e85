"""`site`: one self-contained static HTML page from results files, like the study's leaderboard.

The page (analysis/site_assets/: page.html, site.css, site.js, inlined; no network at view time)
holds a table of the published columns per (model, dataset), sortable and filterable, with details
on demand (bias, FLOPs profile, sequence length, dtype, 95% bootstrap intervals of NLL, ic and
information_capacity over samples, errors); failed and partial cells are marked and never drawn with
the finished ones; IC against FLOPs per token per dataset (inline SVG); with --compare, the rows of a
leaderboard CSV matched by model and data name (analysis/leaderboard.py) with the difference per
column. site_data() gives the page's data as a dict (what the tests check)."""

import datetime
import html
import json
import math
import os
import subprocess

import h5py
import numpy as np
import pandas as pd

from analysis import __version__
from analysis.common import STATUS_OK, add_bootstrap_arguments, add_output_argument, check_confidence, series_of
from analysis.leaderboard import MATCH_KEY, NUMERIC, read_leaderboard, with_match_key
from analysis.load import PUBLISHED_COLUMNS, ResultsError, load_cells, load_errors, load_samples
from analysis.table import bootstrap_draws, percentile_interval

ASSETS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "site_assets")
DETAILS = ["bias", "flops_profile", "max_sample_length", "dtype", "flops_per_token", "samples_scored",
           "samples_skipped", "total_scored_tokens", "icsweep_version", "git_commit", "finished_at"]
MAX_ERRORS = 5  # error messages shown per cell


def _json_number(value):
    """A float for JSON, None for NaN/inf (JSON has no NaN)."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _plain(value):
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return _json_number(value)
    return value


def cell_intervals(samples, cell, resamples, confidence, rng):
    """95% (CONFIDENCE) bootstrap intervals of NLL, ic and information_capacity over a cell's ok
    samples, from the same resamples: {name: [low, high]}; {} without samples."""
    draws = bootstrap_draws(samples["text_bits_per_token"], samples["nll_bits"], samples["n_tokens"], resamples, rng)
    if draws is None or not cell["flops_per_token"] > 1:
        return {}
    constant, ce = draws
    log_n = math.log2(float(cell["flops_per_token"]))
    gain = constant - ce
    values = {"conditional_entropy": ce, "ic": (gain + float(cell["bias"])) / log_n, "information_capacity": gain / log_n}
    return {name: list(percentile_interval(v, confidence)) for name, v in values.items()}


def _status(cell):
    if cell["status"] != "ok":
        return str(cell["status"])
    return "partial" if cell["partial"] else "ok"


def _rows_of(path, source, resamples, confidence, rng):
    """The page's rows for the cells of one results file."""
    cells = load_cells(path)
    if cells.empty:
        raise ResultsError(f"{path}: no cells")
    cells = cells.assign(series=series_of(cells))
    samples = load_samples(path)
    groups = dict(tuple(samples[samples["status"] == STATUS_OK].groupby(["model_name", "data_name"], sort=False)))
    errors = load_errors(path)
    rows = []
    for _, cell in cells.iterrows():
        key = (cell["model_name"], cell["data_name"])
        row = {c: _plain(cell[c]) for c in PUBLISHED_COLUMNS}
        row.update({c: _plain(cell[c]) for c in DETAILS if c in cell})
        row.update(series=str(cell["series"]), status=_status(cell), source=source)
        mine = groups.get(key)
        row["intervals"] = {} if mine is None or cell["status"] != "ok" else \
            cell_intervals(mine, cell, resamples, confidence, rng)
        mine_errors = errors[(errors["model_name"] == key[0]) & (errors["data_name"] == key[1])] if len(errors) else errors
        row["errors"] = [f"{e.kind}: {e.message}" for e in mine_errors.head(MAX_ERRORS).itertuples()]
        row["error_count"] = int(len(mine_errors))
        rows.append(row)
    return rows


def _source_of(path, cells):
    with h5py.File(path, "r") as f:
        attrs = {k: f.attrs[k] for k in ("icsweep_version", "git_commit") if k in f.attrs}
    text = {k: v.decode() if isinstance(v, bytes) else str(v) for k, v in attrs.items()}
    return {"path": os.path.abspath(path), "name": os.path.basename(os.path.dirname(os.path.abspath(path))) + "/" +
            os.path.basename(path), "cells": cells, **text}


def compare_rows(rows, board_path):
    """Match ROWS to the leaderboard CSV by normalised (model, data) name: per matched row the board's
    value and ours - board for every numeric published column; counts and the unmatched on each side."""
    board = with_match_key(read_leaderboard(board_path))
    index = {(m, d): r for m, d, r in zip(board["match_model"], board["match_data"], board.to_dict("records"))}
    ours = with_match_key(pd.DataFrame([{"model_name": r["model_name"], "data_name": r["data_name"]} for r in rows]))
    matched, used = 0, set()
    for row, key in zip(rows, zip(ours[MATCH_KEY[0]], ours[MATCH_KEY[1]])):
        theirs = index.get(key)
        if theirs is None:
            continue
        matched += 1
        used.add(key)
        row["board"] = {"model_name": theirs["model_name"], "data_name": theirs["data_name"],
                        "values": {c: _json_number(theirs[c]) for c in NUMERIC},
                        "diff": {c: None if _json_number(row.get(c)) is None or _json_number(theirs[c]) is None
                                 else row[c] - float(theirs[c]) for c in NUMERIC}}
    unmatched_board = [{"model_name": r["model_name"], "data_name": r["data_name"]}
                       for k, r in index.items() if k not in used]
    return {"file": os.path.abspath(board_path), "name": os.path.basename(board_path), "matched": matched,
            "rows": len(rows), "board_rows": len(index),
            "unmatched_ours": [{"model_name": r["model_name"], "data_name": r["data_name"]} for r in rows
                               if "board" not in r],
            "unmatched_board": unmatched_board}


def _git_commit():
    """The commit of the checkout this package runs from, if it is one (else "")."""
    try:
        done = subprocess.run(["git", "-C", os.path.dirname(ASSETS), "rev-parse", "--short=12", "HEAD"],
                              capture_output=True, text=True, timeout=10)
        return done.stdout.strip() if done.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError):
        return ""


def site_data(paths, compare=None, resamples=1000, confidence=0.95, seed=0, title=None):
    """Everything the page shows, as JSON-ready data."""
    rng = np.random.default_rng(seed)
    rows, sources = [], []
    for i, path in enumerate(paths):
        mine = _rows_of(path, i, resamples, confidence, rng)
        rows += mine
        sources.append(_source_of(path, len(mine)))
    for i, row in enumerate(rows):
        row["id"] = i
    data = {"title": title or "Information capacity: " + ", ".join(s["name"] for s in sources),
            "columns": PUBLISHED_COLUMNS, "rows": rows, "sources": sources,
            "confidence": confidence, "resamples": resamples,
            "generator": {"name": "icsweep analysis site", "version": __version__, "git_commit": _git_commit(),
                          "built_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")},
            "compare": compare_rows(rows, compare) if compare else None}
    return data


def _asset(name):
    try:
        with open(os.path.join(ASSETS, name), encoding="utf-8") as f:
            return f.read()
    except OSError as e:
        raise ResultsError(f"{ASSETS}/{name}: cannot read the page template ({e.strerror}); reinstall the "
                           "analysis package (its site_assets/ folder is part of it)") from None


def render_page(data):
    """The HTML page: template with the CSS, the JavaScript and the data inlined."""
    payload = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    payload = payload.replace("<", "\\u003c")  # no "</script>" or "<!--" can end or bend the <script> element
    page = _asset("page.html")
    for placeholder, text in (("/*@CSS@*/", _asset("site.css")), ("/*@JS@*/", _asset("site.js")),
                              ("@TITLE@", html.escape(data["title"])), ("/*@DATA@*/", payload)):
        page = page.replace(placeholder, text)
    return page


def write_site(paths, out_dir, compare=None, resamples=1000, confidence=0.95, seed=0, title=None):
    """Write OUT_DIR/index.html; returns its path."""
    page = render_page(site_data(paths, compare, resamples, confidence, seed, title))
    os.makedirs(out_dir, exist_ok=True)
    target = os.path.join(out_dir, "index.html")
    with open(target, "w", encoding="utf-8") as f:
        f.write(page)
    return target


def add_parser(commands):
    p = commands.add_parser(
        "site", help="a self-contained static leaderboard page (HTML) from results files",
        description="Write DIR/index.html: one page with its CSS, JavaScript and data inline (opens from file://, "
                    "no network): the published columns per (model, dataset), sortable and filterable, details "
                    "with bootstrap intervals, failed and partial cells marked, IC against FLOPs per token per "
                    "dataset, and with --compare the differences to a leaderboard CSV.")
    p.add_argument("results", nargs="+", metavar="RESULTS.h5", help="results.h5 indexes or cell files")
    add_output_argument(p, "DIR", "output directory (default ./site); the page is DIR/index.html", default="site")
    p.add_argument("--compare", metavar="LEADERBOARD.csv",
                   help="a leaderboard CSV with the 12 published columns: match rows by model and data name")
    p.add_argument("--title", help="page title (default: the results files' names)")
    add_bootstrap_arguments(p, "the intervals of NLL, ic and information_capacity")
    p.set_defaults(run=run)


def run(args):
    check_confidence(args.confidence)
    print(write_site(args.results, args.output, args.compare, args.bootstrap, args.confidence, args.seed, args.title))
