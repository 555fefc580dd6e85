"""`plot`: the study's figures from a results file, as PNG and PDF (matplotlib, Agg backend).

* ic_vs_flops: ic against FLOPs per token (log x), one line per model series, one panel per dataset.
* text_bits_vs_ic: tokenizer efficiency (constant = text bits per token) against ic, per cell.
* ic_heatmap: model x dataset heatmap of ic (language / domain bias)."""

import math
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)
import numpy as np  # noqa: E402

from analysis.common import cells_frame, series_of  # noqa: E402

FIGURES = ["ic_vs_flops", "text_bits_vs_ic", "ic_heatmap"]
MARKERS = "osD^v<>ph*"


def ic_vs_flops(cells, metric="ic"):
    """One panel per dataset; per series a line through its models sorted by FLOPs per token."""
    cells = cells.assign(model_series=series_of(cells))
    datasets = list(dict.fromkeys(cells["data_name"]))
    columns = min(3, len(datasets))
    rows = math.ceil(len(datasets) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4.5 * columns, 3.6 * rows), squeeze=False, sharey=True)
    series_names = list(dict.fromkeys(cells["model_series"]))
    colors = {s: plt.cm.tab10(i % 10) for i, s in enumerate(series_names)}
    for ax, data_name in zip(axes.flat, datasets):
        d = cells[cells["data_name"] == data_name]
        for i, (series, s) in enumerate(d.groupby("model_series", sort=False)):
            s = s.sort_values("flops_per_token")
            ax.plot(s["flops_per_token"], s[metric], marker=MARKERS[series_names.index(series) % len(MARKERS)],
                    color=colors[series], label=series)
            for _, row in s.iterrows():
                ax.annotate(str(row["model_size"] or row["model_name"]), (row["flops_per_token"], row[metric]),
                            textcoords="offset points", xytext=(3, 3), fontsize=7)
        ax.set_xscale("log")
        ax.set_title(data_name)
        ax.set_xlabel("FLOPs per token")
        ax.grid(True, which="both", alpha=0.3)
    for ax in axes[:, 0]:
        ax.set_ylabel(metric)
    for ax in list(axes.flat)[len(datasets):]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncol=min(6, len(series_names)), frameon=False,
               bbox_to_anchor=(0.5, 1.0))
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    return fig


def text_bits_vs_ic(cells, metric="ic"):
    """Scatter of constant (text bits per token) against ic; colour = series, marker = dataset."""
    cells = cells.assign(model_series=series_of(cells))
    fig, ax = plt.subplots(figsize=(6, 4.5))
    series_names = list(dict.fromkeys(cells["model_series"]))
    datasets = list(dict.fromkeys(cells["data_name"]))
    for _, row in cells.iterrows():
        ax.scatter(row["constant"], row[metric], color=plt.cm.tab10(series_names.index(row["model_series"]) % 10),
                   marker=MARKERS[datasets.index(row["data_name"]) % len(MARKERS)])
    for i, s in enumerate(series_names):
        ax.scatter([], [], color=plt.cm.tab10(i % 10), marker="o", label=s)
    for i, d in enumerate(datasets):
        ax.scatter([], [], color="gray", marker=MARKERS[i % len(MARKERS)], label=d)
    ax.set_xlabel("text bits per token (constant)")
    ax.set_ylabel(metric)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def ic_heatmap(cells, metric="ic"):
    """Models (rows, by series then FLOPs) x datasets (columns), cells annotated with the value."""
    cells = cells.assign(model_series=series_of(cells))
    order = cells.sort_values(["model_series", "flops_per_token"], kind="stable")["model_name"]
    table = cells.pivot_table(index="model_name", columns="data_name", values=metric, aggfunc="first")
    table = table.reindex(index=list(dict.fromkeys(order)), columns=list(dict.fromkeys(cells["data_name"])))
    fig, ax = plt.subplots(figsize=(1.6 + 1.3 * table.shape[1], 1.2 + 0.45 * table.shape[0]))
    values = table.to_numpy(dtype=float)
    image = ax.imshow(values, cmap="viridis", aspect="auto")
    ax.set_xticks(range(table.shape[1]), table.columns, rotation=30, ha="right")
    ax.set_yticks(range(table.shape[0]), table.index)
    finite = values[np.isfinite(values)]
    middle = (finite.min() + finite.max()) / 2 if finite.size else 0.0
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):
            ax.text(j, i, f"{v:.3f}", ha="center", va="center", fontsize=8, color="white" if v < middle else "black")
    fig.colorbar(image, ax=ax, label=metric)
    fig.tight_layout()
    return fig


DRAW = {"ic_vs_flops": ic_vs_flops, "text_bits_vs_ic": text_bits_vs_ic, "ic_heatmap": ic_heatmap}


def make_plots(path, out_dir, figures=FIGURES, formats=("png", "pdf"), metric="ic", dpi=150):
    """Draw FIGURES from PATH into OUT_DIR as NAME.FORMAT; returns the written paths."""
    cells = cells_frame(path, ok_only=True)
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for name in figures:
        fig = DRAW[name](cells, metric)
        for fmt in formats:
            target = os.path.join(out_dir, f"{name}.{fmt}")
            fig.savefig(target, dpi=dpi, bbox_inches="tight")
            written.append(target)
        plt.close(fig)
    return written


def _choices(allowed):
    def parse(text):
        values = [x.strip() for x in text.split(",") if x.strip()]
        bad = [v for v in values if v not in allowed]
        if bad or not values:
            raise ValueError(text)
        return values
    parse.__name__ = "list of " + "/".join(allowed)
    return parse


def add_parser(commands):
    p = commands.add_parser(
        "plot", help="IC vs FLOPs, text bits/token vs IC, model x dataset heatmap (PNG, PDF)",
        description="Draw the study's figures: " + "; ".join(f.strip() for f in __doc__.split("*")[1:]))
    p.add_argument("results", help="results.h5 index or a cell file")
    p.add_argument("--out", default="figures", metavar="DIR", help="output directory (default ./figures)")
    p.add_argument("--figures", type=_choices(FIGURES), default=FIGURES, metavar="LIST",
                   help="comma-separated subset of " + ",".join(FIGURES) + " (default all)")
    p.add_argument("--formats", type=_choices(["png", "pdf", "svg"]), default=["png", "pdf"], metavar="LIST",
                   help="comma-separated file formats among png,pdf,svg (default png,pdf)")
    p.add_argument("--metric", choices=["ic", "information_capacity"], default="ic",
                   help="ic (with bias, default) or information_capacity (without)")
    p.add_argument("--dpi", type=int, default=150, help="PNG resolution (default 150)")
    p.set_defaults(run=run)


def run(args):
    for path in make_plots(args.results, args.out, args.figures, args.formats, args.metric, args.dpi):
        print(path)
