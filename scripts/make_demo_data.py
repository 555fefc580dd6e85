#!/usr/bin/env python3
"""Cuts the project's own files into JSONL demo datasets (no external data needed).

Each sample is a run of whole lines of about 1.5-3 KB, from Markdown and YAML files (docs) or C++,
CMake, shell and Python sources (code). Every HOLD_OUT-th sample of each group is held out:
project_docs.jsonl and project_code.jsonl hold only those (the sweep's datasets); train.jsonl holds the
rest, on which the demo models learn their BPE merges and are trained. Deterministic: files in sorted
order.
"""
import argparse
import json
import pathlib

GROUPS = {
    "project_docs": (".md", ".yaml"),
    "project_code": (".cpp", ".h", ".txt", ".cmake", ".sh", ".py"),
}
SKIP_DIRS = {"demo", "fixtures", "__pycache__"}
HOLD_OUT = 4


def skipped(relative):
    """Build trees, hidden folders (.git, .carry), demo output and test fixtures."""
    return any(part in SKIP_DIRS or part.startswith((".", "build")) for part in relative.parts)


def chunks(text, target=2000):
    lines, size = [], 0
    for line in text.splitlines(keepends=True):
        lines.append(line)
        size += len(line.encode("utf-8"))
        if size >= target:
            yield "".join(lines)
            lines, size = [], 0
    if lines and size > 200:
        yield "".join(lines)


def write_jsonl(path, samples):
    with open(path, "w", encoding="utf-8") as f:
        for sample in samples:
            f.write(json.dumps(sample, ensure_ascii=False) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", default=".")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    root = pathlib.Path(args.root)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    train = []
    for name, suffixes in GROUPS.items():
        files = sorted(p for p in root.rglob("*")
                       if p.is_file() and p.suffix in suffixes and not skipped(p.relative_to(root)))
        samples = [{"text": piece, "source": str(path.relative_to(root))} for path in files
                   for piece in chunks(path.read_text(encoding="utf-8", errors="replace"))]
        held_out = samples[HOLD_OUT - 1::HOLD_OUT]
        train += [s for i, s in enumerate(samples) if i % HOLD_OUT != HOLD_OUT - 1]
        write_jsonl(out / f"{name}.jsonl", held_out)
        print(f"{name}.jsonl: {len(held_out)} held-out samples of {len(samples)} from {len(files)} files")
    write_jsonl(out / "train.jsonl", train)
    print(f"train.jsonl: {len(train)} samples")


if __name__ == "__main__":
    main()
