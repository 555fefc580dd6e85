#!/usr/bin/env bash
# The "numbers that are not numbers" and "names, files and the index" cases through the CLI:
# each a reproduction of the observed fault, now an exit code and a message (or the right result).
source "$(dirname "$0")/lib.bash"
work=$(fresh_demo faults_results)
cd "$work"
head -n 6 demo/data/project_docs.jsonl > small.jsonl
failures=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
ok() { echo "ok   $*"; }
# sweep FILE MODEL_NAME MODEL_PATH [EXTRA_MODEL_KEYS]: the good tiny-llama-s plus one more model on small.jsonl
sweep() {
  cat > "$1" <<YAML
models:
  - {name: good, path: demo/models/tiny-llama-s, dtype: float32}
  - {name: "$2", path: $3, dtype: float32${4:+, $4}}
datasets:
  - {name: d, path: small.jsonl}
settings: {max_sample_length: 64, device: cpu, threads: 1}
YAML
}
run() {  # run NAME WANT_RC YAML [ARGS]: icsweep run into out-NAME, log NAME.log
  local name=$1 want=$2 yaml=$3 rc=0
  shift 3
  "$ICSWEEP" run "$yaml" --output "out-$name" "$@" >"$name.log" 2>&1 || rc=$?
  [ "$rc" -eq "$want" ] || { fail "$name: exit $rc, want $want"; tail -8 "$name.log" | sed 's/^/    /'; return 1; }
}

# --- NaN weights: the cell fails naming the model, its numbers are NaN, a rerun does not keep it ---
rm -rf models && mkdir models && cp -r demo/models/tiny-llama-s models/nan
"$ICSWEEP_PYTHON" - models/nan/model.safetensors <<'PY'
import json, struct, sys
import numpy as np
with open(sys.argv[1], "r+b") as f:
    (n,) = struct.unpack("<Q", f.read(8))
    info = json.loads(f.read(n))["model.norm.weight"]
    start, end = info["data_offsets"]
    f.seek(8 + n + start)
    f.write(np.full((end - start) // 4, np.nan, dtype="<f4").tobytes())
PY
sweep nan.yaml nan models/nan
if run nan 4 nan.yaml && run nan 4 nan.yaml; then
  grep -q "non-finite NLL (nan bits) from model nan" nan.log || fail "nan: no message naming the model"
  grep -q "cross-check failed" nan.log && fail "nan: a cross-check failure instead of the cause"
  "$ICSWEEP_PYTHON" - out-nan/cells/nan__d.h5 out-nan/cells/good__d.h5 <<'PY' && ok "NaN weights: cell failed naming the model, numbers NaN, good cell ok" || fail "nan: cell file"
import math, sys, h5py
with h5py.File(sys.argv[1]) as f:
    assert f.attrs["status"] == "failed", f.attrs["status"]
    for key in ["constant", "conditional_entropy", "entropy_gain", "information_capacity", "ic"]:
        assert math.isnan(f.attrs[key]), (key, f.attrs[key])
    kinds = [k.decode() for k in f["errors/kind"][:]]
    assert "no_samples" in kinds, kinds
with h5py.File(sys.argv[2]) as f:
    assert f.attrs["status"] == "ok"
PY
fi

# --- a tokenizer whose ids pass the embedding's rows: found when planning, before any model loads (exit 2), with the numbers ---
"$ICSWEEP" make-tiny-model -o models/bigtok --merges 1200 --corpus demo/data/train.jsonl >/dev/null 2>&1
sweep tok.yaml shared-tok demo/models/tiny-llama-s "tokenizer: models/bigtok"
if run tok 2 tok.yaml; then
  grep -qE "gives id [0-9]+ in line [0-9]+ of .*small.jsonl, but the model's embedding has [0-9]+ rows" tok.log \
    && ok "ids beyond the embedding: $(grep -oE "gives id [0-9]+.*has [0-9]+ rows" tok.log | head -1)" \
    || fail "tok: no message with the numbers"
  grep -q "loaded shared-tok" tok.log && fail "tok: the model was loaded"
fi

# --- the index is rebuilt when every cell is resumed (deleted, or corrupted) ---
sweep idx.yaml m demo/models/tiny-llama-m
if run idx 0 idx.yaml; then
  rm out-idx/results.h5
  run idx 0 idx.yaml && [ "$("$ICSWEEP" report out-idx/results.h5 --format csv | tail -n +2 | wc -l)" -eq 2 ] \
    && ok "index deleted, all cells resumed: rebuilt with 2 cells" || fail "idx: index not rebuilt"
  printf 'garbage' > out-idx/results.h5
  run idx 0 idx.yaml && "$ICSWEEP" report out-idx/results.h5 >/dev/null 2>&1 && ok "corrupted index rebuilt" || fail "idx: corrupted index kept"
fi

# --- a damaged data chunk in a finished cell file is found on resume and the cell recomputed ---
if run dmg 0 idx.yaml && run dmgclean 0 idx.yaml; then
  "$ICSWEEP_PYTHON" - out-dmg/cells/m__d.h5 <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    ds = f["samples/nll_bits"]
    offset = ds.id.get_chunk_info(0).byte_offset if ds.chunks else ds.id.get_offset()
with open(sys.argv[1], "r+b") as f:  # one byte of the column's data, not of HDF5's metadata
    f.seek(offset + 3)
    byte = f.read(1)
    f.seek(offset + 3)
    f.write(bytes([byte[0] ^ 0x40]))
PY
  run dmg 0 idx.yaml && grep -q "cell m__d: .*m__d.h5 is damaged" dmg.log && check same out-dmgclean/results.h5 out-dmg/results.h5 >/dev/null \
    && ok "damaged data chunk: found on resume, cell recomputed equal to a clean run" || fail "dmg: damaged cell kept"
fi

# --- report with one cell file missing: the others are printed, the missing one named ---
if [ -f out-idx/cells/m__d.h5 ]; then
  rm out-idx/cells/m__d.h5
  rc=0
  "$ICSWEEP" report out-idx/results.h5 --format csv >report.out 2>report.err || rc=$?
  [ "$rc" -eq 1 ] && grep -q "^good," report.out && grep -q "cell m x d left out: its file cannot be read" report.err \
    && ok "report: missing cell named, the other printed" || { fail "report: rc $rc"; cat report.err; }
fi

# --- merge: an output that is an input by another path (a symlink) is refused ---
ln -sf out-idx/results.h5 link.h5
rc=0
"$ICSWEEP" merge out-nan/results.h5 out-idx/results.h5 -o link.h5 >merge.log 2>&1 || rc=$?
[ "$rc" -eq 2 ] && grep -q "is also an input" merge.log && ok "merge: output symlinked to an input refused" || { fail "merge: rc $rc"; cat merge.log; }

# --- a model named like a temporary file keeps its finished cell ---
sweep tmpname.yaml x.h5.tmp-1 demo/models/tiny-llama-m
if run tmpname 0 tmpname.yaml && run tmpname 0 tmpname.yaml; then
  grep -q "removing .*x.h5.tmp-1__d.h5" tmpname.log && fail "tmpname: its cell file was removed as a temp file"
  [ -f "out-tmpname/cells/x.h5.tmp-1__d.h5" ] && ok "model named x.h5.tmp-1: cell kept on resume" || fail "tmpname: cell file gone"
fi

# --- deleting journal.bin mid-run does not let a second run into the same output directory ---
sweep lock.yaml m demo/models/tiny-llama-m
sed -e 's/small.jsonl/demo\/data\/project_code.jsonl/' -e 's/threads: 1}/threads: 1, tokens_per_batch: 128}/' lock.yaml > lock-long.yaml
ICSWEEP_TEST_BATCH_DELAY_MS=300 "$ICSWEEP" run lock-long.yaml --output out-lock >lock1.log 2>&1 &
first=$!
for i in $(seq 300); do grep -q "batch\|tok/s" lock1.log 2>/dev/null && [ -s out-lock/journal.bin ] && break; sleep 0.1; done
rm -f out-lock/journal.bin
rc=0
"$ICSWEEP" run lock.yaml --output out-lock >lock2.log 2>&1 || rc=$?
rc_mpi=0
"${MPIRUN[@]}" -np 2 "$ICSWEEP" run lock.yaml --output out-lock >lock3.log 2>&1 || rc_mpi=$?
kill -0 "$first" 2>/dev/null || fail "lock: the first run ended before the second started"
[ "$rc_mpi" -eq 1 ] && [ "$rc" -eq 1 ] && ok "the same driver error exits 1 alone and under mpirun" \
  || fail "lock: exit $rc alone, $rc_mpi under mpirun (want 1 and 1)"
kill -TERM "$first"; wait "$first" || true
[ "$rc" -ne 0 ] && grep -q "output directory .*out-lock is in use by another icsweep run" lock2.log \
  && ok "journal.bin deleted: a second run is refused (exit $rc)" || { fail "lock: second run exit $rc"; tail -3 lock2.log; }

# --- a leftover stop file that cannot be removed is ignored (was: every run exited 75 at once) ---
mkdir -p stopdir && touch stopdir/STOP stopdir/probe
protect() { if [ "$(id -u)" -eq 0 ]; then chattr "$1i" stopdir; else chmod "$([ "$1" = + ] && echo a-w || echo u+w)" stopdir; fi; }
trap 'protect - 2>/dev/null || true' EXIT
protect +
if rm -f stopdir/probe 2>/dev/null; then
  fail "stop: cannot make an undeletable file here (chattr/chmod had no effect)"
elif ICSWEEP_STOP_FILE=$PWD/stopdir/STOP run stop 0 lock.yaml; then
  grep -q "warning: cannot remove .*stopdir/STOP .*ignoring it" stop.log && ok "undeletable STOP: ignored with a warning, exit 0" \
    || fail "stop: no warning"
fi
protect -

# --- names: "a__b" x "c" and "a" x "b__c" are two cells; a 300-character name runs ---
long=$(printf 'm%.0s' $(seq 300))
cat > names.yaml <<YAML
models:
  - {name: a__b, path: demo/models/tiny-llama-s, dtype: float32}
  - {name: a, path: demo/models/tiny-llama-s, dtype: float32}
  - {name: $long, path: demo/models/tiny-llama-s, dtype: float32}
datasets:
  - {name: c, path: small.jsonl}
  - {name: b__c, path: small.jsonl}
settings: {max_sample_length: 64, device: cpu, threads: 1}
YAML
if run names 0 names.yaml && run names 0 names.yaml; then
  [ "$(ls out-names/cells/*.h5 | wc -l)" -eq 6 ] && [ "$(grep -c "(resumed)\|resumed" names.log)" -ge 1 ] \
    && [ "$("$ICSWEEP" report out-names/results.h5 --format csv | tail -n +2 | wc -l)" -eq 6 ] \
    && ok "names with __ and a 300-character name: 6 cells, 6 files, resumed" || { fail "names"; ls out-names/cells; }
fi

# --- SIGTERM while planning (a long tokenization) ends the run at once with 75 ---
"$ICSWEEP_PYTHON" - big.jsonl <<'PY'
import json, sys
text = open("demo/data/project_docs.jsonl").read()
lines = [json.loads(l)["text"] for l in text.splitlines()]
with open(sys.argv[1], "w") as f:
    for i in range(40000):
        f.write(json.dumps({"text": lines[i % len(lines)] * 3}) + "\n")
PY
sed -e 's/small.jsonl/big.jsonl/' -e '/name: "m"/d' idx.yaml > big.yaml
"$ICSWEEP" run big.yaml --output out-big >big.log 2>&1 &
pid=$!
for i in $(seq 300); do grep -q "^rank  host" big.log && break; sleep 0.1; done
sleep 1
grep -q "^plan: " big.log && fail "planning: ended before the signal (make big.jsonl larger)"
start=$EPOCHREALTIME
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
took=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
[ "$rc" -eq 75 ] && grep -q "signal 15 while planning" big.log && awk -v t="$took" 'BEGIN { exit !(t < 5) }' \
  && ok "SIGTERM while planning: exit 75 after $took s" || { fail "planning: exit $rc after $took s"; tail -3 big.log; }

# --- a million bad lines: the cell file stays small (was 232 MB) ---
{ head -n 2 small.jsonl; "$ICSWEEP_PYTHON" -c 'print("{bad json\n" * 1000000, end="")'; } > million.jsonl
sed -e 's/small.jsonl/million.jsonl/' -e '/name: "m"/d' idx.yaml > million.yaml
if run million 0 million.yaml; then
  size=$(stat -c %s out-million/cells/good__d.h5)
  [ "$size" -lt 20000000 ] && ok "1M bad lines: cell file of $size bytes" || fail "million: cell file of $size bytes"
fi

[ "$failures" -eq 0 ] || { echo "$failures case(s) failed"; exit 1; }
echo PASS
