#!/usr/bin/env python3
"""Generates the model parity fixtures (tests/fixtures/<name>/) with Hugging Face transformers.

Each fixture is a tiny random checkpoint saved with save_pretrained (config.json +
model.safetensors, fp32) plus logprobs.json: input id sequences and, per sequence, the
log-probability in bits of every next token, -log2 softmax(logits[t])[ids[t+1]], computed by
transformers in fp32 with eager attention (log_softmax taken in float64 from the fp32 logits).
tests/model/golden_parity.cpp checks icsweep's forward against them.

With --tiny DIR..., it also loads checkpoints written by `icsweep make-tiny-model` with
AutoModelForCausalLM + AutoTokenizer (proof that transformers accepts them), encodes a few texts
and writes the same kind of logprobs.json to <out>/tiny_cli_<dirname>/.

Run on the GPU machine (python3 with torch + transformers):
  python3 tests/model/gen_parity_fixtures.py [--out tests/fixtures] [--only NAME ...] [--tiny .carry/tiny_llama ...]
It rewrites <out>/index.json (fixture_index.py) over every fixture folder in <out>: the one list the
C++ parity and split tests are instantiated over. A new family adds its spec at the end of fixture_specs_hybrid.py (seeds follow the list order).
"""
import argparse
import hashlib
import inspect
import json
import math
import os
import shutil
import sys
import traceback

import torch
import transformers

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture_index  # noqa: E402
import fixture_specs_2026  # noqa: E402
import fixture_specs_hybrid  # noqa: E402
import fixture_specs_zoo  # noqa: E402
from transformers import (AutoModelForCausalLM, AutoTokenizer, GPT2Config, GPT2LMHeadModel, GPTNeoXConfig,
                          GPTNeoXForCausalLM, LlamaConfig, LlamaForCausalLM, MistralConfig, MistralForCausalLM,
                          Olmo2Config, Olmo2ForCausalLM, Phi3Config, Phi3ForCausalLM, Qwen2Config, Qwen2ForCausalLM,
                          Qwen3Config, Qwen3ForCausalLM)

# name -> (config class, model class, config kwargs, rope (theta, scaling or None) or None for learned
#          positions, seq lengths, batch_invariant[, base kwargs instead of BASE]). Lengths form one
#          right-padded batch in the C++ test unless the rope depends on the batch's length (dynamic
#          NTK, longrope).
BASE = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=2, vocab_size=256, max_position_embeddings=256, rms_norm_eps=1e-6,
            initializer_range=0.1, tie_word_embeddings=False)
LENGTHS = [24, 9, 16, 2]
# GPT-2 and GPT-NeoX configs take their own keys (no kv heads, LayerNorm eps).
GPT2_BASE = dict(n_embd=64, n_layer=2, n_head=4, vocab_size=256, n_positions=64, layer_norm_epsilon=1e-5,
                 initializer_range=0.1)
NEOX_BASE = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4, vocab_size=256,
                 max_position_embeddings=256, layer_norm_eps=1e-5, initializer_range=0.1, tie_word_embeddings=False)
# Phi3Config defaults pad_token_id to 32000, outside these vocabularies.
PHI3_IDS = dict(pad_token_id=0, bos_token_id=1, eos_token_id=2)
LONGROPE = {"rope_type": "longrope", "original_max_position_embeddings": 16,
            "short_factor": [1.0, 1.05, 1.1, 1.2, 1.3, 1.4, 1.45, 1.5],
            "long_factor": [1.0, 1.5, 2.0, 3.0, 4.0, 5.5, 7.0, 8.0]}

FIXTURES = {
    "llama_gqa": (LlamaConfig, LlamaForCausalLM, dict(), (10000.0, None), LENGTHS, True),
    "llama_mha_tied_bias": (LlamaConfig, LlamaForCausalLM,
                            dict(hidden_size=48, num_key_value_heads=4, vocab_size=200, tie_word_embeddings=True,
                                 attention_bias=True, mlp_bias=True, intermediate_size=96),
                            (500000.0, None), LENGTHS, True),
    "qwen2_bias": (Qwen2Config, Qwen2ForCausalLM, dict(vocab_size=240, use_sliding_window=False),
                   (1000000.0, None), LENGTHS, True),
    "qwen2_window_tied": (Qwen2Config, Qwen2ForCausalLM,
                          dict(vocab_size=224, use_sliding_window=True, sliding_window=6, max_window_layers=1,
                               tie_word_embeddings=True, num_key_value_heads=1),
                          (10000.0, None), LENGTHS, True),
    "mistral_window_head_dim": (MistralConfig, MistralForCausalLM,
                                dict(sliding_window=8, head_dim=32, num_key_value_heads=1, vocab_size=256),
                                (10000.0, None), LENGTHS, True),
    "llama3_rope": (LlamaConfig, LlamaForCausalLM, dict(),
                    (10000.0, {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                               "high_freq_factor": 4.0, "original_max_position_embeddings": 32}), LENGTHS, True),
    "llama_linear_rope": (LlamaConfig, LlamaForCausalLM, dict(),
                          (10000.0, {"rope_type": "linear", "factor": 2.0}), LENGTHS, True),
    "llama_yarn_rope": (LlamaConfig, LlamaForCausalLM, dict(),
                        (10000.0, {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 64}),
                        LENGTHS, True),
    "llama_dynamic_rope": (LlamaConfig, LlamaForCausalLM, dict(max_position_embeddings=16),
                           (10000.0, {"rope_type": "dynamic", "factor": 2.0}), [24, 12], False),
    "qwen3_gqa_head_dim": (Qwen3Config, Qwen3ForCausalLM, dict(head_dim=32, vocab_size=248),
                           (1000000.0, None), LENGTHS, True),
    "qwen3_mha_tied_bias_window": (Qwen3Config, Qwen3ForCausalLM,
                                   dict(hidden_size=48, num_key_value_heads=4, head_dim=16, vocab_size=200,
                                        intermediate_size=96, tie_word_embeddings=True, attention_bias=True,
                                        use_sliding_window=True, sliding_window=6, max_window_layers=1),
                                   (10000.0, None), LENGTHS, True),
    "olmo2_gqa": (Olmo2Config, Olmo2ForCausalLM, dict(vocab_size=232), (500000.0, None), LENGTHS, True),
    "olmo2_mha_tied_bias": (Olmo2Config, Olmo2ForCausalLM,
                            dict(hidden_size=48, num_key_value_heads=4, vocab_size=200, intermediate_size=96,
                                 tie_word_embeddings=True, attention_bias=True),
                            (10000.0, None), LENGTHS, True),
    "gpt2_tied": (GPT2Config, GPT2LMHeadModel, dict(), None, LENGTHS, True, GPT2_BASE),
    "gpt2_untied_layer_scale": (GPT2Config, GPT2LMHeadModel,
                                dict(n_embd=48, n_inner=96, vocab_size=200, tie_word_embeddings=False,
                                     scale_attn_by_inverse_layer_idx=True, activation_function="gelu"),
                                None, LENGTHS, True, GPT2_BASE),
    "gpt_neox_parallel": (GPTNeoXConfig, GPTNeoXForCausalLM, dict(rotary_pct=0.25, use_parallel_residual=True),
                          (10000.0, None), LENGTHS, True, NEOX_BASE),
    "gpt_neox_sequential_tied": (GPTNeoXConfig, GPTNeoXForCausalLM,
                                 dict(hidden_size=48, intermediate_size=96, vocab_size=200, rotary_pct=0.5,
                                      use_parallel_residual=False, attention_bias=False, tie_word_embeddings=True),
                                 (1000.0, None), LENGTHS, True, NEOX_BASE),
    "phi3_gqa": (Phi3Config, Phi3ForCausalLM, dict(vocab_size=256, **PHI3_IDS), (10000.0, None), LENGTHS, True),
    "phi3_mha_tied_partial": (Phi3Config, Phi3ForCausalLM,
                              dict(hidden_size=48, num_key_value_heads=4, vocab_size=200, intermediate_size=96,
                                   tie_word_embeddings=True, partial_rotary_factor=0.5, **PHI3_IDS),
                              (10000.0, None), LENGTHS, True),
    "phi3_longrope": (Phi3Config, Phi3ForCausalLM,
                      dict(vocab_size=256, max_position_embeddings=64, original_max_position_embeddings=16,
                           **PHI3_IDS),
                      (10000.0, LONGROPE), [24, 9, 17, 16], False),
}

TEXTS = [
    "The information capacity of a language model.",
    "Tokens: 2024, 3.14159; naïve café — 中文 😀!",
    "  leading spaces\nand a second line\twith a tab",
    "a",
]


def make_config(cls, kwargs, rope, base=BASE):
    kw = dict(base)
    kw.update(kwargs)
    if rope is None:  # learned positions (GPT-2)
        return cls(**kw)
    theta, scaling = rope
    params = inspect.signature(cls.__init__).parameters
    if "rope_parameters" in params:  # transformers 5
        rp = {"rope_type": "default", "rope_theta": theta}
        if scaling:
            rp.update(scaling)
        kw["rope_parameters"] = rp
    else:
        kw["rope_theta"] = theta
        kw["rope_scaling"] = scaling
    return cls(**kw)


def bits(model, ids):
    """Per-token NLL bits of one sequence (list of ints) -> list of floats (len(ids) - 1)."""
    with torch.no_grad():
        x = torch.tensor([ids], dtype=torch.long)
        logits = model(input_ids=x).logits[0].float()  # (T, V) fp32
        logp = torch.log_softmax(logits.double(), dim=-1)
        nll = -logp[:-1].gather(1, x[0, 1:, None]).squeeze(1) / math.log(2.0)
    return [float(v) for v in nll]


def tensor_shapes(path):
    """name -> [dtype, shape] from the safetensors header: the layout the fixture tests."""
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
    return {k: [v["dtype"], v["shape"]] for k, v in sorted(header.items()) if k != "__metadata__"}


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def perturb(model, seed, all_biases=False):
    # transformers initialises norms to 1 and biases (attention sinks, router score corrections) to 0;
    # perturb them so their code paths matter.
    g = torch.Generator().manual_seed(seed)
    bias = (lambda n: n.endswith("bias") or n.endswith(".sinks")) if all_biases else (lambda n: n.endswith(".bias"))
    with torch.no_grad():
        for name, p in list(model.named_parameters()) + list(model.named_buffers()):
            if not p.is_floating_point():
                continue
            if "norm" in name or ".ln_" in name:
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
            elif bias(name):
                p.copy_(0.1 * torch.randn(p.shape, generator=g))


def gen_fixture(name, spec, out_dir, seed):
    torch.manual_seed(seed)
    after, attn = None, "eager"
    if isinstance(spec, dict):  # fixture_specs_zoo.py, fixture_specs_2026.py
        config, model_cls = spec["build"](seed)
        lengths, batch_invariant, after, attn = spec["lengths"], spec["batch_invariant"], spec["after"], spec["attn"]
    else:
        cfg_cls, model_cls, kwargs, rope, lengths, batch_invariant = spec[:6]
        config = make_config(cfg_cls, kwargs, rope, spec[6] if len(spec) > 6 else BASE)
    model = model_cls(config).float().eval()
    perturb(model, seed + 1, all_biases=isinstance(spec, dict))
    path = os.path.join(out_dir, name)
    os.makedirs(path, exist_ok=True)
    model.save_pretrained(path)
    for extra in ("generation_config.json",):
        if os.path.exists(os.path.join(path, extra)):
            os.remove(os.path.join(path, extra))
    # Reload from disk to score exactly what the fixture holds (after rewriting it into the
    # published layout, when the spec says so).
    model = model_cls.from_pretrained(path, attn_implementation=attn).float().eval()
    if after is not None:
        model = after(path, model)
    config = getattr(config, "text_config", None) or config
    g = torch.Generator().manual_seed(seed + 2)
    seqs = [torch.randint(0, config.vocab_size, (n,), generator=g).tolist() for n in lengths]
    out = {
        "generator": "tests/model/gen_parity_fixtures.py",
        "transformers": transformers.__version__,
        "torch": torch.__version__,
        "architecture": model_cls.__name__,
        "tensors": tensor_shapes(os.path.join(path, "model.safetensors")),
        "batch_invariant": batch_invariant,
        "attn_implementation": attn,
        "sequences": [{"ids": s, "nll_bits": bits(model, s)} for s in seqs],
    }
    with open(os.path.join(path, "logprobs.json"), "w") as f:
        json.dump(out, f, indent=1)
    return os.path.getsize(os.path.join(path, "model.safetensors"))


def gen_tiny_cli(src, out_dir):
    name = "tiny_cli_" + os.path.basename(os.path.normpath(src))
    tok = AutoTokenizer.from_pretrained(src)
    model = AutoModelForCausalLM.from_pretrained(src, attn_implementation="eager").float().eval()
    bos = tok.convert_tokens_to_ids("<|endoftext|>")
    seqs = []
    for text in TEXTS:
        ids = tok(text, add_special_tokens=True)["input_ids"]
        assert ids[0] == bos, f"{src}: encode does not start with BOS: {ids[:5]}"
        seqs.append({"text": text, "ids": ids, "decoded": tok.decode(ids), "nll_bits": bits(model, ids)})
    path = os.path.join(out_dir, name)
    os.makedirs(path, exist_ok=True)
    out = {
        "generator": "tests/model/gen_parity_fixtures.py --tiny",
        "transformers": transformers.__version__,
        "torch": torch.__version__,
        "architecture": type(model).__name__,
        "tokenizer_class": type(tok).__name__,
        "tokenizer_len": len(tok),
        "bos_id": bos,
        "config": json.load(open(os.path.join(src, "config.json"))),
        "safetensors_sha256": sha256(os.path.join(src, "model.safetensors")),
        "batch_invariant": True,
        "sequences": seqs,
    }
    with open(os.path.join(path, "logprobs.json"), "w") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
    return name


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=fixture_index.DEFAULT_DIR)
    ap.add_argument("--tiny", nargs="*", default=[])
    ap.add_argument("--only", nargs="*", default=None)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    print(f"transformers {transformers.__version__}, torch {torch.__version__}")
    failures = 0
    for i, (name, spec) in enumerate(list(FIXTURES.items()) + list(fixture_specs_zoo.FIXTURES.items()) +
                                     list(fixture_specs_2026.FIXTURES.items()) +
                                     list(fixture_specs_hybrid.FIXTURES.items())):
        if args.only and name not in args.only:
            continue
        try:
            pinned = spec.get("seed") if isinstance(spec, dict) else None
            size = gen_fixture(name, spec, args.out, seed=1000 + i if pinned is None else pinned)
            print(f"{name:28s} ok  model.safetensors {size} bytes")
        except Exception:
            failures += 1
            print(f"{name:28s} FAILED")
            traceback.print_exc()
    for src in args.tiny:
        try:
            print(f"{gen_tiny_cli(src, args.out):28s} ok  (transformers loaded {src})")
        except Exception:
            failures += 1
            print(f"{src:28s} FAILED")
            traceback.print_exc()
    print(f"index: {len(fixture_index.write_index(args.out))} fixtures in {os.path.join(args.out, 'index.json')}")
    print("verdict:", "all fixtures written" if failures == 0 else f"{failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
