"""Shared pieces of the analysis commands: the published columns, the IC formula, cell selection
and table output (CSV or Markdown, no extra dependencies)."""

import math
import sys

import numpy as np
import pandas as pd

from analysis.load import ResultsError, load_cells

# docs/design.md §1.5, in the reference's order.
PUBLISHED_COLUMNS = [
    "model_name", "model_series", "model_size", "data_name", "seq_len", "uniform_entropy", "constant",
    "conditional_entropy", "entropy_gain", "BF16_TFLOPs", "information_capacity", "ic",
]
NUMERIC_PUBLISHED = PUBLISHED_COLUMNS[4:]
STATUS_OK = 0


def information_capacity(constant, conditional_entropy, bias, flops_per_token):
    """ic = (constant - conditional_entropy + bias) / log2(flops_per_token) (docs/design.md §1.5)."""
    return (np.asarray(constant) - np.asarray(conditional_entropy) + bias) / np.log2(flops_per_token)


def aggregates(text_bits_per_token, nll_bits, n_tokens, bias, flops_per_token):
    """A cell's aggregates recomputed from its ok samples, exactly as icsweep computes them.

    constant = round(mean text bits/token, 2) (Python's round, as the reference);
    conditional_entropy = sum NLL bits / sum scored tokens (token-weighted)."""
    constant_unrounded = float(np.mean(text_bits_per_token))
    constant = round(constant_unrounded, 2)
    ce = float(np.sum(nll_bits) / np.sum(n_tokens))
    log_n = math.log2(flops_per_token)
    return {
        "constant": constant,
        "constant_unrounded": constant_unrounded,
        "conditional_entropy": ce,
        "entropy_gain": constant - ce,
        "information_capacity": (constant - ce) / log_n,
        "ic": (constant - ce + bias) / log_n,
    }


def cells_frame(path, ok_only=False):
    """load_cells(path) with the published columns first; ok_only drops failed cells (with a note)."""
    cells = load_cells(path)
    if cells.empty:
        raise ResultsError(f"{path}: no cells")
    if ok_only and "status" in cells:
        bad = cells[cells["status"] != "ok"]
        for _, row in bad.iterrows():
            print(f"note: skipping {row['model_name']} x {row['data_name']}: cell status {row['status']}",
                  file=sys.stderr)
        cells = cells[cells["status"] == "ok"].reset_index(drop=True)
        if cells.empty:
            raise ResultsError(f"{path}: no cell finished ok ({len(bad)} failed, listed above): nothing to "
                               "analyse; see their errors with 'python3 -m analysis load {path} errors'")
    first = [c for c in PUBLISHED_COLUMNS if c in cells]
    return cells[first + [c for c in cells.columns if c not in first]]


def _format_value(value, float_format):
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return "nan"
        return float_format.format(value) if float_format else repr(float(value))
    return str(value)


# Markdown formats of columns that read badly with the default 5 decimals (as `icsweep report`).
MARKDOWN_FORMATS = {"constant": "{:.2f}", "BF16_TFLOPs": "{:.12g}", "flops_per_token": "{:.6g}"}


def to_markdown(frame, float_format="{:.5f}"):
    """A GitHub Markdown table; floats with float_format or MARKDOWN_FORMATS ('|' escaped in text)."""
    formats = [MARKDOWN_FORMATS.get(str(c), float_format) for c in frame.columns]
    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    lines = [header, rule]
    for row in frame.itertuples(index=False):
        cells = [_format_value(v, f).replace("|", "\\|") for v, f in zip(row, formats)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_table(frame, fmt="csv", out=None, float_format=None):
    """Write FRAME as csv (full precision unless float_format) or markdown to OUT (a path) or stdout."""
    return emit([(None, frame)], fmt, out, float_format)


def add_format_arguments(parser, default="markdown"):
    """--format csv|markdown and --out FILE, the same on every table-printing command."""
    parser.add_argument("--format", choices=["csv", "markdown"], default=default,
                        help=f"output format (default {default}; csv keeps full float precision)")
    parser.add_argument("--out", metavar="FILE", help="write here instead of stdout")


def series_of(cells):
    """Series name per cell: model_series, or the model name when the series is empty."""
    series = cells["model_series"].astype(str)
    return series.where(series != "", cells["model_name"].astype(str))


def emit(sections, fmt, out=None, float_format=None):
    """Write (title, frame) tables one after another to OUT or stdout; title None for no heading."""
    chunks = []
    for title, frame in sections:
        if fmt == "markdown":
            chunks.append((f"### {title}\n\n" if title else "") + to_markdown(frame, float_format or "{:.5f}"))
        else:
            body = frame.to_csv(index=False, float_format=float_format and (lambda v: float_format.format(v)))
            chunks.append((f"# {title}\n" if title else "") + body)
    text = "\n".join(chunks)
    if out is None or out == "-":
        sys.stdout.write(text)
    else:
        with open(out, "w", encoding="utf-8") as f:
            f.write(text)
    return text
