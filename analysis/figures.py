"""The figures of `plot`, drawn with matplotlib onto a figure of a given width (analysis/plot.py picks
the width preset, the metric, the intervals and writes the files).

Every function takes CELLS (full, ok cells: cells_frame(path, ok_only=True)), the METRIC column
(ic or information_capacity) and a Layout, and returns a matplotlib Figure."""

import math
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)
import numpy as np  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter  # noqa: E402

from analysis.common import series_of  # noqa: E402

MARKERS = "osD^v<>ph*"
METRIC_LABEL = {"ic": "ic (bits/token per log₂ FLOPs, with bias b)",
                "information_capacity": "information_capacity (no bias)"}


@dataclass
class Layout:
    """Figure width in inches, most panels side by side, font size in points."""
    width: float
    max_columns: int
    font_size: float


# One column of a two-column paper (~3.5 in), the full text width (~7.1 in), and a screen figure.
WIDTHS = {"one-column": Layout(3.5, 1, 7.0), "two-column": Layout(7.16, 3, 8.0), "screen": Layout(11.0, 3, 10.0)}


def colours(names):
    """A colour per name, in order, from the colour-blind-safe tab10 cycle."""
    return {name: plt.cm.tab10(i % 10) for i, name in enumerate(names)}


def power_of_ten(value, _position=None):
    """Log-axis tick text: 10^k as "10⁵", m·10^k as "2×10⁵"."""
    if value <= 0:
        return ""
    exponent = int(math.floor(math.log10(value) + 1e-9))
    mantissa = value / 10 ** exponent
    superscript = str(exponent).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))
    if abs(mantissa - 1) < 1e-6:
        return f"10{superscript}"
    return f"{mantissa:.0f}×10{superscript}" if abs(mantissa - round(mantissa)) < 1e-6 else ""


def log_flops_axis(ax, values):
    """Log x with labelled decades, and 2x/5x ticks labelled too when the data span under 2 decades."""
    ax.set_xscale("log")
    span = math.log10(max(values) / min(values)) if len(values) and min(values) > 0 else 3
    subs = (1.0, 2.0, 5.0) if span < 2 else (1.0,)
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=subs))
    ax.xaxis.set_major_formatter(FuncFormatter(power_of_ten))
    ax.xaxis.set_minor_locator(LogLocator(base=10, subs=np.arange(2, 10)))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.margins(x=0.16)


def _grid(count, layout):
    columns = max(1, min(layout.max_columns, count))
    rows = math.ceil(count / columns)
    panel_width = layout.width / columns
    height = rows * panel_width * (0.78 if columns > 1 else 0.62)
    return rows, columns, height


def ic_vs_flops(cells, metric, layout, intervals=None):
    """One panel per dataset with its own y axis (biases differ per dataset); per series a line through
    its models sorted by FLOPs per token, points labelled with model_size, INTERVALS (a dict
    (model, data) -> (low, high)) as error bars; one legend of the series for the figure."""
    cells = cells.assign(model_series=series_of(cells))
    datasets = list(dict.fromkeys(cells["data_name"]))
    series_names = list(dict.fromkeys(cells["model_series"]))
    colour = colours(series_names)
    rows, columns, height = _grid(len(datasets), layout)
    fig, axes = plt.subplots(rows, columns, figsize=(layout.width, height + 0.5), squeeze=False)
    for ax, data_name in zip(axes.flat, datasets):
        d = cells[cells["data_name"] == data_name]
        for series, s in d.groupby("model_series", sort=False):
            s = s.sort_values("flops_per_token")
            x, y = s["flops_per_token"].to_numpy(float), s[metric].to_numpy(float)
            marker = MARKERS[series_names.index(series) % len(MARKERS)]
            ax.plot(x, y, marker=marker, markersize=4, linewidth=1.2, color=colour[series], label=series)
            if intervals:
                bounds = np.array([intervals.get((m, data_name), (np.nan, np.nan)) for m in s["model_name"]])
                err = np.abs(np.vstack([y - bounds[:, 0], bounds[:, 1] - y]))
                ax.errorbar(x, y, yerr=err, fmt="none", ecolor=colour[series], elinewidth=0.8, capsize=2)
            for xi, yi, label in zip(x, y, s["model_size"].where(s["model_size"] != "", s["model_name"])):
                ax.annotate(str(label), (xi, yi), textcoords="offset points", xytext=(4, -9),
                            fontsize=layout.font_size * 0.8, color="0.25")
        log_flops_axis(ax, cells["flops_per_token"].to_numpy(float))
        ax.set_title(data_name, fontsize=layout.font_size)
        ax.set_xlabel("FLOPs per token")
        ax.margins(y=0.15)
        ax.grid(True, which="major", alpha=0.3)
    for ax in axes[:, 0]:
        ax.set_ylabel(metric)
    for ax in list(axes.flat)[len(datasets):]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    seen = dict(zip(labels, handles))
    for ax in axes.flat[1:len(datasets)]:  # series missing from the first panel
        for h, label in zip(*ax.get_legend_handles_labels()):
            seen.setdefault(label, h)
    fig.legend(list(seen.values()), list(seen), loc="upper center", ncol=min(4, len(seen)), frameon=False,
               bbox_to_anchor=(0.5, 1.0), title="series", title_fontsize=layout.font_size)
    legend_rows = math.ceil(len(seen) / 4)
    fig.tight_layout(rect=(0, 0, 1, 1 - (0.22 + 0.17 * legend_rows) / (height + 0.5)))
    return fig


def text_bits_vs_ic(cells, metric, layout, intervals=None):
    """Scatter of constant (text bits per token) against the metric; colour = series, marker = dataset."""
    cells = cells.assign(model_series=series_of(cells))
    fig, ax = plt.subplots(figsize=(min(layout.width, 6.0) * 0.75, min(layout.width, 6.0) * 0.6))
    series_names = list(dict.fromkeys(cells["model_series"]))
    datasets = list(dict.fromkeys(cells["data_name"]))
    colour = colours(series_names)
    for _, row in cells.iterrows():
        ax.scatter(row["constant"], row[metric], color=colour[row["model_series"]], s=18,
                   marker=MARKERS[datasets.index(row["data_name"]) % len(MARKERS)])
    size = layout.font_size * 0.85
    by_series = [ax.scatter([], [], color=colour[s], marker="o", label=s) for s in series_names]
    by_data = [ax.scatter([], [], color="gray", marker=MARKERS[i % len(MARKERS)], label=d) for i, d in enumerate(datasets)]
    ax.set_xlabel("text bits per token (constant)")
    ax.set_ylabel(metric)
    ax.margins(0.1)
    ax.grid(True, alpha=0.3)
    first = ax.legend(handles=by_series, title="series (colour)", fontsize=size, title_fontsize=size, frameon=False,
                      loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.add_artist(first)
    ax.legend(handles=by_data, title="dataset (marker)", fontsize=size, title_fontsize=size, frameon=False,
              loc="lower left", bbox_to_anchor=(1.0, 0.0))
    fig.tight_layout()
    return fig


def ic_heatmap(cells, metric, layout, intervals=None):
    """Models (rows, by series then FLOPs) x datasets (columns), annotated with the value; colour is the
    value normalised per dataset (its min -> 0, max -> 1), since the bias and text differ by dataset."""
    cells = cells.assign(model_series=series_of(cells))
    order = cells.sort_values(["model_series", "flops_per_token"], kind="stable")["model_name"]
    table = cells.pivot_table(index="model_name", columns="data_name", values=metric, aggfunc="first")
    table = table.reindex(index=list(dict.fromkeys(order)), columns=list(dict.fromkeys(cells["data_name"])))
    values = table.to_numpy(dtype=float)  # (models, datasets)
    low, high = np.nanmin(values, axis=0), np.nanmax(values, axis=0)
    varies = high - low > 1e-9  # a dataset whose values differ only by round-off is drawn mid-scale
    normalised = np.where(varies, (values - low) / np.where(varies, high - low, 1.0), 0.5)
    width = min(layout.width, 2.2 + 1.1 * table.shape[1])
    fig, ax = plt.subplots(figsize=(width, 1.0 + 0.32 * table.shape[0]))
    image = ax.imshow(normalised, cmap="viridis", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(table.shape[1]), table.columns, rotation=30, ha="right")
    ax.set_yticks(range(table.shape[0]), table.index)
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):
            ax.text(j, i, f"{v:.3f}", ha="center", va="center", fontsize=layout.font_size * 0.8,
                    color="white" if normalised[i, j] < 0.5 else "black")
    bar = fig.colorbar(image, ax=ax, ticks=[0, 1], fraction=0.08, pad=0.03)
    bar.ax.set_yticklabels(["lowest", "highest"])
    bar.ax.set_title("in its\ndataset", fontsize=layout.font_size * 0.8, loc="left")
    fig.tight_layout()
    return fig


DRAW = {"ic_vs_flops": ic_vs_flops, "text_bits_vs_ic": text_bits_vs_ic, "ic_heatmap": ic_heatmap}
