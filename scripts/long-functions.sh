#!/usr/bin/env bash
# Lists functions longer than N lines (default 80) in the project's C++ sources outside tests,
# using Universal Ctags' end: field. Usage: scripts/long-functions.sh [N]
limit=${1:-80}
cd "$(dirname "$0")/.." || exit 1
git ls-files '*.cpp' '*.h' '*.cu' | grep -v '^tests/' |
  xargs ctags --fields=+ne --c++-kinds=f --kinds-c++=f -o - 2>/dev/null |
  awk -F'\t' -v limit="$limit" '{
    line = ""; end = "";
    for (i = 4; i <= NF; i++) { if ($i ~ /^line:/) line = substr($i, 6); if ($i ~ /^end:/) end = substr($i, 5) }
    if (line != "" && end != "" && end - line + 1 > limit) printf "%5d %s:%s %s\n", end - line + 1, $2, line, $1
  }' | sort -rn
