#!/usr/bin/env python3
"""Where a forward's GPU time goes: icsweep's scorer against transformers, kernel by kernel (GPU machine).

Profiles one scoring forward of each (same random-init shape, batch and length as bench_vs_hf.py) with
the Kineto profiler (bench_scorer --profile for icsweep, torch.profiler for transformers eager and,
with --compile, torch.compile(model)), then sums the GPU kernel time per category (GEMM, attention,
normalisation, elementwise, reductions, copies, other) and lists the costliest kernels. Named spans
(icsweep's RECORD_USER_SCOPE "gated_deltanet" and "mamba2"; transformers' GatedDeltaNet and Mamba2 mixer
modules wrapped in record_function of the same names) are printed with the GPU time of the kernels launched
inside them: the share of the forward spent in the linear layers.

  python3 bench/profile_kernels.py --bench-scorer build-gpu/bench/bench_scorer [--shape qwen2.5-0.5b]
                                   [--batch 32] [--compile] [--traces DIR]
"""
import argparse
import collections
import json
import os
import re
import subprocess
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_vs_hf import CONFIGURED_SHAPES, SHAPES, make_model  # noqa: E402

SPAN_MODULES = {"GatedDeltaNet": "gated_deltanet", "Mamba2Mixer": "mamba2", "MambaMixer": "mamba2"}

CATEGORIES = [
    ("gemm", re.compile(r"gemm|cutlass|xmma|nvjet|sm\d+_.*(tn|nt|nn|tt)|cublas", re.I)),
    ("attention", re.compile(r"flash|fmha|attention|sdpa", re.I)),
    ("norm", re.compile(r"norm", re.I)),
    ("reduce", re.compile(r"reduce|softmax|logsumexp", re.I)),
    ("copy", re.compile(r"copy|memcpy|memset|cat|index|gather|scatter", re.I)),
    ("elementwise", re.compile(r"elementwise|vectorized|unrolled|triton", re.I)),
]


def category(name):
    for label, pattern in CATEGORIES:
        if pattern.search(name):
            return label
    return "other"


def kernel_times(trace_path):
    """{kernel name: (total microseconds, count)} and the GPU span (first start to last end, us)."""
    with open(trace_path) as f:
        events = json.load(f)["traceEvents"]
    totals = collections.defaultdict(lambda: [0.0, 0])
    start, end = float("inf"), 0.0
    for e in events:
        if e.get("cat") not in ("kernel", "gpu_memcpy", "gpu_memset") or e.get("ph") != "X":
            continue
        totals[e["name"]][0] += e["dur"]
        totals[e["name"]][1] += 1
        start, end = min(start, e["ts"]), max(end, e["ts"] + e["dur"])
    return totals, end - start


def span_times(trace_path):
    """{span name: GPU microseconds of the kernels launched inside it}: user annotations on the CPU, the
    runtime launches within them, and the kernels those launches correlate with."""
    with open(trace_path) as f:
        events = json.load(f)["traceEvents"]
    spans = [e for e in events if e.get("cat") == "user_annotation" and e.get("ph") == "X"]
    launches = [e for e in events if e.get("cat") in ("cuda_runtime", "cuda_driver") and e.get("ph") == "X"]
    kernel_us = {}
    for e in events:
        if e.get("cat") in ("kernel", "gpu_memcpy", "gpu_memset") and e.get("ph") == "X":
            kernel_us[e.get("args", {}).get("correlation")] = kernel_us.get(e.get("args", {}).get("correlation"), 0) + e["dur"]
    totals = collections.defaultdict(float)
    for span in spans:
        start, end = span["ts"], span["ts"] + span["dur"]
        for launch in launches:
            if launch.get("tid") == span.get("tid") and start <= launch["ts"] <= end:
                totals[span["name"]] += kernel_us.get(launch.get("args", {}).get("correlation"), 0)
    return totals


def summarise(label, trace_path, tokens, top):
    totals, span = kernel_times(trace_path)
    busy = sum(t for t, _ in totals.values())
    by_category = collections.defaultdict(float)
    for name, (t, _) in totals.items():
        by_category[category(name)] += t
    print(f"\n## {label}: GPU span {span / 1e3:.1f} ms, kernels busy {busy / 1e3:.1f} ms "
          f"({100 * busy / span:.0f}%), {1e6 * tokens / span:,.0f} tok/s over the span, "
          f"{sum(n for _, n in totals.values())} kernels")
    print(f"{'category':<12} {'ms':>9} {'share':>6} {'us/1k tok':>10}")
    for cat, t in sorted(by_category.items(), key=lambda kv: -kv[1]):
        print(f"{cat:<12} {t / 1e3:>9.2f} {100 * t / busy:>5.1f}% {1e3 * t / tokens:>10.2f}")
    print(f"top {top} kernels:")
    for name, (t, n) in sorted(totals.items(), key=lambda kv: -kv[1][0])[:top]:
        print(f"  {t / 1e3:>8.2f} ms {n:>5}x  {category(name):<11} {name[:110]}")
    for name, t in sorted(span_times(trace_path).items()):
        print(f"span {name}: {t / 1e3:.2f} ms of kernels, {100 * t / busy:.1f}% of the busy time")
    return by_category


def wrap_spans(model):
    """Each linear-layer module's forward inside record_function(<span name>) (SPAN_MODULES)."""
    for module in model.modules():
        name = next((v for k, v in SPAN_MODULES.items() if type(module).__name__.endswith(k)), None)
        if name:
            forward = module.forward

            def spanned(*a, _forward=forward, _name=name, **kw):
                with torch.profiler.record_function(_name):
                    return _forward(*a, **kw)
            module.forward = spanned


def profile_transformers(model, vocab, batch, length, path):
    ids = torch.randint(0, vocab, (batch, length), device="cuda", generator=torch.Generator("cuda").manual_seed(0))

    def step():
        with torch.inference_mode():
            logits = model(ids).logits
            logp = torch.log_softmax(logits[:, :-1].float(), dim=-1)
            return (-logp.gather(-1, ids[:, 1:, None]).squeeze(-1)).sum().item()

    for _ in range(3):
        step()
    torch.cuda.synchronize()
    activities = [torch.profiler.ProfilerActivity.CPU, torch.profiler.ProfilerActivity.CUDA]
    with torch.profiler.profile(activities=activities) as prof:
        step()
        torch.cuda.synchronize()
    prof.export_chrome_trace(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bench-scorer", required=True)
    parser.add_argument("--shape", default="qwen2.5-0.5b", choices=sorted(SHAPES) + sorted(CONFIGURED_SHAPES))
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--length", type=int, default=1024)
    parser.add_argument("--compile", action="store_true")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--traces", default="", help="keep the Chrome traces here")
    args = parser.parse_args()
    traces = args.traces or tempfile.mkdtemp()
    os.makedirs(traces, exist_ok=True)
    tokens = args.batch * args.length
    print(f"# {args.shape}, batch {args.batch} x {args.length} tokens, bf16, {torch.cuda.get_device_name(0)}")
    with tempfile.TemporaryDirectory(dir="/tmp") as directory:
        model = make_model(args.shape, directory)
        model.config._attn_implementation = "sdpa"
        vocab = model.config.vocab_size
        wrap_spans(model)
        runs = [("transformers eager", model)]
        if args.compile:
            runs.append(("transformers compiled", torch.compile(model)))
        for label, m in runs:
            path = os.path.join(traces, label.replace(" ", "_") + ".json")
            profile_transformers(m, vocab, args.batch, args.length, path)
            summarise(label, path, tokens, args.top)
        del runs, model
        torch.cuda.empty_cache()
        path = os.path.join(traces, "icsweep.json")
        subprocess.run([args.bench_scorer, "--model", directory, "--batch", str(args.batch), "--length",
                        str(args.length), "--iters", "1", "--profile", path], check=True, capture_output=True)
        summarise("icsweep", path, tokens, args.top)


if __name__ == "__main__":
    sys.exit(main())
