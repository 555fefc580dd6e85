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

Hybrid shapes (HYBRID_SHAPES: Qwen3.5-9B, depth cut) run transformers' torch fallbacks of the linear layers
(no flash-linear-attention on the GPU machine), as a user without that package gets.
MoE shapes (MOE_SHAPES, depth cut): transformers is timed with each --experts implementation and the
best counts; MFU counts active parameters (experts at top_k / E); --icsweep-loop also times icsweep
with its grouped-GEMM experts switched off (the per-expert loop), in the same run.
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

# Mixture-of-experts shapes of the published models, depth cut to fit one GPU and the disk (random
# weights; the per-layer cost is the published one). name -> (config class, model class, kwargs).
MOE_SHAPES = {
    "qwen3-30b-a3b": ("Qwen3MoeConfig", "Qwen3MoeForCausalLM", dict(
        hidden_size=2048, intermediate_size=6144, moe_intermediate_size=768, num_hidden_layers=12,  # of 48
        num_attention_heads=32, num_key_value_heads=4, head_dim=128, num_experts=128, num_experts_per_tok=8,
        norm_topk_prob=True, vocab_size=151936, tie_word_embeddings=False, max_position_embeddings=40960)),
    "qwen1.5-moe-a2.7b": ("Qwen2MoeConfig", "Qwen2MoeForCausalLM", dict(
        hidden_size=2048, intermediate_size=5632, moe_intermediate_size=1408, shared_expert_intermediate_size=5632,
        num_hidden_layers=12, num_attention_heads=16, num_key_value_heads=16, num_experts=60,  # 12 of 24 layers
        num_experts_per_tok=4, norm_topk_prob=False, vocab_size=151936, tie_word_embeddings=False)),
    "deepseek-v2-lite": ("DeepseekV2Config", "DeepseekV2ForCausalLM", dict(
        hidden_size=2048, intermediate_size=10944, moe_intermediate_size=1408, num_hidden_layers=8,  # of 27
        num_attention_heads=16, num_key_value_heads=16, kv_lora_rank=512, q_lora_rank=None, qk_nope_head_dim=128,
        qk_rope_head_dim=64, v_head_dim=128, n_routed_experts=64, num_experts_per_tok=6, n_shared_experts=2,
        first_k_dense_replace=1, n_group=1, topk_group=1, topk_method="greedy", routed_scaling_factor=1.0,
        vocab_size=102400, tie_word_embeddings=False)),
    "glm-4.5-air": ("Glm4MoeConfig", "Glm4MoeForCausalLM", dict(
        hidden_size=4096, intermediate_size=10944, moe_intermediate_size=1408, num_hidden_layers=4,  # of 46
        num_attention_heads=96, num_key_value_heads=8, head_dim=128, n_routed_experts=128, num_experts_per_tok=8,
        n_shared_experts=1, first_k_dense_replace=1, n_group=1, topk_group=1, routed_scaling_factor=1.0,
        partial_rotary_factor=0.5, use_qk_norm=False, attention_bias=True, vocab_size=151552,
        tie_word_embeddings=False)),
    "mixtral-8x7b": ("MixtralConfig", "MixtralForCausalLM", dict(
        hidden_size=4096, intermediate_size=14336, num_hidden_layers=4, num_attention_heads=32,  # of 32
        num_key_value_heads=8, num_local_experts=8, num_experts_per_tok=2, vocab_size=32000,
        tie_word_embeddings=False)),
}

# Hybrid linear-attention shapes (depth cut; layer_types keep the published 3 linear : 1 full pattern).
# MFU counts the matmul weights and the full-attention layers' attention, not the chunked recurrence.
HYBRID_SHAPES = {
    "qwen3.5-9b": ("Qwen3_5TextConfig", "Qwen3_5ForCausalLM", dict(
        hidden_size=4096, intermediate_size=12288, num_hidden_layers=16, num_attention_heads=16,  # 16 of 32
        num_key_value_heads=4, head_dim=256, linear_conv_kernel_dim=4, linear_key_head_dim=128,
        linear_num_key_heads=16, linear_num_value_heads=32, linear_value_head_dim=128, full_attention_interval=4,
        attn_output_gate=True, vocab_size=248320, tie_word_embeddings=False, max_position_embeddings=262144,
        rope_parameters=dict(rope_type="default", rope_theta=10000000, partial_rotary_factor=0.25))),
}
CONFIGURED_SHAPES = {**MOE_SHAPES, **HYBRID_SHAPES}


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


def active_flops_per_token(model, c, length):
    """2 x the matmul weights a token passes through (stacked expert tensors (E, ., .) counted at
    top_k / E, embeddings not at all) + causal attention averaged over the sequence."""
    experts = getattr(c, "num_experts", None) or getattr(c, "n_routed_experts", None) or getattr(c, "num_local_experts", 1)
    top_k = getattr(c, "num_experts_per_tok", 1)
    weights = 0.0
    for name, p in model.named_parameters():
        if "embed_tokens" in name or p.dim() < 2:
            continue
        weights += p.numel() * (top_k / experts if p.dim() == 3 and "experts" in name else 1.0)
    if getattr(c, "tie_word_embeddings", False):
        weights += c.hidden_size * c.vocab_size
    qk = getattr(c, "qk_nope_head_dim", 0) + getattr(c, "qk_rope_head_dim", 0) or getattr(c, "head_dim", None) or c.hidden_size // c.num_attention_heads
    v = getattr(c, "v_head_dim", None) or getattr(c, "head_dim", None) or c.hidden_size // c.num_attention_heads
    layer_types = getattr(c, "layer_types", None) or ["full_attention"] * c.num_hidden_layers
    attention_layers = sum(t == "full_attention" for t in layer_types)
    attention = attention_layers * 2 * c.num_attention_heads * (qk + v) * (length + 1) / 2
    return 2 * weights + attention


def make_model(name, directory):
    if name in CONFIGURED_SHAPES:
        config_cls, model_cls, kwargs = CONFIGURED_SHAPES[name]
        config = getattr(transformers, config_cls)(**kwargs)
        cls = getattr(transformers, model_cls)
    elif name.startswith("llama"):
        config = transformers.LlamaConfig(**SHAPES[name], rope_theta=500000.0, max_position_embeddings=131072)
        cls = transformers.LlamaForCausalLM
    elif name.startswith("qwen3"):
        config = transformers.Qwen3Config(**SHAPES[name], rope_theta=1000000.0, max_position_embeddings=40960)
        cls = transformers.Qwen3ForCausalLM
    else:
        config = transformers.Qwen2Config(**SHAPES[name], rope_theta=1000000.0, max_position_embeddings=32768)
        cls = transformers.Qwen2ForCausalLM
    torch.set_default_dtype(torch.bfloat16)  # initialised in bf16: no fp32 copy of a large model
    try:
        with torch.device("cuda"):
            model = cls(config).to(torch.bfloat16)
    finally:
        torch.set_default_dtype(torch.float32)
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


def set_experts_implementation(model, implementation):
    """transformers 5's experts kernels: eager (a loop over experts), batched_mm, grouped_mm."""
    if hasattr(model, "set_experts_implementation"):
        model.set_experts_implementation(implementation)
    else:
        model.config._experts_implementation = implementation


def icsweep_tokens_per_second(bench, directory, batch, length, iters, fused=None):
    env = dict(os.environ)
    if fused is not None:
        env["ICSWEEP_FUSED"] = fused
    out = subprocess.run([bench, "--model", directory, "--dtype", "bfloat16", "--device", "cuda:0", "--length",
                          str(length), "--batch", str(batch), "--iters", str(iters), "--json"],
                         check=True, capture_output=True, text=True, env=env)
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
    parser.add_argument("--experts", default="eager,batched_mm,grouped_mm",
                        help="MoE shapes: transformers experts implementations to time (the best counts)")
    parser.add_argument("--icsweep-loop", action="store_true",
                        help="MoE shapes: also time icsweep with grouped experts off (ICSWEEP_FUSED without 'experts')")
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
            moe = name in MOE_SHAPES
            per_token = (active_flops_per_token(model, model.config, args.length) if name in CONFIGURED_SHAPES
                         else flops_per_token(SHAPES[name], args.length))
            for batch in [int(b) for b in args.batches.split(",")]:
                vocab = model.config.vocab_size
                hf, experts_best = float("nan"), ""
                for implementation in (args.experts.split(",") if moe else [None]):
                    try:
                        if implementation:
                            set_experts_implementation(model, implementation)
                        rate = hf_tokens_per_second(model, vocab, batch, args.length, args.iters)
                    except Exception as e:  # an implementation this transformers lacks, or out of memory
                        print(f"{name} batch {batch}: transformers experts={implementation}: {type(e).__name__}: {e}",
                              file=sys.stderr)
                        rate = float("nan")
                    if implementation:
                        print(f"{name} batch {batch}: transformers experts={implementation}: {rate:.0f} tok/s",
                              file=sys.stderr)
                    if rate == rate and not rate <= hf:
                        hf, experts_best = rate, implementation or ""
                    torch.cuda.empty_cache()
                compiled = float("nan")
                if args.compile:
                    try:
                        compiled = hf_tokens_per_second(torch.compile(model), vocab, batch, args.length, args.iters)
                    except torch.OutOfMemoryError:
                        pass
                    torch.cuda.empty_cache()
                ours = icsweep_tokens_per_second(args.bench_scorer, directory, batch, args.length, args.iters)
                loop = float("nan")
                if moe and args.icsweep_loop:
                    loop = icsweep_tokens_per_second(args.bench_scorer, directory, batch, args.length, args.iters,
                                                     fused="norm,rope,silu,nll")
                best = max([x for x in (hf, compiled) if x == x] or [float("nan")])
                rows.append(dict(shape=name, batch=batch, icsweep=ours, icsweep_loop=loop, experts=experts_best,
                                 transformers=hf, transformers_compiled=compiled,
                                 ratio=ours / best, mfu_icsweep=ours * per_token / args.peak,
                                 mfu_transformers=best * per_token / args.peak))
                print(f"row: {json.dumps(rows[-1])}", file=sys.stderr, flush=True)
            del model
            torch.cuda.empty_cache()
    if args.json:
        print(json.dumps(dict(host=platform.node(), device=device, peak=args.peak, torch=torch.__version__,
                              transformers=transformers.__version__, rows=rows)))
        return
    print(f"host {platform.node()} | {device} | torch {torch.__version__} | transformers {transformers.__version__} | "
          f"{args.length}-token sequences, bf16 | MFU peak {args.peak / 1e12:.0f} TFLOP/s")
    print(f"{'shape':<18} {'batch':>5} {'icsweep tok/s':>14} {'(loop)':>8} {'hf tok/s':>10} {'hf experts':>11} "
          f"{'hf compiled':>12} {'ratio':>6} {'MFU icsweep':>12} {'MFU best hf':>12}")
    for r in rows:
        print(f"{r['shape']:<18} {r['batch']:>5} {r['icsweep']:>14.0f} {r['icsweep_loop']:>8.0f} {r['transformers']:>10.0f} "
              f"{r['experts']:>11} {r['transformers_compiled']:>12.0f} {r['ratio']:>6.2f} "
              f"{100 * r['mfu_icsweep']:>11.1f}% {100 * r['mfu_transformers']:>11.1f}%")
    worst = min(r["ratio"] for r in rows)
    print(f"verdict: icsweep/transformers ratio between {worst:.2f} and {max(r['ratio'] for r in rows):.2f}")


if __name__ == "__main__":
    sys.exit(main())
