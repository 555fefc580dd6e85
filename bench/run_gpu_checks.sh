#!/usr/bin/env bash
# One call on the GPU machine: CUDA build, ctest (CUDA available), demo sweep on the GPU, and the
# side-by-side throughput benchmark against transformers. Expects (git-ignored, carried):
#   .carry/deps/usr        dpkg -x of libonig-dev, libutf8proc-dev, libutf8proc2 (headers missing there)
#   .carry/gpu-debs/*.deb  more Debian packages to unpack into .carry/deps (the GPU image has Boost
#                          headers but no compiled Boost.Program_options: libboost1.74-dev,
#                          libboost-program-options1.74-dev and libboost-program-options1.74.0)
# STEPS picks what runs after the build (unset: "ctest demo bench"; "": none; also "profile": per-kernel
# profile of one forward against transformers, PROFILE_ARGS passed on). Writes logs to $OUT (or ./gpu-out).
set -uo pipefail
out=${OUT:-gpu-out}
mkdir -p "$out"
# Unpacked outside the carried folders: each call replaces those with this machine's copies.
for deb in .carry/gpu-debs/*.deb; do [ -f "$deb" ] && dpkg -x "$deb" .carry/gpu-unpacked; done
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$out/gpu.txt"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
step() { echo "=== $1 ($(date +%T))"; }
step build
boost_dir=$(ls -d "$PWD"/.carry/gpu-unpacked/usr/lib/x86_64-linux-gnu/cmake/Boost-1.74.0 2>/dev/null)
make gpu-build JOBS=16 ${boost_dir:+CMAKE_ARGS=-DBoost_DIR=$boost_dir} > "$out/build.log" 2>&1 || { tail -50 "$out/build.log"; exit 1; }
tail -2 "$out/build.log"
steps=" ${STEPS-ctest demo bench} "  # STEPS="" : build only
want() { [[ "$steps" == *" $1 "* ]]; }
if want ctest; then
step ctest
(cd build-gpu && ctest --output-on-failure -j 8 ${CTEST_ARGS:-}) > "$out/ctest.log" 2>&1
grep -E "tests passed|tests failed|Failed|\*\*\*" "$out/ctest.log" | tail -30
fi
if want demo; then
step gpu-demo
ICSWEEP=build-gpu/icsweep PYTHON=python3 scripts/make-demo.sh demo > "$out/demo.log" 2>&1
for device in cuda cpu; do
  build-gpu/icsweep score -m demo/models/tiny-llama-s -d demo/data/project_code.jsonl -l 512 --dtype float32 \
    --device $device --threads 4 | tail -6
done
timeout 300 mpirun --oversubscribe -np 2 build-gpu/icsweep run configs/demo.yaml --device cuda --output demo/results-gpu \
  --progress-interval 10 2>&1 | tail -12
fi
if want bench; then
step bench
PYTHONUNBUFFERED=1 python3 bench/bench_vs_hf.py --bench-scorer build-gpu/bench/bench_scorer ${BENCH_ARGS:-} 2>&1 | tee "$out/bench.txt"
fi
if want profile; then
step profile
PYTHONUNBUFFERED=1 python3 bench/profile_kernels.py --bench-scorer build-gpu/bench/bench_scorer ${PROFILE_ARGS:-} 2>&1 | tee "$out/profile.txt"
fi
