#!/usr/bin/env bash
# `cmake --install` into a temporary prefix: the binary runs from there without the build tree's paths
# (its SentencePiece plugin beside it), and the Slurm templates are installed.
source "$(dirname "$0")/lib.bash"
prefix="$ICSWEEP_BINARY_DIR/test-scratch/install"
rm -rf "$prefix"
cmake --install "$ICSWEEP_BINARY_DIR" --prefix "$prefix" > /dev/null
"$prefix/bin/icsweep" --version | grep -q "^icsweep "
"$prefix/bin/icsweep" models | grep -q "^LlamaForCausalLM "
[ -f "$prefix/bin/libicsweep_sentencepiece.so" ] || { echo "FAIL: no SentencePiece plugin beside the binary"; exit 1; }
for t in one-node.sbatch multi-node.sbatch array.sbatch README.md; do
  [ -f "$prefix/share/icsweep/slurm/$t" ] || { echo "FAIL: slurm/$t not installed"; exit 1; }
done
# A SentencePiece tokenizer loads through the installed binary (its plugin is installed beside it, where
# the binary looks once the build tree is gone; this test cannot hide the build tree's copy).
printf '{"text": "hello world"}\n' > "$prefix/t.jsonl"
ICSWEEP_SPM_PLUGIN=/nonexistent "$prefix/bin/icsweep" tokenize --tokenizer "$ICSWEEP_TESTDATA_DIR/tokenizers/llama2-spm" \
  "$prefix/t.jsonl" | grep -q '"ids"'
echo "PASS"
