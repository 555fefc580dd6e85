"""`plot`: the study's figures from a results file, as PNG, PDF and SVG (matplotlib, Agg backend).

* ic_vs_flops: ic against FLOPs per token (log x), one panel per dataset with its own y axis, one line
  per model series, 95% bootstrap intervals over samples as error bars.
* text_bits_vs_ic: tokenizer efficiency (constant = text bits per token) against ic, per cell.
* ic_heatmap: model x dataset heatmap of ic, coloured relative to each dataset (language / domain bias).

Each figure carries a caption line naming the bias, the FLOPs profile and the sequence length; --width
sizes it for one column or the full width of a two-column paper (fonts as printed)."""

import os
import textwrap

import matplotlib.pyplot as plt
import numpy as np

from analysis.common import STATUS_OK, add_bootstrap_arguments, add_output_argument, cells_frame, check_confidence
from analysis.figures import DRAW, WIDTHS
from analysis.load import load_samples
from analysis.table import bootstrap_ic

FIGURES = list(DRAW)
FORMATS = ["png", "pdf", "svg"]


def _values(series, fmt="{:g}"):
    values = list(dict.fromkeys(series))
    return ", ".join(fmt.format(v) if not isinstance(v, str) else v for v in values)


def caption(cells, metric, confidence=None, resamples=0):
    """One line naming what the numbers depend on: the formula, bias per dataset, FLOPs profile,
    sequence length and the intervals."""
    if metric == "ic":
        by_bias = {}
        for data_name, bias in zip(cells["data_name"], cells["bias"].astype(float)):
            by_bias.setdefault(f"{bias:g}".replace("-", "−"), []).append(data_name)
        biases = "; ".join(f"b = {b} ({', '.join(dict.fromkeys(d))})" for b, d in by_bias.items())
        text = f"ic = (constant − NLL + b) / log₂ N; {biases}"
    else:
        text = "information_capacity = (constant − NLL) / log₂ N (no bias)"
    text += (f"; N = FLOPs per token, profile {_values(cells['flops_profile'])}; "
             f"sequence length {_values(cells['max_sample_length'].astype(int), '{:d}')} tokens")
    if confidence and resamples:
        text += f"; bars: {confidence:.0%} bootstrap interval over samples ({resamples} resamples)"
    return text + "."


def intervals_of(path, cells, metric, resamples, confidence, seed):
    """(model, data) -> (low, high) bootstrap interval of METRIC over each cell's ok samples."""
    if resamples <= 0:
        return {}
    samples = load_samples(path)
    groups = dict(tuple(samples[samples["status"] == STATUS_OK].groupby(["model_name", "data_name"], sort=False)))
    rng = np.random.default_rng(seed)
    out = {}
    for _, cell in cells.iterrows():
        mine = groups.get((cell["model_name"], cell["data_name"]))
        if mine is None or len(mine) == 0:
            continue
        bias = float(cell["bias"]) if metric == "ic" else 0.0
        out[(cell["model_name"], cell["data_name"])] = bootstrap_ic(
            mine["text_bits_per_token"], mine["nll_bits"], mine["n_tokens"], bias, float(cell["flops_per_token"]),
            resamples, confidence, rng)
    return out


def make_plots(path, out_dir, figures=FIGURES, formats=("png", "pdf", "svg"), metric="ic", dpi=200,
               width="two-column", resamples=1000, confidence=0.95, seed=0, with_caption=True):
    """Draw FIGURES from PATH into OUT_DIR as NAME.FORMAT; returns the written paths."""
    cells = cells_frame(path, ok_only=True)
    layout = WIDTHS[width]
    intervals = intervals_of(path, cells, metric, resamples, confidence, seed) if "ic_vs_flops" in figures else {}
    os.makedirs(out_dir, exist_ok=True)
    written = []
    style = {"font.size": layout.font_size, "axes.titlesize": layout.font_size, "axes.labelsize": layout.font_size,
             "xtick.labelsize": layout.font_size * 0.9, "ytick.labelsize": layout.font_size * 0.9,
             "legend.fontsize": layout.font_size * 0.9, "svg.fonttype": "none", "pdf.fonttype": 42}
    for name in figures:
        with plt.rc_context(style):
            fig = DRAW[name](cells, metric, layout, intervals)
            if with_caption:
                text = caption(cells, metric, confidence, resamples if name == "ic_vs_flops" else 0)
                size = layout.font_size * 0.75
                columns = int(fig.get_size_inches()[0] * 72 / (size * 0.55))  # characters per line
                fig.text(0.01, 0.0, textwrap.fill(text, columns), ha="left", va="top", fontsize=size, color="0.3")
            for fmt in formats:
                target = os.path.join(out_dir, f"{name}.{fmt}")
                fig.savefig(target, dpi=dpi, bbox_inches="tight", pad_inches=0.03,
                            metadata={"Creator": "icsweep analysis plot"} if fmt != "png" else None)
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
        "plot", help="IC vs FLOPs, text bits/token vs IC, model x dataset heatmap (PNG, PDF, SVG)",
        description="Draw the study's figures: " + "; ".join(" ".join(f.split()) for f in __doc__.split("*")[1:4]))
    p.add_argument("results", help="results.h5 index or a cell file")
    add_output_argument(p, "DIR", "output directory (default ./figures)", default="figures")
    p.add_argument("--figures", type=_choices(FIGURES), default=FIGURES, metavar="LIST",
                   help="comma-separated subset of " + ",".join(FIGURES) + " (default all)")
    p.add_argument("--formats", type=_choices(FORMATS), default=FORMATS, metavar="LIST",
                   help="comma-separated file formats among png,pdf,svg (default all three)")
    p.add_argument("--metric", choices=["ic", "information_capacity"], default="ic",
                   help="ic (with bias, default) or information_capacity (without)")
    p.add_argument("--width", choices=list(WIDTHS), default="two-column",
                   help="figure width: one-column (3.5 in), two-column (7.16 in, default) or screen (11 in); "
                        "fonts are sized for print at that width")
    add_bootstrap_arguments(p, "the error bars")
    p.add_argument("--no-caption", action="store_true", help="leave out the caption line")
    p.add_argument("--dpi", type=int, default=200, help="PNG resolution (default 200)")
    p.set_defaults(run=run)


def run(args):
    check_confidence(args.confidence)
    for path in make_plots(args.results, args.output, args.figures, args.formats, args.metric, args.dpi, args.width,
                           args.bootstrap, args.confidence, args.seed, not args.no_caption):
        print(path)
