#!/usr/bin/env bash
# Models from the Hugging Face cache (README "Models from the Hugging Face cache"): a fake hub cache laid
# out as huggingface_hub writes it (blobs named by digest, snapshots of symlinks into ../../blobs,
# refs/<branch> holding the commit), then a repo id (with and without @revision), a models--ORG--NAME
# folder and a snapshot folder in a sweep and in `icsweep score -m`: found offline, named after the repo
# (never the commit), the same numbers as the plain directory; a missing one says where it looked and
# which `hf download` to run.
source "$(dirname "$0")/lib.bash"
work=$(fresh_demo hf_cache)
cd "$work"
failures=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

# cache_repo HUB ORG NAME SRC COMMIT [REF]: SRC's files as snapshot COMMIT of ORG/NAME, REF (default main) -> it.
cache_repo() {
  local repo="$1/models--$2--$3" src=$4 commit=$5 ref=${6:-main}
  mkdir -p "$repo/blobs" "$repo/refs" "$repo/snapshots/$commit"
  for f in "$src"/*; do
    local digest
    digest=$(sha256sum "$f" | cut -d' ' -f1)
    cp "$f" "$repo/blobs/$digest"
    ln -sf "../../blobs/$digest" "$repo/snapshots/$commit/$(basename "$f")"
  done
  printf '%s' "$commit" > "$repo/refs/$ref"  # no newline, as huggingface_hub writes it
}
main_commit=1111111111111111111111111111111111111111
v1_commit=2222222222222222222222222222222222222222
cache_repo "$work/hub" demo-org tiny-llama-s demo/models/tiny-llama-s $main_commit
cache_repo "$work/hub" demo-org tiny-llama-s demo/models/tiny-llama-m $v1_commit v1
[ -L "hub/models--demo-org--tiny-llama-s/snapshots/$main_commit/model.safetensors" ] || fail "the fake cache has no symlinks"

sweep_of() {  # sweep_of FILE PATH: one model (no name: the default name is under test), one dataset
  cat > "$1" <<YAML
models:
  - {path: "$2", dtype: float32}
datasets:
  - {name: code, path: demo/data/project_code.jsonl}
settings: {max_sample_length: 64, device: cpu, threads: 1, tokens_per_batch: 2048}
YAML
}
export HF_HUB_CACHE="$work/hub"
sweep_of repo.yaml demo-org/tiny-llama-s
"$ICSWEEP" run repo.yaml --output out-repo > repo.log 2>&1 || fail "repo id sweep: $(tail -3 repo.log)"
[ -f out-repo/cells/tiny-llama-s__code.h5 ] || fail "repo id: no cell named tiny-llama-s (got: $(ls out-repo/cells))"
sweep_of plain.yaml demo/models/tiny-llama-s
"$ICSWEEP" run plain.yaml --output out-plain > plain.log 2>&1 || fail "plain sweep: $(tail -3 plain.log)"
check same out-plain/results.h5 out-repo/results.h5 && echo "ok   repo id in a sweep: cell tiny-llama-s, the plain directory's numbers"

# score -m: every spelling names the model after the repo and finds the right snapshot.
score_name() {  # score_name MODEL: the model name and NLL `icsweep score` prints
  "$ICSWEEP" score -m "$1" -d demo/data/project_code.jsonl -l 64 --dtype float32 --device cpu --threads 1 \
    | sed -n -e 's/^model \([^ ]*\) .*/\1/p' -e 's/^conditional_entropy *\([^ ]*\).*/\1/p' | paste -sd' '
}
plain_s=$(score_name demo/models/tiny-llama-s)
plain_m=$(score_name demo/models/tiny-llama-m)
for spelling in demo-org/tiny-llama-s "demo-org/tiny-llama-s@main" "demo-org/tiny-llama-s@$main_commit" \
                hub/models--demo-org--tiny-llama-s "hub/models--demo-org--tiny-llama-s/snapshots/$main_commit"; do
  got=$(score_name "$spelling")
  [ "$got" = "tiny-llama-s ${plain_s#* }" ] && echo "ok   score -m $spelling: $got" || fail "score -m $spelling: '$got' (want tiny-llama-s ${plain_s#* })"
done
got=$(score_name demo-org/tiny-llama-s@v1)
[ "$got" = "tiny-llama-s ${plain_m#* }" ] && echo "ok   score -m demo-org/tiny-llama-s@v1: refs/v1's snapshot ($got)" \
  || fail "@v1: '$got' (want tiny-llama-s ${plain_m#* })"

# HF_HOME/hub when HF_HUB_CACHE is not set.
unset HF_HUB_CACHE
mkdir -p hfhome && ln -sfn "$work/hub" hfhome/hub
got=$(HF_HOME="$work/hfhome" score_name demo-org/tiny-llama-s)
[ "$got" = "tiny-llama-s ${plain_s#* }" ] && echo "ok   HF_HOME/hub: $got" || fail "HF_HOME: '$got'"

# Missing: exit 2, every place looked, the download command; in a sweep with its file position.
rc=0; HF_HOME="$work/hfhome" "$ICSWEEP" score -m demo-org/nope -d demo/data/project_code.jsonl > missing.log 2>&1 || rc=$?
if [ "$rc" -eq 2 ] && grep -q "looked in:" missing.log && grep -q "$work/hfhome/hub/models--demo-org--nope" missing.log \
   && grep -q "hf download demo-org/nope" missing.log; then
  echo "ok   missing repo: exit 2, $(grep -c 'models--demo-org--nope' missing.log) places listed, hf download"
else
  fail "missing repo: exit $rc: $(cat missing.log)"
fi
sweep_of missing.yaml "demo-org/tiny-llama-s@v9"
rc=0; HF_HUB_CACHE="$work/hub" "$ICSWEEP" run missing.yaml --output out-missing > missing-rev.log 2>&1 || rc=$?
if [ "$rc" -eq 2 ] && grep -qE "missing.yaml:2:[0-9]+: key 'models\[0\].path'.*has no refs/v9" missing-rev.log \
   && grep -q "hf download demo-org/tiny-llama-s --revision v9" missing-rev.log; then
  echo "ok   missing revision: $(head -1 missing-rev.log | cut -c1-160)"
else
  fail "missing revision: exit $rc: $(cat missing-rev.log)"
fi

[ "$failures" -eq 0 ] || { echo "$failures case(s) failed"; exit 1; }
echo "PASS"
