#!/usr/bin/env python3
"""Hugging Face side of the tokenizer benchmark: MB/s and tokens/s of the Rust `tokenizers` library
(Python package) on the same JSONL datasets and tokenizer directories as bench_tokenizer (C++), so
the two can be compared per core (icsweep target >= 2x HF single-thread).

  python3 bench/bench_tokenizer.py [--tokenizers DIR] [--datasets DIR] [--tokenizer NAME]...
                                   [--threads 1,16] [--repeat 3] [--backend tokenizers|transformers]
                                   [--icsweep-json FILE] [--json]

Single thread: Tokenizer.encode(text, add_special_tokens=True) per text. More threads:
encode_batch over all texts with RAYON_NUM_THREADS workers (set per run in a subprocess, because
rayon reads it once). --backend transformers uses AutoTokenizer (the reference pipeline; slower,
Python overhead included). Directories with only tokenizer.model use sentencepiece (or transformers).
--icsweep-json FILE (output of `bench_tokenizer --json`) adds icsweep's MB/s and the ratio.
"""
import argparse
import glob
import json
import os
import platform
import socket
import subprocess
import sys
import time


def read_texts(path):
    texts = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                record = json.loads(line)
                if isinstance(record.get("text"), str):
                    texts.append(record["text"])
    return texts


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown cpu"


def load_encoder(directory, backend):
    """Returns (encode_one, encode_batch) for a tokenizer directory."""
    tokenizer_json = os.path.join(directory, "tokenizer.json")
    if backend == "tokenizers" and os.path.isfile(tokenizer_json):
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(tokenizer_json)
        return (lambda t: tok.encode(t, add_special_tokens=True).ids,
                lambda ts: [e.ids for e in tok.encode_batch(ts, add_special_tokens=True)])
    if backend == "tokenizers":
        import sentencepiece as spm

        sp = spm.SentencePieceProcessor(model_file=os.path.join(directory, "tokenizer.model"))
        bos = [sp.bos_id()] if sp.bos_id() >= 0 else []
        return (lambda t: bos + sp.encode(t), lambda ts: [bos + ids for ids in sp.encode(ts)])
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(directory)
    return (lambda t: tok.encode(t), lambda ts: tok(ts)["input_ids"])


def measure(encode_one, encode_batch, texts, threads, repeat):
    megabytes = sum(len(t.encode("utf-8")) for t in texts) * repeat / 1e6
    tokens = 0
    start = time.perf_counter()
    for _ in range(repeat):
        if threads == 1:
            for text in texts:
                tokens += len(encode_one(text))
        else:
            tokens += sum(len(ids) for ids in encode_batch(texts))
    seconds = time.perf_counter() - start
    return {"megabytes": megabytes, "tokens": tokens, "seconds": seconds,
            "mb_per_s": megabytes / seconds, "tokens_per_s": tokens / seconds}


def run_child(args):
    """One (tokenizer, thread count) in this process: RAYON_NUM_THREADS is already set."""
    encode_one, encode_batch = load_encoder(args.child_tokenizer, args.backend)
    rows = []
    for dataset in sorted(glob.glob(os.path.join(args.datasets, "*.jsonl"))):
        texts = read_texts(dataset)
        row = measure(encode_one, encode_batch, texts, args.child_threads, args.repeat)
        row.update({"tokenizer": os.path.basename(args.child_tokenizer.rstrip("/")),
                    "dataset": os.path.splitext(os.path.basename(dataset))[0], "threads": args.child_threads})
        rows.append(row)
    json.dump(rows, sys.stdout)


def main():
    testdata = os.environ.get("ICSWEEP_TESTDATA", os.path.join("..", "shared", "testdata"))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokenizers", default=os.path.join(testdata, "tokenizers"))
    parser.add_argument("--datasets", default=os.path.join(testdata, "datasets"))
    parser.add_argument("--tokenizer", action="append", default=[], help="name (repeatable; default: all)")
    parser.add_argument("--threads", default="1", help="comma-separated thread counts, e.g. 1,16")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--backend", choices=["tokenizers", "transformers"], default="tokenizers")
    parser.add_argument("--icsweep-json", help="bench_tokenizer --json output to compare against")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child-tokenizer", help=argparse.SUPPRESS)
    parser.add_argument("--child-threads", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_tokenizer:
        run_child(args)
        return

    names = args.tokenizer or sorted(os.listdir(args.tokenizers))
    rows = []
    for name in names:
        for threads in [int(t) for t in args.threads.split(",")]:
            env = dict(os.environ, RAYON_NUM_THREADS=str(threads), TOKENIZERS_PARALLELISM="true")
            cmd = [sys.executable, __file__, "--child-tokenizer", os.path.join(args.tokenizers, name),
                   "--child-threads", str(threads), "--datasets", args.datasets, "--repeat", str(args.repeat),
                   "--backend", args.backend]
            result = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
            rows.extend(json.loads(result.stdout))

    icsweep = {}
    if args.icsweep_json:
        with open(args.icsweep_json) as f:
            for row in json.load(f)["rows"]:
                icsweep[(row["tokenizer"], row["dataset"], row["threads"])] = row["mb_per_s"]
    for row in rows:
        other = icsweep.get((row["tokenizer"], row["dataset"], row["threads"]))
        row["icsweep_mb_per_s"] = other
        row["ratio"] = other / row["mb_per_s"] if other else None

    if args.json:
        print(json.dumps({"host": socket.gethostname(), "cpu": cpu_model(), "cores": os.cpu_count(),
                          "backend": args.backend, "repeat": args.repeat, "rows": rows}, indent=2))
        return
    print(f"# HF {args.backend} tokenizer throughput  host {socket.gethostname()}  cpu {cpu_model()}  "
          f"cores {os.cpu_count()}  repeat {args.repeat}")
    print(f"{'tokenizer':<12} {'dataset':<18} {'MB/s':>10} {'tokens/s':>14} {'threads':>8} {'icsweep MB/s':>13} {'ratio':>7}")
    for r in rows:
        ours = f"{r['icsweep_mb_per_s']:13.2f}" if r["icsweep_mb_per_s"] else f"{'-':>13}"
        ratio = f"{r['ratio']:7.2f}" if r["ratio"] else f"{'-':>7}"
        print(f"{r['tokenizer']:<12} {r['dataset']:<18} {r['mb_per_s']:10.2f} {r['tokens_per_s']:14.0f} "
              f"{r['threads']:>8} {ours} {ratio}")
    ratios = [r["ratio"] for r in rows if r["ratio"] and r["threads"] == 1]
    if ratios:
        worst = min(ratios)
        print(f"verdict: icsweep/HF single-thread MB/s ratio min {worst:.2f}, "
              f"{'meets' if worst >= 2.0 else 'misses'} the 2x target")
    else:
        print("verdict: HF only (pass --icsweep-json for the side-by-side ratio)")


if __name__ == "__main__":
    main()
