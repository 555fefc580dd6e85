#!/usr/bin/env python3
"""The README's demo table ("The demo"), from the results of a `make demo` run:

    /usr/bin/python3 scripts/demo_readme_table.py demo/results/results.h5

prints the Markdown table (per model: FLOPs per token, NLL per dataset, information_capacity per
dataset) and the numbers its paragraph quotes (text bits/token, the bias that `python3 -m analysis
fit-bias` fits per dataset). Paste both into README.md; the demo's data are the project's own files, so
the numbers move a little whenever those change.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from analysis.common import cells_frame  # noqa: E402
from analysis.fit_bias import fit_bias_frame  # noqa: E402

DATASETS = [("project_docs", "docs"), ("project_code", "code")]


def readme_table(cells):
    """Markdown rows in the README's columns, models by FLOPs per token."""
    lines = ["| model | FLOPs/token | " + " | ".join(f"NLL {d}" for d, _ in DATASETS) +
             " | information_capacity (b = 0) " + " / ".join(s for _, s in DATASETS) + " |",
             "|---|---|" + "---|" * len(DATASETS) + "---|"]
    order = cells.groupby("model_name")["flops_per_token"].first().sort_values()
    for model, flops in order.items():
        row = cells[cells["model_name"] == model].set_index("data_name")
        nll = " | ".join(f"{row.loc[d, 'conditional_entropy']:.2f}" for d, _ in DATASETS)
        ic = " / ".join(f"{row.loc[d, 'information_capacity']:.3f}" for d, _ in DATASETS)
        mantissa, exponent = f"{flops:.2e}".split("e")
        lines.append(f"| {model} | {mantissa}e{int(exponent)} | {nll} | {ic} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", help="demo/results/results.h5 of a make demo run")
    args = parser.parse_args()
    cells = cells_frame(args.results, ok_only=True)
    print(readme_table(cells))
    fits = fit_bias_frame(cells).set_index("data_name")["bias_fit"]
    constants = cells["constant"].astype(float)
    print(f"\ntext size: {constants.min():.2f}-{constants.max():.2f} bits/token; fitted b: " +
          ", ".join(f"{fits[d]:.1f} ({short})" for d, short in DATASETS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
