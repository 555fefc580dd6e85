#!/usr/bin/env python3
"""FP8 checkpoints on the GPU machine: resident bytes and tokens/s of w8a8 vs dequant vs the bf16 twin.

For each shape (random weights of the published per-layer shapes, depth cut to fit the disk), writes two
checkpoints holding the same model: the FP8 one in the format that family publishes (quantized with the
published formulas, tests/model/fp8_quant.py) and its bf16 twin (every quantized weight stored as its
dequantized value, in bf16). Then, in this one run:
  - bench_scorer on the twin (bf16), on the FP8 checkpoint with --fp8-mode dequant and with w8a8: tokens/s,
    the loader's resident weight bytes and the bytes the CUDA allocator held after loading;
  - `icsweep score` end to end (tokenizer, dataset, NLL, report) on the FP8 checkpoint in both modes and on
    the twin, with a small tokenizer copied from tests/data/tokenizers/pipelines (ids below every vocabulary).

  python3 bench/bench_fp8.py --build build-gpu [--shapes ministral-3-3b,deepseek-v3] [--batches 8,32]

Shapes: ministral-3-3b (Ministral3ForCausalLM, all 26 layers, per-tensor FP8 with static activation scales
as Mistral publishes its FP8 checkpoints) and deepseek-v3 (DeepseekV3ForCausalLM, 2 of 61 layers: one
dense, one with all 256 experts; [128, 128] block FP8 as DeepSeek publishes it).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "model"))
import fp8_quant as fq  # noqa: E402

PIPELINES = os.path.join(HERE, "..", "tests", "data", "tokenizers", "pipelines")


def ministral_3_3b():
    config = dict(architectures=["Ministral3ForCausalLM"], model_type="ministral3", hidden_size=3072,
                  intermediate_size=9216, num_hidden_layers=26, num_attention_heads=32, num_key_value_heads=8,
                  head_dim=128, vocab_size=131072, tie_word_embeddings=True, rms_norm_eps=1e-5,
                  max_position_embeddings=262144, hidden_act="silu", torch_dtype="bfloat16",
                  rope_parameters=dict(rope_type="yarn", rope_theta=1000000.0, factor=16.0,
                                       original_max_position_embeddings=16384, beta_fast=32.0, beta_slow=1.0,
                                       mscale=1.0, mscale_all_dim=1.0, llama_4_scaling_beta=0.1))
    qc = dict(quant_method="fp8", activation_scheme="static", weight_block_size=None, dequantize=False,
              modules_to_not_convert=["lm_head"])
    d, f, hd = 3072, 9216, 128
    tensors = [("model.embed_tokens.weight", (131072, d), "embed"), ("model.norm.weight", (d,), "norm")]
    for i in range(26):
        p = f"model.layers.{i}."
        tensors += [(p + "input_layernorm.weight", (d,), "norm"), (p + "post_attention_layernorm.weight", (d,), "norm"),
                    (p + "self_attn.q_proj.weight", (32 * hd, d), "linear"),
                    (p + "self_attn.k_proj.weight", (8 * hd, d), "linear"),
                    (p + "self_attn.v_proj.weight", (8 * hd, d), "linear"),
                    (p + "self_attn.o_proj.weight", (d, 32 * hd), "linear"),
                    (p + "mlp.gate_proj.weight", (f, d), "linear"), (p + "mlp.up_proj.weight", (f, d), "linear"),
                    (p + "mlp.down_proj.weight", (d, f), "linear")]
    return config, qc, "tensor_static", tensors, "mistral-v03"


def deepseek_v3():
    with open(os.path.join(HERE, "..", "tests", "config", "published", "deepseek-v3.json")) as fh:
        config = json.load(fh)
    qc = config.pop("quantization_config")
    config.pop("auto_map", None)
    config.update(num_hidden_layers=2, first_k_dense_replace=1, torch_dtype="bfloat16")
    d, f, fe, heads = 7168, 18432, 2048, 128
    tensors = [("model.embed_tokens.weight", (129280, d), "embed"), ("model.norm.weight", (d,), "norm"),
               ("lm_head.weight", (129280, d), "embed")]
    for i in range(2):
        p = f"model.layers.{i}."
        tensors += [(p + "input_layernorm.weight", (d,), "norm"), (p + "post_attention_layernorm.weight", (d,), "norm"),
                    (p + "self_attn.q_a_proj.weight", (1536, d), "linear"),
                    (p + "self_attn.q_a_layernorm.weight", (1536,), "norm"),
                    (p + "self_attn.q_b_proj.weight", (heads * 192, 1536), "linear"),
                    (p + "self_attn.kv_a_proj_with_mqa.weight", (512 + 64, d), "linear"),
                    (p + "self_attn.kv_a_layernorm.weight", (512,), "norm"),
                    (p + "self_attn.kv_b_proj.weight", (heads * 256, 512), "linear"),
                    (p + "self_attn.o_proj.weight", (d, heads * 128), "linear")]
        mlp = [(p + "mlp.", f)] if i == 0 else [(p + f"mlp.experts.{e}.", fe) for e in range(256)]
        if i > 0:
            mlp.append((p + "mlp.shared_experts.", fe))
            tensors += [(p + "mlp.gate.weight", (256, d), "embed"), (p + "mlp.gate.e_score_correction_bias", (256,), "bias")]
        for m, width in mlp:
            tensors += [(m + "gate_proj.weight", (width, d), "linear"), (m + "up_proj.weight", (width, d), "linear"),
                        (m + "down_proj.weight", (d, width), "linear")]
    return config, qc, "block", tensors, "deepseek-v3"


SHAPES = {"ministral-3-3b": ministral_3_3b, "deepseek-v3": deepseek_v3}


def write_checkpoints(shape, root):
    """Writes root/fp8 and root/bf16 (config.json, shards, tokenizer); returns their directories."""
    config, qc, fmt, tensors, tokenizer = SHAPES[shape]()
    dirs = {kind: os.path.join(root, kind) for kind in ("fp8", "bf16")}
    generator = torch.Generator("cuda").manual_seed(0)
    shard, shard_bytes, index = {"fp8": {}, "bf16": {}}, 0, 0
    weight_map = {"fp8": {}, "bf16": {}}

    def flush():
        nonlocal shard, shard_bytes, index
        for kind in dirs:
            name = f"model-{index:05d}.safetensors"
            save_file(shard[kind], os.path.join(dirs[kind], name), metadata={"format": "pt"})
            weight_map[kind].update({k: name for k in shard[kind]})
        shard, shard_bytes, index = {"fp8": {}, "bf16": {}}, 0, index + 1

    for kind in dirs:
        os.makedirs(dirs[kind])
    for name, dims, role in tensors:
        if role == "norm":
            w = torch.ones(dims, device="cuda")
        elif role == "bias":
            w = torch.zeros(dims, device="cuda")
        else:
            w = torch.randn(dims, device="cuda", generator=generator) * 0.02
        if role != "linear":
            shard["bf16"][name] = shard["fp8"][name] = (w if role == "bias" else w.to(torch.bfloat16)).cpu()
        else:
            module = name[:-len(".weight")]
            if fmt == "block":
                q, inv, deq = fq.quantize_block(w)
                shard["fp8"][module + ".weight_scale_inv"] = inv.cpu()
            else:  # per-tensor, static activation scale (a 2.0 amax calibration for unit-scale inputs)
                q, inv, deq = fq.quantize_tensor(w)
                shard["fp8"][module + ".weight_scale_inv"] = inv.cpu()
                shard["fp8"][module + ".activation_scale"] = torch.tensor(8.0 / fq.FP8_MAX)
            shard["fp8"][name] = q.cpu()
            shard["bf16"][name] = deq.to(torch.bfloat16).cpu()
        shard_bytes += w.numel() * 3
        if shard_bytes > 6e9:
            flush()
    flush()
    for kind in dirs:
        c = dict(config, **({"quantization_config": qc} if kind == "fp8" else {}))
        with open(os.path.join(dirs[kind], "config.json"), "w") as fh:
            json.dump(c, fh, indent=2)
        with open(os.path.join(dirs[kind], "model.safetensors.index.json"), "w") as fh:
            json.dump({"metadata": {}, "weight_map": weight_map[kind]}, fh)
        for f in os.listdir(os.path.join(PIPELINES, tokenizer)):
            shutil.copy(os.path.join(PIPELINES, tokenizer, f), dirs[kind])
    return dirs


def bench(build, directory, mode, batch, length, iters):
    cmd = [os.path.join(build, "bench", "bench_scorer"), "--model", directory, "--dtype", "bfloat16", "--batch",
           str(batch), "--length", str(length), "--iters", str(iters), "--fp8-mode", mode, "--json"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def score_end_to_end(build, directory, mode, data):
    cmd = [os.path.join(build, "icsweep"), "score", "-m", directory, "-d", data, "--dtype", "bfloat16",
           "--fp8-mode", mode, "-f", "json"]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        return {"error": out.stderr.strip()[-400:]}
    return json.loads(out.stdout)


def write_dataset(path, count=64):
    """count JSONL samples: paragraphs of this repository's design notes (real English text)."""
    with open(os.path.join(HERE, "..", "docs", "design.md")) as fh:
        paragraphs = [p.strip() for p in fh.read().split("\n\n") if len(p.strip()) > 200]
    with open(path, "w") as fh:
        for i in range(count):
            fh.write(json.dumps({"text": paragraphs[i % len(paragraphs)]}) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default="build-gpu")
    parser.add_argument("--shapes", default="ministral-3-3b,deepseek-v3")
    parser.add_argument("--batches", default="8,32")
    parser.add_argument("--length", type=int, default=1024)
    parser.add_argument("--iters", type=int, default=5)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(dir="/tmp") as scratch:
        data = os.path.join(scratch, "design_paragraphs.jsonl")
        write_dataset(data)
        for shape in args.shapes.split(","):
            root = os.path.join(scratch, shape)
            dirs = write_checkpoints(shape, root)
            torch.cuda.empty_cache()
            for label, directory, mode in (("bf16", dirs["bf16"], "auto"), ("fp8 dequant", dirs["fp8"], "dequant"),
                                           ("fp8 w8a8", dirs["fp8"], "w8a8")):
                e2e = score_end_to_end(args.build, directory, mode, data)
                print(f"{shape} {label}: icsweep score end to end: {json.dumps(e2e)[:600]}", file=sys.stderr, flush=True)
                for batch in [int(b) for b in args.batches.split(",")]:
                    try:
                        r = bench(args.build, directory, mode, batch, args.length, args.iters)
                    except subprocess.CalledProcessError as e:
                        print(f"{shape} {label} batch {batch}: {e.stderr[-400:]}", file=sys.stderr)
                        continue
                    rows.append(dict(shape=shape, weights=label, batch=batch, tok_s=r["tokens_per_second"],
                                     resident_gb=r["load_gigabytes"], allocated_gb=r["allocated_after_load"] / 1e9))
                    print(f"row: {json.dumps(rows[-1])}", file=sys.stderr, flush=True)
            shutil.rmtree(root)
    print(f"{torch.cuda.get_device_name(0)} | torch {torch.__version__} | {args.length}-token sequences")
    print(f"{'shape':<16} {'weights':<12} {'batch':>5} {'tok/s':>10} {'vs bf16':>8} {'resident GB':>12} {'allocated GB':>13}")
    for r in rows:
        base = next((b["tok_s"] for b in rows if b["shape"] == r["shape"] and b["batch"] == r["batch"]
                     and b["weights"] == "bf16"), float("nan"))
        print(f"{r['shape']:<16} {r['weights']:<12} {r['batch']:>5} {r['tok_s']:>10.0f} {r['tok_s'] / base:>8.2f} "
              f"{r['resident_gb']:>12.2f} {r['allocated_gb']:>13.2f}")


if __name__ == "__main__":
    sys.exit(main())
