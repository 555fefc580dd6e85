#!/usr/bin/env python3
"""Edits sweep inputs between runs, keeping every file's size (the resume tests' reproductions).

  edit_inputs.py text FILE.jsonl          every 'e' in each record's text becomes 'a'
  edit_inputs.py bad-record FILE.jsonl    every odd line starts with '[' instead of '{' (invalid JSON)
  edit_inputs.py weights MODEL_DIR [--keep-dates]
                                          every float tensor of model.safetensors scaled by 1.5 under
                                          the same header; --keep-dates restores the file's mtime
"""
import json
import os
import struct
import sys

import numpy as np


def edit_text(path):
    out = []
    with open(path, "rb") as f:
        for line in f:
            head, sep, tail = line.partition(b'", "source"')
            out.append(head[:10] + head[10:].replace(b"e", b"a") + sep + tail)
    with open(path, "wb") as f:
        f.write(b"".join(out))


def edit_bad_record(path):
    with open(path, "rb") as f:
        lines = f.readlines()
    for i in range(0, len(lines), 2):
        assert lines[i].startswith(b"{")
        lines[i] = b"[" + lines[i][1:]
    with open(path, "wb") as f:
        f.write(b"".join(lines))


def edit_weights(model_dir, keep_dates):
    path = os.path.join(model_dir, "model.safetensors")
    before = os.stat(path)
    with open(path, "r+b") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        base = 8 + length
        for name, info in header.items():
            if name == "__metadata__" or info["dtype"] != "F32":
                continue
            start, end = info["data_offsets"]
            f.seek(base + start)
            values = np.frombuffer(f.read(end - start), dtype="<f4") * np.float32(1.5)
            f.seek(base + start)
            f.write(values.astype("<f4").tobytes())
    if keep_dates:
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(path).st_size == before.st_size


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "text":
        edit_text(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "bad-record":
        edit_bad_record(sys.argv[2])
    elif len(sys.argv) in (3, 4) and sys.argv[1] == "weights":
        edit_weights(sys.argv[2], sys.argv[3:] == ["--keep-dates"])
    else:
        sys.exit(__doc__)
