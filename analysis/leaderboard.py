"""A published leaderboard as a table of cells: the CSV of the study's leaderboard (its 12 published
columns, docs/design.md §1.5) read like a results file, and the rule that matches its rows to cells.

Rows are matched by model and data name after normalising both: case is ignored, a leading
"org/" of a Hugging Face repo id is dropped (`Qwen/Qwen2.5-7B` matches `Qwen2.5-7B`) and so is a
".jsonl" suffix (`mixed_text.jsonl` matches `mixed_text`)."""

import os

import numpy as np
import pandas as pd

from analysis.load import PUBLISHED_COLUMNS, ResultsError, order_cell_columns

NUMERIC = PUBLISHED_COLUMNS[4:]
MATCH_KEY = ["match_model", "match_data"]


def is_csv(path):
    return str(path).lower().endswith(".csv")


def normalise_model(name):
    name = str(name).strip()
    return name.rsplit("/", 1)[-1].lower()


def normalise_data(name):
    name = os.path.basename(str(name).strip())
    return (name[:-len(".jsonl")] if name.lower().endswith(".jsonl") else name).lower()


def with_match_key(cells):
    """CELLS with the normalised (match_model, match_data) columns added."""
    return cells.assign(match_model=cells["model_name"].map(normalise_model),
                        match_data=cells["data_name"].map(normalise_data))


def read_leaderboard(path):
    """The leaderboard CSV as load_cells would give it: the published columns, status ok, partial False,
    flops_per_token = BF16_TFLOPs * 1e12 / seq_len (as the reference computes N). Extra CSV columns are
    kept; a missing published column or a duplicated (model, data) is an error."""
    if not os.path.isfile(path):
        raise ResultsError(f"{path}: no such file; give the leaderboard's CSV (its columns: "
                           + ", ".join(PUBLISHED_COLUMNS) + ")")
    try:
        frame = pd.read_csv(path, dtype={"model_name": str, "model_series": str, "model_size": str,
                                         "data_name": str}, keep_default_na=False, na_values=["", "nan", "NaN"],
                            float_precision="round_trip")
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as e:
        raise ResultsError(f"{path}: not a readable CSV ({e})") from None
    missing = [c for c in PUBLISHED_COLUMNS if c not in frame]
    if missing:
        raise ResultsError(f"{path}: lacks the published column(s) {', '.join(missing)}; a leaderboard CSV has "
                           + ", ".join(PUBLISHED_COLUMNS))
    for c in NUMERIC:
        frame[c] = pd.to_numeric(frame[c], errors="coerce")
    frame["status"] = "ok"
    frame["partial"] = False
    frame["flops_per_token"] = frame["BF16_TFLOPs"] * 1e12 / frame["seq_len"].replace(0, np.nan)
    frame["cell_file"] = path
    duplicated = with_match_key(frame).duplicated(MATCH_KEY, keep=False)
    if duplicated.any():
        rows = frame[duplicated][["model_name", "data_name"]].drop_duplicates()
        raise ResultsError(f"{path}: several rows for " + "; ".join(f"{m} x {d}" for m, d in rows.itertuples(index=False))
                           + " (rows are matched by model and data name, so each pair must be unique)")
    return order_cell_columns(frame)
