#!/usr/bin/env python3
"""Generates tests/fixtures/reference_cells/: tiny checkpoints saved by transformers and the numbers the
reference script (calc_ic.py of the information-capacity study) prints for them, computed here the way
that script computes them, with transformers and tokenizers:

  text size   per sample: ids = tokenizer.encode(text, truncation=True, max_length=L); ids = ids[1:];
              8 * len(decode(ids).encode("utf-8")) / len(ids); `constant` = mean, rounded to 2 decimals
  NLL         AutoModelForCausalLM.from_pretrained(dir, dtype="auto"); each sample padded to L with the
              eos token and an attention mask; softmax of logits[..., :len(tokenizer)] in float32,
              -log2 of the next token's probability, padded positions NaN; nanmean over every token
  TFLOPs      the reference formula for decoding T = L tokens (docs/design.md section 1.4); where config.json
              lacks a key the formula reads at the top level (GPT-2 spells hidden_size n_embd), the same
              formula on the values transformers' config class gives (GPT2Config maps hidden_size to
              n_embd; GPT2MLP's width is n_inner or 4 * n_embd)
  ic          (constant - NLL + b) / log2(TFLOPs * 1e12 / T) with b = -27; information_capacity with b = 0

Models (random weights, fixed seeds; large init so that dtypes give different NLL):
  llama_fp32   LlamaForCausalLM, config.json dtype float32, its own byte-level BPE tokenizer with BOS
  gpt2_fp32    GPT2LMHeadModel as transformers saves it (n_embd, n_layer, n_head, n_inner null)
Data: data.jsonl, paragraphs of this repository's docs/analysis.md.

Run on the GPU machine (transformers 5.17):  python3 tests/model/gen_reference_cells.py --out OUTDIR
then copy OUTDIR/* to tests/fixtures/reference_cells/.
"""
import argparse
import json
import math
import os

import torch
import transformers
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import (AutoConfig, AutoModelForCausalLM, AutoTokenizer, GPT2Config, GPT2LMHeadModel,
                          LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast)

MAX_LENGTH = 64
BIAS = -27.0
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def paragraphs():
    text = open(os.path.join(REPO, "docs", "analysis.md"), encoding="utf-8").read()
    out = [p.strip() for p in text.split("\n\n") if len(p.strip()) > 40]
    return out[:14]


def make_tokenizer(texts, style):
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    specials = ["<|endoftext|>"] if style == "gpt2" else ["<s>", "</s>"]
    trainer = trainers.BpeTrainer(vocab_size=300, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    bpe.train_from_iterator(texts, trainer)
    if style == "gpt2":
        bpe.post_processor = processors.ByteLevel(trim_offsets=False)
        return PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token="<|endoftext|>", eos_token="<|endoftext|>")
    bpe.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", bpe.token_to_id("<s>"))])
    return PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token="<s>", eos_token="</s>")


def make_model(style, vocab, out):
    torch.manual_seed(1234 if style == "llama" else 4321)
    if style == "llama":
        cfg = LlamaConfig(vocab_size=vocab, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                          num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
                          initializer_range=0.5, tie_word_embeddings=False, bos_token_id=0, eos_token_id=1)
        model = LlamaForCausalLM(cfg)
    else:
        cfg = GPT2Config(vocab_size=vocab, n_embd=32, n_layer=2, n_head=4, n_positions=128, initializer_range=0.5,
                         bos_token_id=0, eos_token_id=0)
        model = GPT2LMHeadModel(cfg)
    model.to(torch.float32).save_pretrained(out)


def reference_tflops(model_dir, T):
    raw = json.load(open(os.path.join(model_dir, "config.json")))
    cfg = AutoConfig.from_pretrained(model_dir)
    note = ""
    if "hidden_size" in raw:
        d, n, h = raw["hidden_size"], raw["num_hidden_layers"], raw["num_attention_heads"]
        h_kv = raw.get("num_key_value_heads", h)
        f = raw["intermediate_size"]
    else:  # the reference script stops here (KeyError); the config class's values instead
        d, n, h = cfg.hidden_size, cfg.num_hidden_layers, cfg.num_attention_heads
        h_kv = getattr(cfg, "num_key_value_heads", None) or h
        f = getattr(cfg, "intermediate_size", None) or cfg.n_inner or 4 * cfg.hidden_size
        note = "formula on GPT2Config's attribute_map values, f = 4 * n_embd"
    V = raw["vocab_size"]
    d_k = d // h
    kv = h_kv * d_k
    total = n * (T * (4 * d * d + 4 * d * kv + 6 * d * f) + 4 * h * d_k * (T * (T - 1) // 2)) + 2 * T * d * V
    return total / 1e12, note, dict(d=d, n=n, h=h, h_kv=h_kv, f=f, V=V)


def reference_numbers(model_dir, texts):
    tok = AutoTokenizer.from_pretrained(model_dir)
    sizes = []
    for text in texts:
        ids = tok.encode(text, truncation=True, max_length=MAX_LENGTH)[1:]
        sizes.append(len(tok.decode(ids).encode("utf-8")) * 8 / len(ids))
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype="auto", attn_implementation="sdpa").eval()
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    nlls = []
    for text in texts:
        enc = tok(text, truncation=True, padding="max_length", max_length=MAX_LENGTH, return_tensors="pt")
        with torch.no_grad():
            logits = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"], use_cache=False).logits
        probs = torch.softmax(logits[:, :, :len(tok)].to(torch.float32), dim=-1)
        p = torch.gather(probs[:, :MAX_LENGTH, :], -1, enc["input_ids"][:, 1:].unsqueeze(-1)).squeeze(-1)
        e = -torch.log2(p)
        e[enc["attention_mask"][:, 1:] == 0] = torch.nan
        nlls.append(e)
    nll = torch.nanmean(torch.cat(nlls, dim=0)).item()
    constant = round(sum(sizes) / len(sizes), 2)
    tflops, note, dims = reference_tflops(model_dir, MAX_LENGTH)
    log2n = math.log2(tflops * 1e12 / MAX_LENGTH)
    return {
        "model_dtype": str(model.dtype).replace("torch.", ""),
        "seq_len": MAX_LENGTH,
        "uniform_entropy": math.log2(json.load(open(os.path.join(model_dir, "config.json")))["vocab_size"]),
        "constant": constant,
        "constant_unrounded": sum(sizes) / len(sizes),
        "conditional_entropy": nll,
        "entropy_gain": constant - nll,
        "BF16_TFLOPs": tflops,
        "information_capacity": (constant - nll) / log2n,
        "ic": (constant - nll + BIAS) / log2n,
        "bias": BIAS,
        "flops_note": note,
        "flops_dimensions": dims,
        "samples": len(texts),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    texts = paragraphs()
    with open(os.path.join(args.out, "data.jsonl"), "w", encoding="utf-8") as f:
        for i, t in enumerate(texts):
            f.write(json.dumps({"text": t, "id": f"analysis.md#{i}"}, ensure_ascii=False) + "\n")
    expected = {"generator": "tests/model/gen_reference_cells.py", "transformers": transformers.__version__,
                "torch": torch.__version__, "max_sample_length": MAX_LENGTH, "models": {}}
    for name, style in [("llama_fp32", "llama"), ("gpt2_fp32", "gpt2")]:
        d = os.path.join(args.out, name)
        tok = make_tokenizer(texts, style)
        tok.save_pretrained(d)
        make_model(style, len(tok) + (12 if style == "llama" else 0), d)  # llama: padded embedding rows
        expected["models"][name] = reference_numbers(d, texts)
        print(name, json.dumps(expected["models"][name]))
    with open(os.path.join(args.out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)


if __name__ == "__main__":
    main()
