#!/usr/bin/env python3
"""Cuts the project's own files into JSONL demo datasets (no external data needed).

project_docs.jsonl: Markdown and YAML files; project_code.jsonl: C++, CMake, shell and Python sources.
Each sample is a run of whole lines of about 1.5-3 KB. Also writes corpus.txt (all samples) for
learning the tiny models' BPE merges. Deterministic: files in sorted order.
"""
import argparse
import json
import pathlib

GROUPS = {
    "project_docs": (".md", ".yaml"),
    "project_code": (".cpp", ".h", ".txt", ".cmake", ".sh", ".py"),
}
SKIP_DIRS = {"demo", "fixtures", "__pycache__"}


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


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", default=".")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    root = pathlib.Path(args.root)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    corpus = []
    for name, suffixes in GROUPS.items():
        files = sorted(p for p in root.rglob("*")
                       if p.is_file() and p.suffix in suffixes and not skipped(p.relative_to(root)))
        count = 0
        with open(out / f"{name}.jsonl", "w", encoding="utf-8") as f:
            for path in files:
                text = path.read_text(encoding="utf-8", errors="replace")
                for piece in chunks(text):
                    f.write(json.dumps({"text": piece, "source": str(path.relative_to(root))}, ensure_ascii=False) + "\n")
                    corpus.append(piece)
                    count += 1
        print(f"{name}.jsonl: {count} samples from {len(files)} files")
    (out / "corpus.txt").write_text("".join(corpus), encoding="utf-8")


if __name__ == "__main__":
    main()
