#!/usr/bin/env python3
"""icsweep vs Hugging Face transformers throughput, side by side in one run (GPU machine).

For each shape (random init, bf16, real vocabulary sizes), runs transformers (SDPA, bf16 forward,
fp32 log-softmax NLL of every next token, as the reference script computes it) and icsweep's
scorer (build-gpu/bench_scorer) on the same batches of 1024-token sequences, and prints one
fixed-column table: shape, batch, icsweep tok/s, transformers tok/s (eager SDPA and, with --compile,
torch.compile(model)), ratio to the best transformers number, MFU of each.
MFU = (2 x matmul parameters + causal attention) FLOPs x tokens/s / peak, the peak being this GPU's
measured bf16 matmul rate (8192^3 GEMMs, printed; --peak to fix it, e.g. 790e12 for the H200).
Batch 32 of 1024-token sequences is what `icsweep run` does by default on CUDA (token budget 32768).

  python3 bench/bench_vs_hf.py --bench-scorer build-gpu/bench/bench_scorer [--shapes qwen2.5-0.5b,qwen2.5-7b] [--compile] [--json]
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import torch
import transformers

SHAPES = {
    "qwen2.5-0.5b": dict(hidden_size=896, intermediate_size=4864, num_hidden_layers=24, num_attention_heads=14,
                         num_key_value_heads=2, vocab_size=151936, tie_word_embeddings=True),
    "qwen2.5-1.5b": dict(hidden_size=1536, intermediate_size=8960, num_hidden_layers=28, num_attention_heads=12,
                         num_key_value_heads=2, vocab_size=151936, tie_word_embeddings=True),
    "qwen2.5-7b": dict(hidden_size=3584, intermediate_size=18944, num_hidden_layers=28, num_attention_heads=28,
                       num_key_value_heads=4, vocab_size=152064, tie_word_embeddings=False),
    # Qwen3 (q/k per-head RMSNorm; head_dim 128 = hidden / heads for these two).
    "qwen3-1.7b": dict(hidden_size=2048, intermediate_size=6144, num_hidden_layers=28, num_attention_heads=16,
                       num_key_value_heads=8, head_dim=128, vocab_size=151936, tie_word_embeddings=True),
    "qwen3-8b": dict(hidden_size=4096, intermediate_size=12288, num_hidden_layers=36, num_attention_heads=32,
                     num_key_value_heads=8, head_dim=128, vocab_size=151936, tie_word_embeddings=False),
    "llama-3.1-8b": dict(hidden_size=4096, intermediate_size=14336, num_hidden_layers=32, num_attention_heads=32,
                         num_key_value_heads=8, vocab_size=128256, tie_word_embeddings=False),
}


def measured_peak():
    """bf16 matmul rate of this GPU: best of a few 8192^3 GEMMs (FLOP/s)."""
    a = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    best = 0.0
    for _ in range(3):
        torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(10):
            a @ b
        torch.cuda.synchronize()
        best = max(best, 10 * 2 * 8192 ** 3 / (time.perf_counter() - start))
    return best


def flops_per_token(c, length):
    d, f, n, h, kv = c["hidden_size"], c["intermediate_size"], c["num_hidden_layers"], c["num_attention_heads"], c["num_key_value_heads"]
    dh = d // h
    matmul = n * (d * h * dh + 2 * d * kv * dh + h * dh * d + 3 * d * f) + d * c["vocab_size"]
    attention = n * 2 * 2 * h * dh * (length + 1) / 2  # causal QK^T and AV, averaged per token
    return 2 * matmul + attention


def make_model(name, directory):
    if name.startswith("llama"):
        config = transformers.LlamaConfig(**SHAPES[name], rope_theta=500000.0, max_position_embeddings=131072)
        cls = transformers.LlamaForCausalLM
    elif name.startswith("qwen3"):
        config = transformers.Qwen3Config(**SHAPES[name], rope_theta=1000000.0, max_position_embeddings=40960)
        cls = transformers.Qwen3ForCausalLM
    else:
        config = transformers.Qwen2Config(**SHAPES[name], rope_theta=1000000.0, max_position_embeddings=32768)
        cls = transformers.Qwen2ForCausalLM
    with torch.device("cuda"):
        model = cls(config).to(torch.bfloat16)
    model.save_pretrained(directory, safe_serialization=True)
    return model


def hf_tokens_per_second(model, vocab, batch, length, iters):
    ids = torch.randint(0, vocab, (batch, length), device="cuda", generator=torch.Generator("cuda").manual_seed(0))

    def step():
        with torch.inference_mode():
            logits = model(ids).logits  # (B, T, V) bf16
            logp = torch.log_softmax(logits[:, :-1].float(), dim=-1)
            nll = -logp.gather(-1, ids[:, 1:, None]).squeeze(-1) / torch.log(torch.tensor(2.0))
            return nll.sum().item()

    for _ in range(2):
        step()
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(iters):
        step()
    torch.cuda.synchronize()
    return batch * length * iters / (time.perf_counter() - start)


def icsweep_tokens_per_second(bench, directory, batch, length, iters):
    out = subprocess.run([bench, "--model", directory, "--dtype", "bfloat16", "--device", "cuda:0", "--length",
                          str(length), "--batch", str(batch), "--iters", str(iters), "--json"],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["tokens_per_second"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bench-scorer", required=True)
    parser.add_argument("--shapes", default="qwen2.5-0.5b,qwen2.5-7b")
    parser.add_argument("--batches", default="1,8")
    parser.add_argument("--length", type=int, default=1024)
    parser.add_argument("--iters", type=int, default=5)
    parser.add_argument("--peak", type=float, default=0, help="bf16 FLOP/s for MFU (default: measured here)")
    parser.add_argument("--compile", action="store_true", help="also time torch.compile(model)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = []
    device = torch.cuda.get_device_name(0)
    if not args.peak:
        args.peak = measured_peak()
    for name in args.shapes.split(","):
        with tempfile.TemporaryDirectory(dir="/tmp") as directory:
            model = make_model(name, directory)
            model.config._attn_implementation = "sdpa"
            per_token = flops_per_token(SHAPES[name], args.length)
            for batch in [int(b) for b in args.batches.split(",")]:
                vocab = SHAPES[name]["vocab_size"]
                try:
                    hf = hf_tokens_per_second(model, vocab, batch, args.length, args.iters)
                except torch.OutOfMemoryError:
                    hf = float("nan")
                torch.cuda.empty_cache()
                compiled = float("nan")
                if args.compile:
                    try:
                        compiled = hf_tokens_per_second(torch.compile(model), vocab, batch, args.length, args.iters)
                    except torch.OutOfMemoryError:
                        pass
                    torch.cuda.empty_cache()
                ours = icsweep_tokens_per_second(args.bench_scorer, directory, batch, args.length, args.iters)
                best = max([x for x in (hf, compiled) if x == x] or [float("nan")])
                rows.append(dict(shape=name, batch=batch, icsweep=ours, transformers=hf, transformers_compiled=compiled,
                                 ratio=ours / best, mfu_icsweep=ours * per_token / args.peak,
                                 mfu_transformers=best * per_token / args.peak))
            del model
            torch.cuda.empty_cache()
    if args.json:
        print(json.dumps(dict(host=platform.node(), device=device, peak=args.peak, torch=torch.__version__,
                              transformers=transformers.__version__, rows=rows)))
        return
    print(f"host {platform.node()} | {device} | torch {torch.__version__} | transformers {transformers.__version__} | "
          f"{args.length}-token sequences, bf16 | MFU peak {args.peak / 1e12:.0f} TFLOP/s")
    print(f"{'shape':<14} {'batch':>5} {'icsweep tok/s':>14} {'hf tok/s':>10} {'hf compiled':>12} {'ratio':>6} "
          f"{'MFU icsweep':>12} {'MFU best hf':>12}")
    for r in rows:
        print(f"{r['shape']:<14} {r['batch']:>5} {r['icsweep']:>14.0f} {r['transformers']:>10.0f} "
              f"{r['transformers_compiled']:>12.0f} {r['ratio']:>6.2f} {100 * r['mfu_icsweep']:>11.1f}% "
              f"{100 * r['mfu_transformers']:>11.1f}%")
    worst = min(r["ratio"] for r in rows)
    print(f"verdict: icsweep/transformers ratio between {worst:.2f} and {max(r['ratio'] for r in rows):.2f}")


if __name__ == "__main__":
    sys.exit(main())
