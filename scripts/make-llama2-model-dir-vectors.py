#!/usr/bin/env python3
# Run on the GPU machine (transformers 5.17):  python3 scripts/make-llama2-model-dir-vectors.py OUTDIR
# then copy OUTDIR/llama2_with_config.jsonl to tests/data/tokenizers/vectors/llama2-spm.model-dir.jsonl.
# transformers' AutoTokenizer on a model directory holding config.json (model_type llama) and a bare
# Llama-2 tokenizer.model: ids with special tokens for the texts of vectors/llama2-spm.spm.jsonl.
import json, os, shutil, subprocess, sys
subprocess.run(["tar", "-xJf", "tests/data/testdata.tar.xz", "-C", "/tmp", "testdata/tokenizers/llama2-spm",
                "testdata/vectors/llama2-spm.spm.jsonl"], check=True)
from transformers import AutoTokenizer
out = sys.argv[1]
for name, config in [("with_config", {"model_type": "llama", "architectures": ["LlamaForCausalLM"]}), ("bare", None)]:
    d = f"/tmp/{name}"; os.makedirs(d, exist_ok=True)
    shutil.copy("/tmp/testdata/tokenizers/llama2-spm/tokenizer.model", d)
    if config: json.dump(config, open(f"{d}/config.json", "w"))
    tok = AutoTokenizer.from_pretrained(d)
    with open(f"{out}/llama2_{name}.jsonl", "w") as f:
        f.write(json.dumps({"class": type(tok).__name__}) + "\n")
        for line in open("/tmp/testdata/vectors/llama2-spm.spm.jsonl"):
            t = json.loads(line)["text"]
            f.write(json.dumps({"text": t, "ids": tok(t)["input_ids"]}, ensure_ascii=False) + "\n")
print("done", type(tok).__name__)
