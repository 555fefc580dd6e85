#!/usr/bin/env python3
"""Generates the FP8 checkpoint fixtures (tests/fixtures_fp8/<name>/) with Hugging Face transformers.

Each fixture is a tiny random model (transformers 5.17, fp32), saved with save_pretrained, whose
decoder-layer linears (every 2-D "*_proj.weight" under model.layers, per expert for MoE) are then
quantized with the published formula (fp8_quant.py) into one FP8 format, in the published tensor
layout, with config.json's quantization_config saying so. Matrix sizes are not multiples of 128
(hidden 160, intermediate 200, ...), so block-scaled formats have partial edge blocks, and q/k/v or
gate/up fused at load do not share a block grid.

logprobs.json holds, per input sequence, two references (-log2 softmax(logits[t])[ids[t+1]], fp32
model, eager attention, log_softmax in float64):
  sequences[i].nll_bits        "dequant": transformers' model with the dequantized weights loaded
                               (q times its scale, the published dequantization, taken in fp32);
  sequences[i].nll_bits_w8a8   "w8a8": the same model with a forward pre-hook on every FP8 linear
                               (and the FP8 experts' two matmuls) that quantizes the input to e4m3 and
                               back (fp8_quant.act_*), emulating the w8a8 FP8 GEMM.
transformers' own FP8 layers need the `kernels` package (Triton finegrained-fp8 / DeepGEMM), which
the GPU machine lacks, so the generator emulates them; and transformers' dequantize=True path derives
the block size from the scale grid (rows / grid rows), which is wrong for partial edge blocks, so the
reference weights are dequantized here with the block size of the config. Both facts are written into
each logprobs.json ("notes").

Run from the repository root on the GPU machine (python3 with torch + transformers 5.17; CPU is enough):
  python3 tests/model/gen_fp8_fixtures.py --out tests/fixtures-fp8-out [--only NAME ...]
The C++ tests read them from tests/fixtures_fp8/ (tests/model/golden_fp8.cpp).
"""
import argparse
import functools
import json
import os
import shutil
import sys
import traceback

import torch
import transformers as tf
from safetensors.torch import load_file, save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fp8_quant as fq  # noqa: E402
from fixture_specs_zoo import DENSE, DS, LENGTHS, cfg, rope  # noqa: E402
from gen_parity_fixtures import bits, perturb, tensor_shapes  # noqa: E402

NOTES = [
    "transformers' FP8 layers (FP8Linear / FP8Experts, CompressedTensorsFP8Linear) need the kernels package, "
    "absent on the machine that made this fixture: nll_bits_w8a8 comes from the dequantized model with every FP8 "
    "linear's input quantized to e4m3 and back by a forward pre-hook (an emulation of the w8a8 GEMM).",
    "nll_bits: the dequantized model (fp8 value x its scale, block size from the config, partial edge blocks), "
    "not transformers' dequantize=True loader, which derives the block size from the scale grid and so misreads "
    "partial edge blocks.",
]
# Dims not multiple of 128: hidden 160 (128 + 32), intermediate 200 (128 + 72).
DENSE_FP8 = dict(DENSE, hidden_size=160, intermediate_size=200, num_attention_heads=4, num_key_value_heads=2)
DS_FP8 = dict(DS, hidden_size=160, intermediate_size=200, moe_intermediate_size=72, q_lora_rank=136,
              rope_parameters=rope(10000.0))
BLOCK_FP8 = {"quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic", "weight_block_size": [128, 128]}


def ct_config(strategy, acts, ignore):
    weights = {"num_bits": 8, "type": "float", "symmetric": True, "dynamic": False, "strategy": strategy,
               "block_structure": [128, 128] if strategy == "block" else None, "group_size": None}
    return {"quant_method": "compressed-tensors", "format": "float-quantized", "quantization_status": "compressed",
            "config_groups": {"group_0": {"targets": ["Linear"], "weights": weights, "format": "float-quantized",
                                          "input_activations": acts}},
            "ignore": ignore}


CT_TOKEN = {"num_bits": 8, "type": "float", "symmetric": True, "dynamic": True, "strategy": "token"}
CT_GROUP = {"num_bits": 8, "type": "float", "symmetric": True, "dynamic": True, "strategy": "group",
            "group_size": 128}

# name -> build(seed) -> (config, model class), format, quantization_config, modules left unquantized.
FIXTURES = {
    "fp8_deepseek_v3_block_f32": dict(
        build=lambda s: (cfg(tf.DeepseekV3Config, DS_FP8, n_routed_experts=8, n_group=2, topk_group=1,
                             norm_topk_prob=True, routed_scaling_factor=2.5, rope_interleave=True),
                         tf.DeepseekV3ForCausalLM),
        fmt="block_f32", qc=BLOCK_FP8, skip=[]),
    "fp8_deepseek_v3_ue8m0": dict(
        build=lambda s: (cfg(tf.DeepseekV3Config, DS_FP8, q_lora_rank=None, n_routed_experts=4, n_group=1,
                             topk_group=1, num_experts_per_tok=1, norm_topk_prob=False, routed_scaling_factor=1.0),
                         tf.DeepseekV3ForCausalLM),
        fmt="block_ue8m0", qc=dict(BLOCK_FP8, scale_fmt="ue8m0"), skip=[]),
    "fp8_llama_block_bf16_scales": dict(
        build=lambda s: (cfg(tf.LlamaConfig, DENSE_FP8, rope_parameters=rope(10000.0)), tf.LlamaForCausalLM),
        fmt="block_bf16", qc=dict(BLOCK_FP8, modules_to_not_convert=["lm_head", "model.layers.0.mlp.down_proj"]),
        skip=["model.layers.0.mlp.down_proj"]),
    "fp8_qwen3_tensor_static": dict(
        build=lambda s: (cfg(tf.Qwen3Config, DENSE_FP8, head_dim=32, rope_parameters=rope(1000000.0)),
                         tf.Qwen3ForCausalLM),
        fmt="tensor_static", qc={"quant_method": "fp8", "activation_scheme": "static", "weight_block_size": None},
        skip=[]),
    "ct_llama_channel": dict(
        build=lambda s: (cfg(tf.LlamaConfig, DENSE_FP8, rope_parameters=rope(10000.0)), tf.LlamaForCausalLM),
        fmt="ct_channel", qc=ct_config("channel", CT_TOKEN, ["lm_head", "re:.*layers\\.0\\.mlp\\.down_proj$"]),
        skip=["model.layers.0.mlp.down_proj"]),
    "ct_llama_tensor": dict(
        build=lambda s: (cfg(tf.LlamaConfig, DENSE_FP8, num_key_value_heads=4, rope_parameters=rope(10000.0)),
                         tf.LlamaForCausalLM),
        fmt="ct_tensor", qc=ct_config("tensor", CT_TOKEN, ["lm_head"]), skip=[]),
    "ct_qwen3_block_padded": dict(
        build=lambda s: (cfg(tf.Qwen3Config, DENSE_FP8, head_dim=40, rope_parameters=rope(1000000.0)),
                         tf.Qwen3ForCausalLM),
        fmt="ct_block_padded", qc=ct_config("block", CT_GROUP, ["lm_head"]), skip=[]),
}


@functools.cache
def e8m0_on_disk():
    """safetensors >= 0.6 writes torch.float8_e8m0fnu as F8_E8M0; older ones cannot: uint8 bytes then."""
    dtype = getattr(torch, "float8_e8m0fnu", None)
    if dtype is None:
        return None
    try:
        probe = "/tmp/_e8m0_probe.safetensors"
        save_file({"x": torch.ones(1).to(dtype)}, probe)
        ok = load_file(probe)["x"].dtype == dtype
        os.remove(probe)
        return dtype if ok else None
    except Exception:
        return None


def is_target(name, tensor, skip):
    """A decoder-layer linear: 2-D "<...>.<x>proj<y>.weight" under model.layers (q_proj, kv_a_proj_with_mqa,
    experts.<e>.gate_proj, ...; not norms, not the router mlp.gate), unless listed in `skip`."""
    if not (name.startswith("model.layers.") and name.endswith(".weight") and tensor.dim() == 2):
        return False
    module = name[:-len(".weight")]
    return "proj" in module.rsplit(".", 1)[1] and module not in skip


def quantize_one(fmt, w, act_scales, module):
    """One weight -> (stored tensors {suffix: tensor}, dequantized fp32 weight)."""
    if fmt in ("block_f32", "block_bf16", "block_ue8m0"):
        q, inv, _ = fq.quantize_block(w, ue8m0=fmt == "block_ue8m0")
        if fmt == "block_bf16":
            inv = inv.to(torch.bfloat16)
        deq = fq.dequantize_block(q, inv.float())
        if fmt == "block_ue8m0":
            dtype = e8m0_on_disk()
            inv = inv.to(dtype) if dtype is not None else fq.ue8m0_bytes(inv)
        return {"weight": q, "weight_scale_inv": inv}, deq
    if fmt == "tensor_static":
        q, inv, deq = fq.quantize_tensor(w)
        return {"weight": q, "weight_scale_inv": inv, "activation_scale": act_scales[module].reshape(())}, deq
    if fmt == "ct_channel":
        q, scale, deq = fq.quantize_channel(w)
        return {"weight": q, "weight_scale": scale}, deq
    if fmt == "ct_tensor":
        q, inv, deq = fq.quantize_tensor(w)
        return {"weight": q, "weight_scale": inv.reshape(1)}, deq
    if fmt == "ct_block_padded":
        q, scale, deq = fq.quantize_block_padded(w)
        return {"weight": q, "weight_scale": scale,
                "weight_shape_original": torch.tensor(list(w.shape), dtype=torch.int64)}, deq
    raise ValueError(fmt)


def calibrate(model, seqs, targets):
    """Static activation scales: amax of each target linear's input over `seqs`, / 448."""
    amax, hooks = {}, []
    for name, mod in model.named_modules():
        if name in targets and isinstance(mod, torch.nn.Linear):
            def hook(m, args, name=name):
                amax[name] = torch.maximum(amax.get(name, torch.tensor(0.0)), args[0].detach().abs().amax().float())
            hooks.append(mod.register_forward_pre_hook(hook))
    with torch.no_grad():
        for s in seqs:
            model(input_ids=torch.tensor([s]))
    for h in hooks:
        h.remove()
    return {k: (v / fq.FP8_MAX).float() for k, v in amax.items()}


def act_fn(fmt, act_scales):
    if fmt == "tensor_static":
        return lambda name: (lambda x: fq.act_static(x, act_scales[name]))
    if fmt in ("ct_channel", "ct_tensor"):
        return lambda name: fq.act_token
    return lambda name: fq.act_group


def expert_forward_w8a8(act):
    """DeepseekV3Experts.forward (transformers 5.17, eager loop) with both matmuls' inputs quantized."""
    def forward(self, hidden_states, top_k_index, top_k_weights):
        final = torch.zeros_like(hidden_states)
        mask = torch.nn.functional.one_hot(top_k_index, num_classes=self.num_experts).permute(2, 1, 0)
        for e in torch.greater(mask.sum(dim=(-1, -2)), 0).nonzero():
            e = e[0]
            top_k_pos, token_idx = torch.where(mask[e])
            gate, up = torch.nn.functional.linear(act(hidden_states[token_idx]), self.gate_up_proj[e]).chunk(2, -1)
            h = torch.nn.functional.linear(act(self.act_fn(gate) * up), self.down_proj[e])
            final.index_add_(0, token_idx, (h * top_k_weights[token_idx, top_k_pos, None]).to(final.dtype))
        return final
    return forward


def install_w8a8(model, targets, act_for):
    """Hooks every FP8 linear (and stacked FP8 experts); raises unless every quantized tensor is covered."""
    n, covered = 0, set()
    for name, mod in model.named_modules():
        if name in targets and isinstance(mod, torch.nn.Linear):
            act = act_for(name)
            mod.register_forward_pre_hook(lambda m, args, act=act: (act(args[0]),) + tuple(args[1:]))
            n += 1
            covered.add(name)
        elif hasattr(mod, "gate_up_proj") and hasattr(mod, "down_proj") and name + ".0.gate_proj" in targets:
            mod.forward = expert_forward_w8a8(act_for(name)).__get__(mod)
            n += 1
            covered |= {t for t in targets if t.startswith(name + ".")}
    if covered != targets:
        raise RuntimeError(f"w8a8 emulation misses FP8 modules: {sorted(targets - covered)[:8]}")
    return n


def gen_fixture(name, spec, out_dir, seed):
    torch.manual_seed(seed)
    config, model_cls = spec["build"](seed)
    model = model_cls(config).float().eval()
    perturb(model, seed + 1, all_biases=True)
    path = os.path.join(out_dir, name)
    shutil.rmtree(path, ignore_errors=True)
    model.save_pretrained(path)
    gen_cfg = os.path.join(path, "generation_config.json")
    if os.path.exists(gen_cfg):
        os.remove(gen_cfg)
    g = torch.Generator().manual_seed(seed + 2)
    seqs = [torch.randint(0, config.vocab_size, (n,), generator=g).tolist() for n in LENGTHS]

    st = os.path.join(path, "model.safetensors")
    src = load_file(st)
    targets = {k[:-len(".weight")] for k, v in src.items() if is_target(k, v, spec["skip"])}
    act_scales = calibrate(model, seqs, targets) if spec["fmt"] == "tensor_static" else {}
    stored, deq = {}, {}
    for k, v in src.items():
        if k.endswith(".weight") and k[:-len(".weight")] in targets:
            module = k[:-len(".weight")]
            parts, deq[k] = quantize_one(spec["fmt"], v, act_scales, module)
            for suffix, t in parts.items():
                stored[module + "." + suffix] = t.contiguous()
        else:
            stored[k] = deq[k] = v.contiguous()

    # The dequantized reference: the same config without quantization, the dequantized weights.
    deq_dir = path + ".dequantized"
    shutil.rmtree(deq_dir, ignore_errors=True)
    shutil.copytree(path, deq_dir)
    save_file(deq, os.path.join(deq_dir, "model.safetensors"), metadata={"format": "pt"})
    ref = model_cls.from_pretrained(deq_dir, attn_implementation="eager").float().eval()
    shutil.rmtree(deq_dir)
    dequant_bits = [bits(ref, s) for s in seqs]
    hooked = install_w8a8(ref, targets, act_fn(spec["fmt"], act_scales))
    w8a8_bits = [bits(ref, s) for s in seqs]

    save_file(stored, st, metadata={"format": "pt"})
    with open(os.path.join(path, "config.json")) as fh:
        cj = json.load(fh)
    cj["quantization_config"] = spec["qc"]
    with open(os.path.join(path, "config.json"), "w") as fh:
        json.dump(cj, fh, indent=1)
    out = {
        "generator": "tests/model/gen_fp8_fixtures.py",
        "transformers": tf.__version__,
        "torch": torch.__version__,
        "architecture": model_cls.__name__,
        "format": spec["fmt"],
        "quantization_config": spec["qc"],
        "quantized_modules": len(targets),
        "w8a8_hooked_modules": hooked,
        "notes": NOTES,
        "tensors": tensor_shapes(st),
        "batch_invariant": True,
        "attn_implementation": "eager",
        "sequences": [{"ids": s, "nll_bits": d, "nll_bits_w8a8": w}
                      for s, d, w in zip(seqs, dequant_bits, w8a8_bits)],
    }
    with open(os.path.join(path, "logprobs.json"), "w") as f:
        json.dump(out, f, indent=1)
    return len(targets), hooked


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="tests/fixtures-fp8-out")
    ap.add_argument("--only", nargs="*", default=None)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    print(f"transformers {tf.__version__}, torch {torch.__version__}, e8m0 on disk: {e8m0_on_disk()}")
    failures = 0
    for i, (name, spec) in enumerate(FIXTURES.items()):
        if args.only and name not in args.only:
            continue
        try:
            n, hooked = gen_fixture(name, spec, args.out, seed=5000 + i)
            print(f"{name:30s} ok  {n} FP8 linears, {hooked} hooked for w8a8")
        except Exception:
            failures += 1
            print(f"{name:30s} FAILED")
            traceback.print_exc()
    print("verdict:", "all fixtures written" if failures == 0 else f"{failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
