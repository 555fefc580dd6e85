# Shared set-up for the end-to-end tests (sourced). Needs ICSWEEP, ICSWEEP_SOURCE_DIR,
# ICSWEEP_BINARY_DIR and ICSWEEP_PYTHON from ctest.
set -euo pipefail
: "${ICSWEEP:?run through ctest}" "${ICSWEEP_SOURCE_DIR:?}" "${ICSWEEP_BINARY_DIR:?}" "${ICSWEEP_PYTHON:?}"
MPIRUN=(mpirun --oversubscribe)
[ "$(id -u)" -eq 0 ] && MPIRUN+=(--allow-run-as-root)
check() { "$ICSWEEP_PYTHON" "$ICSWEEP_SOURCE_DIR/tests/e2e/check_results.py" "$@"; }

# fresh_demo NAME: scratch dir with demo models + data and a sweep file of the two smaller demo models;
# prints the dir. The models train DEMO_STEPS steps (default 5 here: the sweep machinery is under test).
fresh_demo() {
  local work="$ICSWEEP_BINARY_DIR/test-scratch/$1"
  rm -rf "$work" && mkdir -p "$work"
  (cd "$ICSWEEP_SOURCE_DIR" && ICSWEEP="$ICSWEEP" PYTHON="$ICSWEEP_PYTHON" DEMO_STEPS=${DEMO_STEPS:-5} scripts/make-demo.sh "$work/demo" >&2)
  cat > "$work/sweep.yaml" <<YAML
models:
  - {name: tiny-llama-s, path: demo/models/tiny-llama-s, series: tiny-llama, size: 57k, dtype: float32}
  - {name: tiny-llama-m, path: demo/models/tiny-llama-m, series: tiny-llama, size: 183k, dtype: float32}
datasets:
  - {name: project_docs, path: demo/data/project_docs.jsonl}
  - {name: project_code, path: demo/data/project_code.jsonl}
settings:
  max_sample_length: 256
  tokens_per_batch: 2048
  output_dir: results
  per_token: true
  device: cpu
  threads: 1
YAML
  echo "$work"
}
