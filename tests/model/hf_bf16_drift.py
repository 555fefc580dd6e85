#!/usr/bin/env python3
"""How far transformers itself moves in bf16: every parity fixture scored by transformers in bfloat16
on CUDA (eager attention), against the fp32 numbers in its logprobs.json. The bf16 parity test
(tests/model/gpu_parity_bf16.cpp) holds icsweep to 2e-2 bits mean abs difference from fp32; this
prints what the reference implementation gets under the same rule, per fixture (GPU machine).
With --write it records the mean as "transformers_bf16_cuda_mean_abs_diff" in each logprobs.json:
the bf16 test then allows a fixture 1.25 x that when transformers itself exceeds 2e-2 (Gemma 3's
scaled embeddings do).

  python3 tests/model/hf_bf16_drift.py [--fixtures tests/fixtures] [--write]
"""
import argparse
import json
import math
import os

import torch
import transformers
from transformers import Mxfp4Config


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fixtures", default=os.path.join(os.path.dirname(__file__), "..", "fixtures"))
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--only", nargs="*", default=None, help="fixture names (default: every fixture)")
    args = ap.parse_args()
    for name in sorted(os.listdir(args.fixtures)):
        if args.only and name not in args.only:
            continue
        path = os.path.join(args.fixtures, name)
        ref_path = os.path.join(path, "logprobs.json")
        if not os.path.exists(os.path.join(path, "model.safetensors")) or not os.path.exists(ref_path):
            continue
        config = json.load(open(os.path.join(path, "config.json")))
        if config.get("model_type") == "internlm2":
            print(f"{name:34s} (no transformers implementation)")
            continue
        extra = {}
        if config.get("quantization_config", {}).get("quant_method") == "mxfp4":
            extra["quantization_config"] = Mxfp4Config(dequantize=True)
        # The class the fixture was saved from (multimodal wrappers included: their logits are the text model's).
        model_cls = getattr(transformers, config["architectures"][0])
        ref = json.load(open(ref_path))
        try:
            model = model_cls.from_pretrained(path, attn_implementation=ref.get("attn_implementation", "eager"),
                                              dtype=torch.bfloat16, **extra).to("cuda").eval()
        except Exception as e:  # reported, never recorded as a drift
            print(f"{name:34s} FAILED to load in transformers: {e}")
            continue
        diffs = []
        with torch.no_grad():
            for s in ref["sequences"]:
                ids = torch.tensor([s["ids"]], device="cuda")
                if ids.shape[1] < 2:
                    continue
                logits = model(input_ids=ids).logits[0].float()
                logp = torch.log_softmax(logits, -1)[:-1].gather(1, ids[0, 1:, None]).squeeze(1)
                got = (-logp / math.log(2.0)).double().cpu().tolist()
                diffs += [abs(a - b) for a, b in zip(got, s["nll_bits"])]
        mean = sum(diffs) / len(diffs)
        print(f"{name:34s} transformers bf16 cuda: mean |diff| {mean:.3e}  max {max(diffs):.3e} bits")
        if args.write:
            ref["transformers_bf16_cuda_mean_abs_diff"] = mean
            ref["transformers_bf16_device"] = torch.cuda.get_device_name(0)
            with open(ref_path, "w") as f:
                json.dump(ref, f, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main()
