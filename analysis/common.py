"""Shared pieces of the analysis commands: the published columns, the IC formula, cell selection
and table output (CSV or Markdown, no extra dependencies)."""

import argparse
import json
import math
import sys

import numpy as np
import pandas as pd

from analysis.load import PUBLISHED_COLUMNS, ResultsError, load_cells

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
    """load_cells(path) (published columns first); ok_only drops failed and partial cells, with a note
    each on stderr: figures and fits use finished, full cells only."""
    cells = load_cells(path)
    if cells.empty:
        raise ResultsError(f"{path}: no cells")
    if ok_only:
        keep = (cells["status"] == "ok") & ~cells["partial"]
        for _, row in cells[~keep].iterrows():
            why = "partial (a sample-limited trial run)" if row["partial"] else f"cell status {row['status']}"
            print(f"note: skipping {row['model_name']} x {row['data_name']}: {why}", file=sys.stderr)
        dropped = int((~keep).sum())
        cells = cells[keep].reset_index(drop=True)
        if cells.empty:
            raise ResultsError(f"{path}: no full cell finished ok ({dropped} failed or partial, listed above): "
                               f"nothing to analyse; see the errors with 'python3 -m analysis load {path} errors'")
    return cells


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


def write_table(frame, fmt="table", out=None, float_format=None):
    """Write FRAME in FMT (see FORMATS) to OUT (a path) or stdout."""
    return emit([(None, frame)], fmt, out, float_format)


FORMATS = ["table", "csv", "json", "markdown"]


def add_format_arguments(parser, default="table"):
    """--format table|csv|json|markdown and -o/--output FILE, the same on every table-printing command
    (and as `icsweep report`)."""
    parser.add_argument("-f", "--format", choices=FORMATS, default=default,
                        help=f"output format (default {default}; csv and json keep full float precision)")
    add_output_argument(parser, "FILE", "write here instead of stdout")


def add_bootstrap_arguments(parser, what="the interval"):
    """--bootstrap N, --confidence C and --seed S of the per-sample bootstrap (table, plot, site)."""
    parser.add_argument("--bootstrap", type=int, default=1000, metavar="N",
                        help=f"bootstrap resamples per cell for {what} (default 1000; 0 = none)")
    parser.add_argument("--confidence", type=float, default=0.95, help="interval coverage (default 0.95)")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the bootstrap (default 0)")


def check_confidence(confidence):
    if not 0.0 < confidence < 1.0:
        raise ResultsError(f"--confidence {confidence}: must lie in (0, 1), e.g. 0.95")


class _Deprecated(argparse.Action):
    """An old spelling, hidden from --help: stores into the new option's dest and says so on stderr."""

    def __init__(self, option_strings, dest, new_spelling, **kwargs):
        self.new_spelling = new_spelling
        super().__init__(option_strings, dest, help=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"{parser.prog}: {option_string} is deprecated; use {self.new_spelling}", file=sys.stderr)
        setattr(namespace, self.dest, values)


def add_output_argument(parser, metavar, help_text, default=None):
    """-o/--output, the one spelling of "where to write" (--out still works, with a deprecation note)."""
    parser.add_argument("-o", "--output", metavar=metavar, default=default, help=help_text)
    parser.add_argument("--out", dest="output", default=default, action=_Deprecated, new_spelling="--output")


def series_of(cells):
    """Series name per cell: model_series, or the model name when the series is empty."""
    series = cells["model_series"].astype(str)
    return series.where(series != "", cells["model_name"].astype(str))


def _json_value(value):
    """A cell of a frame as JSON: NaN/None -> null, numpy scalars -> Python numbers."""
    if value is None or (isinstance(value, (float, np.floating)) and math.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value if isinstance(value, (int, float, str, bool)) else str(value)


def to_records(frame):
    """FRAME as a list of {column: value} with JSON-ready values (full float precision)."""
    columns = [str(c) for c in frame.columns]
    return [dict(zip(columns, map(_json_value, row))) for row in frame.itertuples(index=False)]


def to_text_table(frame, float_format="{:.5f}"):
    """A fixed-column plain-text table (right-aligned numbers), as `icsweep report --format table`."""
    formats = [MARKDOWN_FORMATS.get(str(c), float_format) for c in frame.columns]
    rows = [[_format_value(v, f) for v, f in zip(row, formats)] for row in frame.itertuples(index=False)]
    header = [str(c) for c in frame.columns]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]

    def line(cells):
        return "  ".join(c.rjust(w) if n else c.ljust(w) for c, w, n in zip(cells, widths, numeric)).rstrip()
    return "\n".join([line(header)] + [line(r) for r in rows]) + "\n"


def emit(sections, fmt, out=None, float_format=None):
    """Write (title, frame) tables one after another to OUT or stdout; title None for no heading.
    json: one table is a list of records, several an object {title: records}."""
    if fmt == "json":
        if len(sections) == 1:
            payload = to_records(sections[0][1])
        else:
            payload = {title or f"table {i + 1}": to_records(frame) for i, (title, frame) in enumerate(sections)}
        text = json.dumps(payload, ensure_ascii=False, indent=1) + "\n"
    else:
        chunks = []
        for title, frame in sections:
            if fmt == "markdown":
                chunks.append((f"### {title}\n\n" if title else "") + to_markdown(frame, float_format or "{:.5f}"))
            elif fmt == "table":
                chunks.append((f"{title}\n" if title else "") + to_text_table(frame, float_format or "{:.5f}"))
            else:
                body = frame.to_csv(index=False, float_format=float_format and (lambda v: float_format.format(v)))
                chunks.append((f"# {title}\n" if title else "") + body)
        text = "\n".join(chunks)
    if out is None or out == "-":
        sys.stdout.write(text)
    else:
        try:
            with open(out, "w", encoding="utf-8") as f:
                f.write(text)
        except OSError as e:
            raise ResultsError(f"{out}: cannot write the output ({e.strerror}); give a writable -o/--output path") from None
    return text
