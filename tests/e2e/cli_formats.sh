#!/usr/bin/env bash
# Scriptable output (README "Commands"): `run`, `score`, `flops`, `tokenize --stats` and `models` print
# their tables as csv and json that parse, holding nothing else on stdout, with the numbers the files
# store; the old spellings (flops --tokens/--json/--profile, make-tiny-model and score --out, models
# --gpus) still work, each with one deprecation line on stderr, and give the same results as the new.
# The options' spellings in --help are checked by tests/e2e/cli_help_consistency.py.
source "$(dirname "$0")/lib.bash"
work=$(fresh_demo cli_formats)
cd "$work"
failures=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
ok() { echo "ok   $*"; }
model=demo/models/tiny-llama-s

# run: the summary as csv (a trial), then as json (every cell resumed); progress and notes on stderr.
"$ICSWEEP" run sweep.yaml --limit 2 --progress-interval 0 --format csv > run.csv 2> run.err || fail "run csv: $(tail -3 run.err)"
"$ICSWEEP" run sweep.yaml --limit 2 -f json > run.json 2> run2.err || fail "run json: $(tail -3 run2.err)"
grep -q "^results: " run.err && grep -q "^ic = (constant - NLL + b)" run.err || fail "run: the legend is not on stderr"
"$ICSWEEP_PYTHON" - run.csv run.json results/results.h5 <<'PY' && ok "run --format csv|json: 4 cells, exact numbers" || fail "run summary"
import csv, json, math, sys, h5py
rows = list(csv.DictReader(open(sys.argv[1])))
again = json.load(open(sys.argv[2]))
index = h5py.File(sys.argv[3], "r")
assert list(rows[0]) == ["model_name", "data_name", "status", "constant", "conditional_entropy", "BF16_TFLOPs",
                         "information_capacity", "ic", "bias", "flops_profile", "max_sample_length", "resumed",
                         "sample_limit", "errors"], list(rows[0])
assert len(rows) == 4 and len(again) == 4, (len(rows), len(again))
for row, resumed in zip(rows, again):
    a = index["cells"][f"{row['model_name']}__{row['data_name']}"].attrs
    assert row["status"] == "ok" and row["resumed"] == "no" and resumed["resumed"] == "yes", (row, resumed)
    assert row["sample_limit"] == "2" and resumed["sample_limit"] == 2 and row["max_sample_length"] == "256"
    for key in ["ic", "information_capacity", "conditional_entropy"]:
        assert float(row[key]) == float(a[key]) == resumed[key], (key, row[key], a[key], resumed[key])
    # ic - information_capacity = b / log2 N: the bias column is the b the cell was scored with.
    b = (float(a["ic"]) - float(a["information_capacity"])) * math.log2(float(a["flops_per_token"]))
    assert abs(b - float(row["bias"])) < 1e-9 and float(row["bias"]) == resumed["bias"], (b, row["bias"])
PY

# score: --format json is the one row; the old --out writes the same cell file as -o.
score=(score -m $model -d demo/data/project_code.jsonl -l 64 --dtype float32 --device cpu --threads 1)
"$ICSWEEP" "${score[@]}" --format json --out old.h5 > score.json 2> score.err || fail "score json: $(tail -3 score.err)"
[ "$(grep -c "deprecated" score.err)" -eq 1 ] && grep -q "^icsweep score: --out is deprecated; use --output$" score.err \
  || fail "score --out: $(cat score.err)"
"$ICSWEEP_PYTHON" - score.json old.h5 <<'PY' && ok "score --format json, --out: the cell file's numbers" || fail "score json"
import json, sys, h5py
rows = json.load(open(sys.argv[1]))
a = h5py.File(sys.argv[2], "r").attrs
assert len(rows) == 1 and rows[0]["model_name"] == "tiny-llama-s" and rows[0]["max_sample_length"] == 64, rows
assert rows[0]["ic"] == float(a["ic"]) and rows[0]["conditional_entropy"] == float(a["conditional_entropy"])
PY

# flops: the old spellings give the same JSON as the new ones, with one note per spelling.
"$ICSWEEP" flops $model --tokens 64 --json --profile exact > flops-old.json 2> flops-old.err || fail "flops old"
"$ICSWEEP" flops $model -l 64 --format json --flops-profile exact > flops-new.json 2> flops-new.err || fail "flops new"
"$ICSWEEP" flops $model -l 64 -f csv --flops-profile exact > flops.csv || fail "flops csv"
cmp -s flops-old.json flops-new.json && [ ! -s flops-new.err ] && [ "$(grep -c "is deprecated; use" flops-old.err)" -eq 3 ] \
  || fail "flops old spellings: $(cat flops-old.err)"
"$ICSWEEP_PYTHON" - flops-new.json flops.csv <<'PY' && ok "flops: old spellings = new, csv = json" || fail "flops csv"
import csv, json, sys
report = json.load(open(sys.argv[1]))
rows = {r["quantity"]: r for r in csv.DictReader(open(sys.argv[2]))}
assert report["tokens"] == 64 and report["profile"] == "exact", report
assert float(rows["total FLOPs"]["value"]) == report["total_flops"], (rows["total FLOPs"], report["total_flops"])
assert float(rows["FLOPs per token N"]["value"]) == report["flops_per_token"]
PY

# tokenize --stats: the same numbers in every format; -l is --max-length.
tok=(tokenize --tokenizer $model --stats demo/data/project_docs.jsonl)
"$ICSWEEP" "${tok[@]}" --max-length 128 > stats.txt && "$ICSWEEP" "${tok[@]}" -l 128 -f csv > stats.csv \
  && "$ICSWEEP" "${tok[@]}" -l 128 -f json > stats.json || fail "tokenize --stats"
"$ICSWEEP_PYTHON" - stats.txt stats.csv stats.json <<'PY' && ok "tokenize --stats -l 128: table, csv and json agree" || fail "stats"
import csv, json, sys
text = open(sys.argv[1]).read().splitlines()
row = next(csv.DictReader(open(sys.argv[2])))
js = json.load(open(sys.argv[3]))[0]
assert text[0].startswith("# icsweep tokenize --stats") and text[1].split()[0] == "dataset", text
table = dict(zip(text[1].split(), text[2].split()))
assert table["max_length"] == row["max_length"] == "128" == str(js["max_length"]), (table, row, js)
assert float(row["bits_per_token"]) == js["bits_per_token"] and abs(float(table["bits_per_token"]) - js["bits_per_token"]) < 1e-6
assert int(row["samples"]) == js["samples"] > 0
PY

# make-tiny-model: --out and -o write the same files; models --gpus is --gpus-per-model.
"$ICSWEEP" make-tiny-model --out tiny-old --seed 3 > /dev/null 2> tiny.err && "$ICSWEEP" make-tiny-model -o tiny-new --seed 3 > /dev/null \
  || fail "make-tiny-model: $(cat tiny.err)"
diff -r tiny-old tiny-new > /dev/null && grep -q "^icsweep make-tiny-model: --out is deprecated; use --output$" tiny.err \
  && ok "make-tiny-model --out = -o" || fail "make-tiny-model --out: $(cat tiny.err)"
"$ICSWEEP" models $model --gpus 1 -l 64 --format csv > models.csv 2> models.err || fail "models: $(cat models.err)"
grep -q "^icsweep models: --gpus is deprecated; use --gpus-per-model$" models.err && [ "$(wc -l < models.csv)" -eq 2 ] \
  && head -1 models.csv | grep -q "^model,loads," && ok "models --format csv, --gpus" || fail "models: $(cat models.csv models.err)"

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "cli_formats: all checks passed"
