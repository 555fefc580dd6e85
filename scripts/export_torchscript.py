#!/usr/bin/env python3
"""Exports a Hugging Face causal LM as a TorchScript module that icsweep can score (the escape hatch
for architectures icsweep does not implement natively).

  python3 scripts/export_torchscript.py HF_MODEL_DIR OUT_DIR [--dtype float32|bfloat16|float16] [--device cuda]

OUT_DIR receives model.torchscript.pt (a traced module: input ids (B, T) int64 -> logits (B, T, V)),
config.json (for the FLOPs formula and the vocabulary size) and the tokenizer files. Put OUT_DIR in
the sweep as a model path. The traced graph is checked against the eager model on other batch sizes
and lengths than the example it was traced with; the export fails if they differ (some models
bake shapes into a trace: those cannot use this route). A trace also keeps the dtype and device it
was traced with (casts and tensors created inside the model): export with the dtype and the device
kind the sweep will use; icsweep refuses a dtype mismatch.
"""
import argparse
import os
import shutil
import sys

import torch
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer


class LogitsOnly(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, ids):  # (B, T) int64 -> (B, T, V)
        return self.model(input_ids=ids, use_cache=False).logits


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_dir")
    ap.add_argument("out_dir")
    ap.add_argument("--dtype", default="float32", choices=["float32", "bfloat16", "float16"])
    ap.add_argument("--device", default="cpu", help="cpu or cuda: where the sweep will score it")
    ap.add_argument("--tolerance", type=float, default=1e-4, help="max |logit difference| traced vs eager (fp32)")
    args = ap.parse_args()
    dtype = getattr(torch, args.dtype)
    model = AutoModelForCausalLM.from_pretrained(args.model_dir, attn_implementation="eager", dtype=dtype).to(args.device).eval()
    vocab = model.config.get_text_config().vocab_size
    wrapper = LogitsOnly(model).eval()
    g = torch.Generator().manual_seed(0)
    example = torch.randint(0, vocab, (2, 12), generator=g).to(args.device)
    with torch.no_grad():
        traced = torch.jit.trace(wrapper, example, check_trace=False)
        for shape in [(1, 5), (3, 17), (2, 33)]:
            ids = torch.randint(0, vocab, shape, generator=g).to(args.device)
            diff = (traced(ids).float() - wrapper(ids).float()).abs().max().item()
            tolerance = args.tolerance if dtype == torch.float32 else 5e-2
            print(f"check B={shape[0]} T={shape[1]}: max |logit diff| {diff:.3g}")
            if diff > tolerance:
                sys.exit(f"the trace does not generalise to shape {shape} (max diff {diff}): this model cannot be "
                         "exported by tracing")
    os.makedirs(args.out_dir, exist_ok=True)
    traced.save(os.path.join(args.out_dir, "model.torchscript.pt"))
    AutoConfig.from_pretrained(args.model_dir).save_pretrained(args.out_dir)
    try:
        AutoTokenizer.from_pretrained(args.model_dir).save_pretrained(args.out_dir)
    except Exception as e:  # the fixture models have no tokenizer; a real model always does
        print(f"note: no tokenizer copied ({e})")
    for extra in ("generation_config.json",):
        if os.path.exists(os.path.join(args.out_dir, extra)):
            os.remove(os.path.join(args.out_dir, extra))
    print(f"wrote {args.out_dir}/model.torchscript.pt")


if __name__ == "__main__":
    main()
