#!/usr/bin/env bash
# `icsweep merge`: two sweeps of one model each (as the tasks of a job array over model groups) merged
# into one index hold the same cells and numbers as one sweep of both models; --link references the
# cells in place; inputs with another max_sample_length are refused with exit code 2 and a message.
source "$(dirname "$0")/lib.bash"
work=$(fresh_demo merge_groups)
cd "$work"
"$ICSWEEP" run sweep.yaml --output all >all.log 2>&1
sed '/name: tiny-llama-m/d' sweep.yaml > group-0.yaml
sed '/name: tiny-llama-s/d' sweep.yaml > group-1.yaml
sed -e '/name: tiny-llama-s/d' -e 's/max_sample_length: 256/max_sample_length: 128/' sweep.yaml > group-short.yaml
for g in 0 1 short; do "$ICSWEEP" run group-$g.yaml --output results/group-$g >group-$g.log 2>&1; done

"$ICSWEEP" merge results/group-0/results.h5 results/group-1/results.h5 -o merged/all.h5
check same all/results.h5 merged/all.h5
check recompute merged/all.h5
[ "$(ls merged/cells/*.h5 | wc -l)" -eq 4 ]

"$ICSWEEP" merge --link results/group-0/results.h5 results/group-1/results.h5 -o linked.h5
check same all/results.h5 linked.h5
[ ! -d cells ] || { echo "FAIL: --link copied cells"; exit 1; }
"$ICSWEEP" report linked.h5 --format csv | tail -n +2 | wc -l | grep -qx 4

rc=0
"$ICSWEEP" merge results/group-0/results.h5 results/group-short/results.h5 -o bad.h5 2>bad.txt || rc=$?
cat bad.txt
[ "$rc" -eq 2 ] && grep -q "max_sample_length differs: 256" bad.txt && [ ! -e bad.h5 ]
rc=0
"$ICSWEEP" merge results/group-0/results.h5 results/group-0/results.h5 -o dup.h5 2>dup.txt || rc=$?
[ "$rc" -eq 2 ] && grep -q "is in both" dup.txt
echo "PASS"
