#!/usr/bin/env python3
"""Conformance vectors for icsweep's tokenizer from Hugging Face `tokenizers` and `transformers`.

Run where both are installed (no network needed):

  scripts/make-tokenizer-vectors.py --datasets ../shared/testdata/datasets \
      --shared-tokenizers ../shared/testdata/tokenizers --out tests/data/tokenizers

It writes, under --out:
  pipelines/NAME/tokenizer.json (+ tokenizer_config.json): the published pre-processing pipeline of a
      real tokenizer (normalizer, pre_tokenizer, model flags, post_processor, decoder, special tokens;
      PIPELINES below names the source of each) with a small BPE vocabulary trained here by
      `tokenizers` on the test datasets, so that ids exercise the real pipeline end to end;
  vectors/NAME.jsonl: one JSON object per text (format: tests/data/tokenizers/README.md);
  vectors/phi3.whitespace.jsonl, vectors/llama2-spm.whitespace.jsonl: whitespace texts on the
      released Phi-3 and Llama-2 tokenizers of --shared-tokenizers (both flavors);
  versions.json: the library versions that produced them.
Golden values come only from tokenizers/transformers, never from icsweep.
"""
import argparse
import json
import os
import sys
import traceback

import tokenizers
import transformers
from tokenizers import Tokenizer, pre_tokenizers, trainers
from transformers import AutoTokenizer

SPM = "\u2581"

# Regexes as tokenizers 0.23.2 re-serializes them in the published tokenizer.json files.
CL100K = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
          r"|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN35 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*"
          r"|\s*[\r\n]+|\s+(?!\S)|\s+")
O200K = (r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
         r"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
         r"|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+")
DEEPSEEK_V3 = (r"[!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+"
               r"| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")


def split(regex, behavior="Isolated", invert=False):
    return {"type": "Split", "pattern": {"Regex": regex}, "behavior": behavior, "invert": invert}


BYTE_LEVEL_NO_REGEX = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}
BYTE_LEVEL_DECODER = {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True}
SPM_DECODER = {"type": "Sequence", "decoders": [
    {"type": "Replace", "pattern": {"String": SPM}, "content": " "}, {"type": "ByteFallback"}, {"type": "Fuse"}]}
SPM_DECODER_STRIP = {"type": "Sequence", "decoders": SPM_DECODER["decoders"] + [
    {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}
REPLACE_SPACE = {"type": "Replace", "pattern": {"String": " "}, "content": SPM}
# Gemma 3 and 4: split after each space, SentencePiece-style decoder, byte-fallback BPE.
GEMMA_STACK = dict(
    pre_tokenizer={"type": "Split", "pattern": {"String": " "}, "behavior": "MergedWithPrevious", "invert": False},
    decoder=SPM_DECODER,
    model={"byte_fallback": True, "fuse_unk": True, "unk_token": "<unk>"})


def byte_level(pre_tokenizer, specials, bos=None, normalizer=None):
    return {"normalizer": normalizer, "pre_tokenizer": pre_tokenizer, "decoder": BYTE_LEVEL_DECODER,
            "model": {"byte_level": True}, "specials": specials, "bos": bos}


# Each pipeline: where it was read (tests/data/tokenizers/README.md), and the pieces of tokenizer.json it fixes. "specials" become
# added tokens (special, not normalized); "bos" is prepended by a TemplateProcessing post_processor.
PIPELINES = {
    "falcon": dict(
        source="tiiuae/falcon-7b tokenizer.json",
        **byte_level({"type": "Sequence", "pretokenizers": [
            {"type": "Punctuation", "behavior": "Contiguous"},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
            {"type": "Digits", "individual_digits": False},
            split("[0-9][0-9][0-9]")]},
            [">>TITLE<<", ">>ABSTRACT<<", ">>INTRODUCTION<<", ">>SUMMARY<<", ">>COMMENT<<", ">>ANSWER<<",
             ">>QUESTION<<", ">>DOMAIN<<", ">>PREFIX<<", ">>SUFFIX<<", ">>MIDDLE<<", "<|endoftext|>"])),
    "gemma3": dict(
        source="google/gemma-3 tokenizer.json (Gemma's sentencepiece-style BPE stack)",
        normalizer=REPLACE_SPACE,
        **GEMMA_STACK,
        specials=["<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>"], bos="<bos>"),
    "gemma4": dict(
        source="google/gemma-4-26B-A4B-it pre_tokenizer (census P08); normalizer/decoder assumed as Gemma 3's",
        normalizer=REPLACE_SPACE,
        **GEMMA_STACK,
        specials=["<pad>", "<eos>", "<bos>", "<unk>", "<|turn>", "<turn|>"], bos="<bos>"),
    "mistral-v03": dict(
        source="mistralai/Mistral-7B-Instruct-v0.3 tokenizer.json (Metaspace prepend first, split false)",
        normalizer=None,
        pre_tokenizer={"type": "Metaspace", "replacement": SPM, "prepend_scheme": "first", "split": False},
        decoder=SPM_DECODER_STRIP,
        model={"byte_fallback": True, "fuse_unk": True, "unk_token": "<unk>"},
        specials=["<unk>", "<s>", "</s>", "[INST]", "[/INST]"], bos="<s>"),
    "llama2-converted": dict(
        source="the released Phi-3 tokenizer.json's Llama-2 stack (Prepend + Replace normalizer, no "
               "pre_tokenizer), standing for InternLM2.5 (its own file not read)",
        normalizer={"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": SPM}, REPLACE_SPACE]},
        pre_tokenizer=None,
        decoder=SPM_DECODER_STRIP,
        model={"byte_fallback": True, "fuse_unk": True, "unk_token": "<unk>"},
        specials=["<unk>", "<s>", "</s>"], bos="<s>"),
    "glm4": dict(source="cl100k chain (census P07, e.g. Llama-3.2), standing for GLM-4; its own file not read",
                 **byte_level({"type": "Sequence", "pretokenizers": [split(CL100K), BYTE_LEVEL_NO_REGEX]},
                              ["<|endoftext|>", "[gMASK]", "<sop>", "<|user|>", "<|assistant|>"])),
    "deepseek-v3": dict(source="deepseek-ai/DeepSeek-V3 tokenizer.json",
                        **byte_level({"type": "Sequence", "pretokenizers": [
                            split(r"\p{N}{1,3}"), split("[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+"),
                            split(DEEPSEEK_V3), BYTE_LEVEL_NO_REGEX]},
                            ["<\uff5cbegin\u2581of\u2581sentence\uff5c>", "<\uff5cend\u2581of\u2581sentence\uff5c>"],
                            bos="<\uff5cbegin\u2581of\u2581sentence\uff5c>")),
    "deepseek-coder-v2": dict(source="deepseek-ai/DeepSeek-Coder-V2-Lite-Instruct tokenizer.json (letter ranges "
                                     "shortened to their ASCII/Latin-1/Greek/Cyrillic part)",
                              **byte_level({"type": "Sequence", "pretokenizers": [
                                  split("[\r\n]"), split("\\s?[A-Za-z\u00b5\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u01ba"
                                                          "\u0370-\u0373\u0388-\u03f5\u0400-\u0481]+"),
                                  split("\\s?[!-/:-~\uff01-\uff0f\uff1a-\uff5e\u2018-\u201f\u3000-\u3002]+"),
                                  split(r"\s+$"), split("[\u4e00-\u9fa5\u0800-\u4e00\uac00-\ud7ff]+"),
                                  {"type": "Digits", "individual_digits": True}, BYTE_LEVEL_NO_REGEX]},
                                  ["<\uff5cbegin\u2581of\u2581sentence\uff5c>"])),
    "qwen3.5": dict(source="Qwen/Qwen3.5-9B tokenizer.json",
                    **byte_level({"type": "Sequence", "pretokenizers": [split(QWEN35), BYTE_LEVEL_NO_REGEX]},
                                 ["<|endoftext|>", "<|im_start|>", "<|im_end|>"], normalizer={"type": "NFC"})),
    "olmo2": dict(source="cl100k Split spelled Removed+invert (census P15, granite-4.1), standing for OLMo-2; its own file not read",
                  **byte_level({"type": "Sequence", "pretokenizers": [split(CL100K, "Removed", True),
                                                                       BYTE_LEVEL_NO_REGEX]},
                               ["<|endoftext|>", "<|pad|>"])),
    "gpt-oss": dict(source="openai/gpt-oss-20b tokenizer.json (o200k)",
                    **byte_level({"type": "Sequence", "pretokenizers": [split(O200K), BYTE_LEVEL_NO_REGEX]},
                                 ["<|endoftext|>", "<|start|>", "<|end|>"])),
    "smollm2": dict(source="HuggingFaceTB/SmolLM2-135M-Instruct tokenizer.json (Digits then ByteLevel)",
                    **byte_level({"type": "Sequence", "pretokenizers": [
                        {"type": "Digits", "individual_digits": True},
                        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}]},
                        ["<|endoftext|>", "<|im_start|>", "<|im_end|>"])),
    "hunyuan-like": dict(source="no tokenizer.json published (tiktoken); cl100k split with digits as "
                                "Hunyuan's tokenization_hy.py splits, as a stand-in",
                         **byte_level({"type": "Sequence", "pretokenizers": [
                             split(r"\p{N}{1,3}"), split(CL100K), BYTE_LEVEL_NO_REGEX]},
                             ["<|startoftext|>", "<|extra_0|>"], bos="<|startoftext|>")),
}

WHITESPACE_TEXTS = (
    [" " * n for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 100, 257, 1000, 4096)]
    + ["\n" * n for n in (1, 2, 3, 4, 5, 8, 16, 100, 1000)]
    + ["\t" * n for n in (1, 2, 3, 8)]
    + ["\r\n", "\r\n\r\n", " \n", "\n ", " \n ", "  \n  ", "\n \n", " \t ", "\t \n", "\u00a0", "\u3000",
       "\u2581", "\u2581\u2581", " \u2581 ", "\u2581 \u2581", " " * 5 + "\n" * 5 + " " * 5,
       "\n\n\n \n\n  \n\t\n", " \n" * 40, "\n " * 40, "\t\n " * 30, " " * 500 + "\n" * 500]
    + ["a" + " " * n + "b" for n in (1, 2, 3, 4, 16, 100)]
    + ["a" + "\n" * n + "b" for n in (1, 2, 3, 10)]
    + [" " * n + "a" for n in (1, 2, 3, 5)] + ["a" + " " * n for n in (1, 2, 3, 5)]
    + ["\n" * n + "a" for n in (1, 2)] + ["a" + "\n" * n for n in (1, 2)]
    + ["  Hello  world  ", "Hello\n\nworld\n", "  \n  Hello", "def f():\n    return 1\n\n\n",
       "x = 1    # comment\n\ty = 2\n"]
)
LONG_TEXTS = (
    ["1" * n for n in (1, 2, 3, 4, 5, 6, 7, 10, 100, 1001)]
    + ["1234567890" * 50, "3 33 333 3333 33333", "12,345.67 and 0.000001", "\u00bd\u00b2\u00b3\u00b9\u00bc",
       "x\u00b2y \u00b3\u221a8", "\u043c and \u043c\u0438\u0440 999", "\u0663\u0664\u0665 \u0967\u0968\u0969",
       "a" * 1000, "ab" * 500, "!" * 300, "\U0001F600" * 50, "\u4e2d\u6587" * 100, "\u00e9" * 200,
       "e\u0301" * 100, "Hello world! " * 100]
)
# Texts whose truncated ids cut UTF-8 sequences: decoding every prefix exercises U+FFFD replacement.
CUT_TEXTS = ["\U0001F600\U0001F680 ok", "\u4e2d\u6587\u6d4b\u8bd5", "\u00e9t\u00e9 \u00e0", "\u0928\u092e\u0938\u094d\u0924\u0947",
             "\u043c\u0438\u0440 \u00bd", "a\U0001F468\u200d\U0001F469\u200d\U0001F467 b"]


def read_short_texts(path):
    texts = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            obj = json.loads(line)
            if "dataset" not in obj:
                texts.append(obj["text"])
    return texts


def read_datasets(directory, per_file):
    docs, corpus = [], []
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".jsonl"):
            continue
        with open(os.path.join(directory, name), encoding="utf-8") as f:
            lines = [json.loads(line)["text"] for line in f]
        docs += [(name, text) for text in lines[:per_file]]
        for text in lines[per_file:per_file + 40]:  # training corpus: other samples, line by line
            corpus += [line for line in text.split("\n") if line.strip()]
    return docs, corpus


def build_pipeline(name, spec, corpus, vocab_size):
    is_byte_level = spec["model"].get("byte_level", False)
    model = {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
             "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
             "vocab": {}, "merges": []}
    skeleton = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": [],
                "normalizer": spec["normalizer"], "pre_tokenizer": spec["pre_tokenizer"], "post_processor": None,
                "decoder": spec["decoder"], "model": model}
    tok = Tokenizer.from_str(json.dumps(skeleton))
    options = {"initial_alphabet": pre_tokenizers.ByteLevel.alphabet()} if is_byte_level else {"limit_alphabet": 400}
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=spec["specials"], show_progress=False,
                                  **options)
    tok.train_from_iterator(corpus, trainer)
    data = json.loads(tok.to_str())
    for key in ("byte_fallback", "fuse_unk", "unk_token"):
        if key in spec["model"]:
            data["model"][key] = spec["model"][key]
    vocab = data["model"]["vocab"]
    if spec["model"].get("byte_fallback"):
        for b in range(256):
            vocab.setdefault("<0x%02X>" % b, len(vocab))
    data["added_tokens"] = [{"id": vocab[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                             "normalized": False, "special": True} for t in spec["specials"]]
    if spec.get("bos"):
        bos = spec["bos"]
        data["post_processor"] = {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": bos, "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {bos: {"id": bos, "ids": [vocab[bos]], "tokens": [bos]}}}
    elif is_byte_level:
        data["post_processor"] = {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False,
                                  "use_regex": True}
    Tokenizer.from_str(json.dumps(data))  # must load as saved
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": 1000000,
              "clean_up_tokenization_spaces": False}
    if spec.get("bos"):
        config["bos_token"] = spec["bos"]
    return data, config


def decode_cuts(tf, ids):
    return [[k, tf.decode(ids[:k])] for k in range(1, min(len(ids), 12))]


def vector_line(text, library, tf, dataset=None, cuts=False):
    line = {"text": text}
    if library is not None:
        line["ids"] = library.encode(text, add_special_tokens=False).ids
        line["ids_with_special"] = library.encode(text, add_special_tokens=True).ids
    tf_ids = tf.encode(text, add_special_tokens=False)
    line["tf_ids"] = tf_ids
    line["tf_ids_with_special"] = tf.encode(text, add_special_tokens=True)
    if dataset is None:
        line["tf_decoded"] = tf.decode(line["tf_ids_with_special"])
    if cuts:
        line["tf_decode_cuts"] = decode_cuts(tf, tf_ids)
    if dataset is not None:
        ref = tf.encode(text, truncation=True, max_length=1024)
        line["dataset"] = dataset
        line["ref_ids_1024"] = ref
        line["ref_tail_tokens"] = len(ref) - 1
        line["ref_tail_bytes"] = len(tf.decode(ref[1:]).encode("utf-8"))
        line["ref_len_tokenizer"] = len(tf)
    return line


def write_jsonl(path, lines):
    with open(path, "w", encoding="utf-8") as f:
        for line in lines:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", required=True)
    parser.add_argument("--shared-tokenizers", required=True)
    parser.add_argument("--short-texts", required=True, help="an existing vectors file; its short texts are reused")
    parser.add_argument("--out", required=True)
    parser.add_argument("--vocab-size", type=int, default=3000)
    parser.add_argument("--docs-per-dataset", type=int, default=1)
    parser.add_argument("--only", nargs="*", help="pipeline names to build (default: all)")
    args = parser.parse_args()

    os.makedirs(os.path.join(args.out, "vectors"), exist_ok=True)
    docs, corpus = read_datasets(args.datasets, args.docs_per_dataset)
    short = read_short_texts(args.short_texts)
    texts = short + WHITESPACE_TEXTS + LONG_TEXTS
    failures = {}
    for name, spec in PIPELINES.items():
        if args.only and name not in args.only:
            continue
        try:
            directory = os.path.join(args.out, "pipelines", name)
            os.makedirs(directory, exist_ok=True)
            data, config = build_pipeline(name, spec, corpus, args.vocab_size)
            with open(os.path.join(directory, "tokenizer.json"), "w", encoding="utf-8") as f:
                json.dump(data, f, ensure_ascii=False, indent=1)
            with open(os.path.join(directory, "tokenizer_config.json"), "w", encoding="utf-8") as f:
                json.dump(config, f, ensure_ascii=False, indent=1)
            library = Tokenizer.from_file(os.path.join(directory, "tokenizer.json"))
            tf = AutoTokenizer.from_pretrained(directory)
            specials = spec["specials"]
            extra = [specials[0], " " + specials[-1] + " ", "a" + specials[-1] + "  b", specials[0] + "\n\n" + specials[0]]
            lines = [vector_line(t, library, tf) for t in texts + extra]
            lines += [vector_line(t, library, tf, cuts=True) for t in CUT_TEXTS]
            lines += [vector_line(text, library, tf, dataset=ds) for ds, text in docs]
            write_jsonl(os.path.join(args.out, "vectors", name + ".jsonl"), lines)
            print(f"{name}: {len(lines)} lines, vocab {len(data['model']['vocab'])}", flush=True)
        except Exception:  # record and go on: one pipeline must not hide the others
            failures[name] = traceback.format_exc()
            print(f"{name}: FAILED\n{failures[name]}", flush=True)

    # Whitespace texts on the released Phi-3 (tokenizer.json) and Llama-2 (tokenizer.model) tokenizers.
    ws_texts = WHITESPACE_TEXTS + ["<s>  hi", "hi  </s>  ", " <|user|>\n  hi<|end|>\n "]
    for name in ("phi3", "llama2-spm"):
        if args.only and name not in args.only:
            continue
        try:
            directory = os.path.join(args.shared_tokenizers, name)
            json_path = os.path.join(directory, "tokenizer.json")
            library = Tokenizer.from_file(json_path) if os.path.exists(json_path) else None
            try:
                tf = AutoTokenizer.from_pretrained(directory)
            except Exception:  # a bare tokenizer.model: no config names the class
                tf = transformers.LlamaTokenizer.from_pretrained(directory)
            backend = json.loads(tf.backend_tokenizer.to_str())
            lines = [{"meta": {"transformers_class": type(tf).__name__,
                               "backend": {k: v for k, v in backend.items() if k not in ("model", "added_tokens")},
                               "model": {k: v for k, v in backend["model"].items() if k not in ("vocab", "merges")},
                               "n_merges": len(backend["model"].get("merges", []))}}]
            if library is None:  # a bare tokenizer.model: keep the pipeline transformers converted it to
                os.makedirs(os.path.join(args.out, "backends", name), exist_ok=True)
                tf.backend_tokenizer.save(os.path.join(args.out, "backends", name, "tokenizer.json"))
            lines += [vector_line(t, library, tf, cuts=True) for t in ws_texts]
            try:
                import sentencepiece
                model = os.path.join(directory, "tokenizer.model")
                if os.path.exists(model):
                    sp = sentencepiece.SentencePieceProcessor(model_file=model)
                    for line in lines[1:]:
                        line["spm_ids"] = sp.encode(line["text"])
            except ImportError:
                pass
            write_jsonl(os.path.join(args.out, "vectors", name + ".whitespace.jsonl"), lines)
            print(f"{name}: whitespace {len(lines) - 1} lines ({type(tf).__name__})", flush=True)
        except Exception:
            failures[name] = traceback.format_exc()
            print(f"{name}: FAILED\n{failures[name]}", flush=True)

    with open(os.path.join(args.out, "versions.json"), "w") as f:
        json.dump({"tokenizers": tokenizers.__version__, "transformers": transformers.__version__,
                   "python": sys.version.split()[0], "failures": failures}, f, indent=1)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
