#!/usr/bin/env bash
# A plan before the queue and a trial before the sweep: `icsweep plan` / `run --dry-run` check the sweep
# and count what the run then scores (samples and tokens equal the cell files', TFLOPs the exact
# profile's N times the scored sequences' tokens), load nothing and write nothing; `run --limit N`
# writes cells marked partial that a later full run scores again and that a trial never replaces;
# the progress line's ETA is h:mm:ss.
source "$(dirname "$0")/lib.bash"
work=$(fresh_demo plan_limit)
cd "$work"
failures=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
sed -i 's/^settings:/settings:\n  flops_profile: exact/' sweep.yaml  # so that the cells store the exact N

"$ICSWEEP" plan sweep.yaml > plan.txt 2>&1 || fail "plan: $(cat plan.txt)"
cat plan.txt
grep -q "^ready: no problems found; no model weights were loaded" plan.txt || fail "plan did not say ready"
grep -qE "est_time assumes 1 worker\(s\) each sustaining 790 TFLOP/s peak x MFU 0.6 = 474 TFLOP/s" plan.txt \
  || fail "plan does not state its throughput assumption"
"$ICSWEEP" run sweep.yaml --dry-run --format csv --output out-dry > dry.csv 2> dry.err || fail "dry-run: $(cat dry.err)"
[ ! -e out-dry ] || fail "--dry-run created its output directory"
"$ICSWEEP" plan sweep.yaml --format json --gpus 4 > plan4.json || fail "plan --gpus 4"

"$ICSWEEP" run sweep.yaml --output out-full --progress-interval 0 > full.log 2>&1 || fail "full run: $(tail -3 full.log)"
grep -qE "ETA [0-9]+:[0-9]{2}:[0-9]{2} " full.log && grep -qE "^\[[0-9]+:[0-9]{2}:[0-9]{2}\] " full.log \
  && grep -q "% FLOPs" full.log || fail "progress: $(grep ETA full.log | head -2)"
"$ICSWEEP_PYTHON" - dry.csv plan4.json out-full/results.h5 <<'PY' || fail "plan numbers"
import csv, json, sys, h5py
rows = {(r["model"], r["dataset"]): r for r in csv.DictReader(open(sys.argv[1]))}
four = {(r["model"], r["dataset"]): r for r in json.load(open(sys.argv[2]))}
index = h5py.File(sys.argv[3], "r")
assert len(rows) == 5, rows.keys()  # 4 cells and the total
for key in [k for k in rows if k[0] != "total"]:
    a = index["cells"][f"{key[0]}__{key[1]}"].attrs
    samples, tokens = int(a["samples_scored"]), int(a["total_scored_tokens"])
    assert int(rows[key]["samples"]) == samples and int(rows[key]["tokens"]) == tokens, (key, rows[key], samples, tokens)
    # The exact N of a cell is its FLOPs over all ids (tokens + the unscored first id of each sample).
    flops = float(a["flops_per_token"]) * (tokens + samples)
    assert abs(float(rows[key]["TFLOPs"]) * 1e12 - flops) <= 1e-9 * flops, (key, rows[key]["TFLOPs"], flops)
    assert abs(float(four[key]["est_time"]) * 4 - float(rows[key]["est_time"])) <= 1e-9 * float(rows[key]["est_time"])
    assert abs(float(rows[key]["est_time"]) - flops / 474e12) <= 1e-9 * flops / 474e12
total = rows[("total", "")]
assert int(total["samples"]) == sum(int(r["samples"]) for k, r in rows.items() if k[0] != "total")
print("ok   plan: samples, tokens and TFLOPs of every cell equal the run's; est_time = FLOPs / (474 TFLOP/s x GPUs)")
PY

# A sweep with problems: plan lists every one (exit 2), like run.
cp sweep.yaml broken.yaml && sed -i 's#demo/models/tiny-llama-m#broken-model#' broken.yaml
cp -r demo/models/tiny-llama-m broken-model && sed -i 's/LlamaForCausalLM/MambaForCausalLM/' broken-model/config.json
echo '{' > broken-model/tokenizer.json
rc=0; "$ICSWEEP" plan broken.yaml > broken.txt 2>&1 || rc=$?
[ "$rc" -eq 2 ] && grep -q "problem(s) found before any model was loaded" broken.txt \
  && grep -q "unsupported architecture 'MambaForCausalLM'" broken.txt && grep -q "tokenizer" broken.txt \
  && grep -q "^NOT ready" broken.txt && echo "ok   plan of a broken sweep: exit 2, both problems" \
  || fail "broken plan: exit $rc: $(cat broken.txt)"

# --limit: partial cells, rescored by a full run, never replacing a full one.
"$ICSWEEP" run sweep.yaml --output out-trial --limit 3 > trial.log 2>&1 || fail "trial: $(tail -3 trial.log)"
grep -q "PARTIAL: --limit 3" trial.log || fail "the summary does not mark partial cells"
"$ICSWEEP" report out-trial/results.h5 > trial-report.txt 2>&1
grep -q "is PARTIAL: a trial on the first 3 records" trial-report.txt || fail "report: $(cat trial-report.txt)"
"$ICSWEEP_PYTHON" - out-trial/results.h5 <<'PY' || fail "partial cells"
import sys, h5py
for name, cell in h5py.File(sys.argv[1], "r")["cells"].items():
    a = cell.attrs
    assert a["partial"] == "true" and a["sample_limit"] == "3", (name, a["partial"], a["sample_limit"])
    assert len(cell["samples/sample_index"]) <= 3 and int(a["samples_scored"]) <= 3, name
print("ok   --limit 3: every cell partial, at most 3 samples")
PY
grep -q '"sample limit (--limit)":"3"' out-trial/journal.bin || fail "the journal's identity does not record the limit"
# The leaderboard page built from the trial marks every cell partial (python3 -m analysis site).
PYTHONPATH="$ICSWEEP_SOURCE_DIR" MPLBACKEND=Agg "$ICSWEEP_PYTHON" -m analysis site out-trial/results.h5 -o site-trial \
  > site.log 2>&1 || fail "site: $(tail -3 site.log)"
"$ICSWEEP_PYTHON" - out-trial/results.h5 site-trial/index.html <<'PY' || fail "the page does not mark the trial partial"
import sys
sys.path.insert(0, __import__("os").environ["ICSWEEP_SOURCE_DIR"])
from analysis.load import load_cells
cells = load_cells(sys.argv[1])
assert len(cells) > 0 and bool(cells["partial"].all()), cells[["model_name", "data_name", "partial"]]
page = open(sys.argv[2], encoding="utf-8").read()
assert page.count('"partial"') >= len(cells), "fewer partial marks in the page than cells"
print(f"ok   the page marks all {len(cells)} trial cells partial")
PY
"$ICSWEEP" run sweep.yaml --output out-trial > rescore.log 2>&1 || fail "full after trial: $(tail -3 rescore.log)"
grep -q "its stored result is partial (--limit 3); scoring it in full" rescore.log || fail "no rescoring: $(head rescore.log)"
check same out-full/results.h5 out-trial/results.h5 && echo "ok   a full run after a trial: the full run's numbers"
"$ICSWEEP" run sweep.yaml --output out-trial --limit 2 > trial2.log 2>&1 || fail "trial after full"
grep -q "a full result exists; kept" trial2.log || fail "a trial replaced a full cell: $(head trial2.log)"
check same out-full/results.h5 out-trial/results.h5 && echo "ok   a trial after a full run keeps the full cells"

[ "$failures" -eq 0 ] || { echo "$failures case(s) failed"; exit 1; }
echo "PASS"
