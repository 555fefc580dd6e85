#!/usr/bin/env bash
# Installs the Debian 12 packages icsweep needs to build, test and run (docs/design.md §6).
# Only missing packages are installed; needs root (or sudo) the first time. libopenblas0-pthread
# replaces the reference BLAS behind libtorch-dev (7x faster CPU matmuls).
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config ccache
  libtorch-dev libopenblas0-pthread libopenmpi-dev openmpi-bin
  libyaml-cpp-dev libhdf5-dev libboost-program-options-dev
  nlohmann-json3-dev libxxhash-dev libonig-dev libutf8proc-dev libsentencepiece-dev
  libgtest-dev libbenchmark-dev
  python3 python3-h5py python3-pandas python3-matplotlib python3-pytest python3-numpy
  python3-pip python3-setuptools  # the analysis package's install test (pip install --prefix, offline)
  chromium  # the leaderboard page's browser test (tests/site/browser_check.py, headless)
  slurm-wlm munge  # the Slurm e2e test starts its own one-node cluster (tests/e2e/slurm_cluster.bash)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
