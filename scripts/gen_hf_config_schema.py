#!/usr/bin/env python3
"""Writes core/config/hf_config_schema.json: what transformers' configuration classes know about
config.json keys that a checkpoint may leave out or spell its own way.

For each model_type below (the families icsweep implements, the text models of the multimodal
wrappers it scores, and common published families whose configs `icsweep flops` reads), it records:
  class            the configuration class's name (for messages)
  attribute_map    the class's aliases, e.g. GPT-2's hidden_size -> n_embd
  defaults         the keyword defaults of the class's __init__ that are constants (a None default
                   is computed from other keys in __init__ and is left to the reader)
  text_model_type  for a wrapper (Gemma3ForConditionalGeneration...), the model_type of text_config

Run on a machine with transformers (the GPU machine has 5.17):
  python3 scripts/gen_hf_config_schema.py > core/config/hf_config_schema.json
"""
import inspect
import json
import sys

import transformers
from transformers import CONFIG_MAPPING

# The families of core/model/, then the text models of the wrappers, then families people measure
# whose published config.json files the FLOPs profiles read.
MODEL_TYPES = [
    "llama", "mistral", "qwen2", "seed_oss", "qwen3", "olmo2", "phi3", "gpt2", "gpt_neox",
    "gemma3_text", "gemma3", "glm4", "hunyuan_v1_dense", "mixtral", "qwen2_moe", "qwen3_moe",
    "deepseek_v2", "deepseek_v3", "glm4_moe", "gpt_oss", "llama4_text", "llama4",
    "qwen3_5", "qwen3_5_text", "qwen3_5_moe", "qwen3_5_moe_text", "qwen3_next", "mistral3", "ministral",
    "ministral3", "gemma4", "gemma4_text", "falcon", "falcon_h1", "granitemoehybrid", "lfm2", "olmo",
    "olmo3", "olmoe", "gemma", "gemma2", "phi", "gptj", "bloom", "stablelm", "starcoder2", "cohere",
    "smollm3", "qwen2_vl", "qwen2_5_vl", "qwen3_vl", "qwen3_vl_moe", "mllama", "glm4v", "exaone4",
    "ernie4_5", "ernie4_5_moe", "hunyuan_v1_moe", "dots1", "bailing_moe", "minimax", "apertus",
    "minimax_m2", "mistral4",
]


def constant_defaults(cls):
    out = {}
    try:
        params = inspect.signature(cls.__init__).parameters
    except (TypeError, ValueError):
        return out
    for name, p in params.items():
        if name == "self" or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
            continue
        if p.default is inspect.Parameter.empty or p.default is None:
            continue
        try:
            json.dumps(p.default, allow_nan=False)
        except (TypeError, ValueError):
            continue
        out[name] = p.default
    return out


def main():
    schema, missing = {}, []
    queue = list(MODEL_TYPES)
    while queue:
        model_type = queue.pop(0)
        if model_type in schema:
            continue
        if model_type not in CONFIG_MAPPING:
            missing.append(model_type)
            continue
        cls = CONFIG_MAPPING[model_type]
        entry = {"class": cls.__name__}
        aliases = dict(getattr(cls, "attribute_map", {}) or {})
        if aliases:
            entry["attribute_map"] = aliases
        entry["defaults"] = constant_defaults(cls)
        text_cls = (getattr(cls, "sub_configs", None) or {}).get("text_config")
        text_type = getattr(text_cls, "model_type", "") if text_cls is not None else ""
        if text_type:
            entry["text_model_type"] = text_type
            queue.append(text_type)
        schema[model_type] = entry
    doc = {"generator": "scripts/gen_hf_config_schema.py", "transformers": transformers.__version__,
           "model_types": schema}
    json.dump(doc, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    print(f"{len(schema)} model types; not in this transformers: {', '.join(missing) or 'none'}", file=sys.stderr)


if __name__ == "__main__":
    main()
