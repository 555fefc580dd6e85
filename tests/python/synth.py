"""Synthetic icsweep result files, written with h5py in exactly the layout core/store writes
(docs/design.md §4; copied from a real `icsweep run` output, see test_demo_sweep.py for the check):

cell file: root attributes (scalar; strings variable-length UTF-8, ints int64, reals float64) = the
published columns + cell scalars + provenance; /samples/* equal-length columns (gzip + shuffle, one
chunk) with /samples/status int8 carrying attribute status_names; /errors/{sample_index, line, kind,
message}; optional /tokens/{nll_bits float32, offsets int64} (CSR).
index file: /cells_table/{model_name, data_name, file} (variable-length UTF-8, file relative to the
index's folder), /cells/<model>__<dataset> external links to '/', sweep provenance on the root.

Aggregates are computed here independently of analysis/ (plain numpy), as icsweep does."""

import math
import os

import h5py
import numpy as np

STATUS_NAMES = "ok,too_short,bad_record,failed"
STR = h5py.string_dtype("utf-8")
PROVENANCE = {
    "cell_fingerprint": "0123456789abcdef", "config_path": "sweep.yaml", "config_text": "models: []\n",
    "dataset_path": "/data/x.jsonl", "devices": "cpu (1 threads)", "dtype": "float32",
    "dtype_source": "config.json torch_dtype",
    "finished_at": "2026-01-01T00:00:00Z", "flops_notes": "", "git_commit": "abc123", "hosts": "node-α",
    "icsweep_version": "0.1.0", "model_fingerprint": "fedcba9876543210", "model_path": "/models/x",
    "text_field": "text", "tokenizer_fingerprint": "0011223344556677", "tokens_per_batch": "2048",
    "transport": "in-process", "world_size": "1",
    "identity": '{"dataset bytes": "00", "dtype": "float32"}', "derived_settings": '{"bias": "-27"}',
    "weights_bytes": "99aa06d3014798d86001c324468d497f",
    "sample_limit": "0", "partial": "false",  # a full cell (icsweep run --limit N writes N / "true")
}


def _column(group, name, values, dtype):
    values = np.asarray(values, dtype=dtype)
    kwargs = dict(compression="gzip", shuffle=True, chunks=(len(values),)) if len(values) else {}
    return group.create_dataset(name, data=values, **kwargs)


def cell_name(model_name, data_name):
    return f"{model_name}__{data_name}".replace("/", "_")


def write_cell(path, model_name, data_name, *, text_bits_per_token, nll_bits_per_token, n_tokens,
               flops_per_token, bias=-27.0, series="synth", size="1B", seq_len=1024, vocab_size=32000,
               status=None, sample_index=None, tokens=False, errors=(), failed=False):
    """Write one cell file from per-sample values; returns the stored root attributes.

    status: per-sample codes (default all 0 = ok); non-ok samples get 0 tokens/bits like icsweep."""
    n = len(n_tokens)
    status = np.zeros(n, np.int8) if status is None else np.asarray(status, np.int8)
    ok = status == 0
    n_tokens = np.where(ok, np.asarray(n_tokens, np.int64), 0)
    tbpt = np.where(ok, np.asarray(text_bits_per_token, float), 0.0)
    nbpt = np.where(ok, np.asarray(nll_bits_per_token, float), 0.0)
    text_bits = tbpt * n_tokens
    text_bytes = np.round(text_bits / 8).astype(np.int64)
    text_bits = 8.0 * text_bytes  # whole bytes, as real files
    tbpt = np.divide(text_bits, n_tokens, out=np.zeros(n), where=ok)
    nll_bits = nbpt * n_tokens
    sample_index = np.arange(n) if sample_index is None else np.asarray(sample_index)

    attrs = {}
    if failed or not ok.any():
        constant_unrounded = constant = ce = float("nan")
        failed = True
    else:
        constant_unrounded = float(np.mean(tbpt[ok]))
        constant = round(constant_unrounded, 2)
        ce = float(np.sum(nll_bits[ok]) / np.sum(n_tokens[ok]))
    log_n = math.log2(flops_per_token)
    attrs.update({
        "model_name": model_name, "model_series": series, "model_size": size, "data_name": data_name,
        "seq_len": np.int64(seq_len), "uniform_entropy": math.log2(vocab_size), "constant": constant,
        "conditional_entropy": ce, "entropy_gain": constant - ce, "BF16_TFLOPs": flops_per_token * seq_len / 1e12,
        "information_capacity": (constant - ce) / log_n, "ic": (constant - ce + bias) / log_n,
        "constant_unrounded": constant_unrounded, "bias": float(bias), "flops_per_token": float(flops_per_token),
        "ic_unrounded_constant": (constant_unrounded - ce + bias) / log_n,
        "flops_profile": "reference", "max_sample_length": np.int64(seq_len),
        "total_scored_tokens": np.int64(n_tokens[ok].sum()), "total_nll_bits": float(nll_bits[ok].sum()),
        "samples_scored": np.int64(ok.sum()), "samples_skipped": np.int64((~ok).sum()),
        "status": "failed" if failed else "ok", "icsweep_file_kind": "cell", "icsweep_schema_version": np.int64(1),
    })
    attrs.update({k: v for k, v in PROVENANCE.items()})
    errors = list(errors) + ([(-1, 0, "model_load", "synthetic failure")] if failed else [])
    with h5py.File(path, "w") as f:
        for key, value in attrs.items():
            f.attrs[key] = value
        s = f.create_group("samples")
        _column(s, "n_tokens", n_tokens, np.int64)
        _column(s, "nll_bits", nll_bits, np.float64)
        _column(s, "nll_bits_per_token", nbpt, np.float64)
        _column(s, "sample_index", sample_index, np.int64)
        _column(s, "status", status, np.int8).attrs["status_names"] = STATUS_NAMES
        _column(s, "text_bits", text_bits, np.float64)
        _column(s, "text_bits_per_token", tbpt, np.float64)
        _column(s, "text_bytes", text_bytes, np.int64)
        e = f.create_group("errors")
        e.create_dataset("kind", data=np.array([x[2] for x in errors], dtype=object), dtype=STR)
        e.create_dataset("line", data=np.array([x[1] for x in errors], dtype=np.int64))
        e.create_dataset("message", data=np.array([x[3] for x in errors], dtype=object), dtype=STR)
        e.create_dataset("sample_index", data=np.array([x[0] for x in errors], dtype=np.int64))
        if tokens:
            rng = np.random.default_rng(len(model_name) + n)
            per_sample = []
            for i in range(n):
                if ok[i] and n_tokens[i]:
                    w = rng.uniform(0.5, 1.5, n_tokens[i])
                    per_sample.append((w / w.sum() * nll_bits[i]).astype(np.float32))
                else:
                    per_sample.append(np.zeros(0, np.float32))
            offsets = np.concatenate([[0], np.cumsum([len(x) for x in per_sample])]).astype(np.int64)
            t = f.create_group("tokens")
            _column(t, "nll_bits", np.concatenate(per_sample), np.float32)
            _column(t, "offsets", offsets, np.int64)
    return attrs


def write_index(directory, cells):
    """results.h5 in DIRECTORY linking CELLS, a list of (model_name, data_name) already written to
    DIRECTORY/cells/<model>__<dataset>.h5. Returns the index path."""
    files = [f"cells/{cell_name(m, d)}.h5" for m, d in cells]
    path = os.path.join(directory, "results.h5")
    with h5py.File(path, "w") as f:
        for key in ("config_path", "config_text", "devices", "git_commit", "hosts", "icsweep_version",
                    "tokens_per_batch", "transport", "world_size"):
            f.attrs[key] = PROVENANCE[key]
        f.attrs["cells_planned"] = str(len(cells))  # every planned cell has a file: none pending
        f.attrs["cells_pending"] = ""
        f.attrs["icsweep_file_kind"] = "index"
        f.attrs["icsweep_schema_version"] = np.int64(1)
        g = f.create_group("cells")
        for (m, d), file in zip(cells, files):
            g[cell_name(m, d)] = h5py.ExternalLink(file, "/")
        t = f.create_group("cells_table")
        t.create_dataset("data_name", data=np.array([d for _, d in cells], dtype=object), dtype=STR)
        t.create_dataset("file", data=np.array(files, dtype=object), dtype=STR)
        t.create_dataset("model_name", data=np.array([m for m, _ in cells], dtype=object), dtype=STR)
    return path


def write_sweep(directory, specs):
    """Cells from SPECS (dicts of write_cell keyword arguments incl. model_name, data_name) plus the index."""
    os.makedirs(os.path.join(directory, "cells"), exist_ok=True)
    for spec in specs:
        write_cell(os.path.join(directory, "cells", cell_name(spec["model_name"], spec["data_name"]) + ".h5"), **spec)
    return write_index(directory, [(s["model_name"], s["data_name"]) for s in specs])


def random_samples(rng, n, text_bpt=(12.0, 20.0), nll_bpt=(2.0, 6.0), tokens=(20, 300)):
    """Per-sample keyword arguments for write_cell with values drawn from RNG."""
    return {
        "text_bits_per_token": rng.uniform(*text_bpt, n),
        "nll_bits_per_token": rng.uniform(*nll_bpt, n),
        "n_tokens": rng.integers(*tokens, n),
    }


def planted_series(rng, n_samples, flops, ic, bias, text_bpt=(14.0, 18.0)):
    """Per-sample values for models of FLOPS per token whose ic, computed with BIAS, is exactly IC:
    the NLL of each model is scaled so that constant - conditional_entropy = ic * log2(N) - bias."""
    out = []
    base_text = rng.uniform(*text_bpt, n_samples)
    tokens = rng.integers(50, 400, n_samples)
    for n in flops:
        samples = {"text_bits_per_token": base_text, "n_tokens": tokens}
        text_bits = 8.0 * np.round(base_text * tokens / 8)
        constant = round(float(np.mean(text_bits / tokens)), 2)
        target_ce = constant - (ic * math.log2(n) - bias)
        nll = rng.uniform(0.5, 1.5, n_samples)
        nll *= target_ce * tokens.sum() / float(np.sum(nll * tokens))
        samples["nll_bits_per_token"] = nll
        out.append(samples)
    return out


def tiny_series_sweep(directory, seed, samples=12, ic=0.2, bias=-25.0, tokens=False):
    """A sweep of one series tiny-0/1/2 (1e8, 5e8, 2e9 FLOPs per token) on datasets en and code, each
    model's ic exactly IC under BIAS (planted_series). Returns the index path."""
    rng = np.random.default_rng(seed)
    flops = [1e8, 5e8, 2e9]
    specs = []
    for data in ["en", "code"]:
        for i, (n, s) in enumerate(zip(flops, planted_series(rng, samples, flops, ic, bias))):
            specs.append(dict(model_name=f"tiny-{i}", data_name=data, series="tiny", size=f"{i}B",
                              flops_per_token=n, tokens=tokens, **s))
    return write_sweep(directory, specs)
