# icsweep: `make demo` and `make test` work on a fresh Debian 12 (they install what is missing).
BUILD      ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS       ?= $(shell nproc)
# Debian's interpreter has h5py/pandas/matplotlib; some machines put another python3 first on PATH.
PYTHON     ?= $(shell for p in /usr/bin/python3 python3; do $$p -c 'import h5py, pandas' 2>/dev/null && echo $$p && break; done)
MPIRUN     ?= mpirun --oversubscribe $(if $(filter 0,$(shell id -u)),--allow-run-as-root)
CMAKE_ARGS ?=

.PHONY: all deps configure build test demo demo-data clean gpu-build help

all: build

help:
	@echo "make deps      install missing Debian packages (scripts/install-deps.sh)"
	@echo "make build     configure and build into $(BUILD)/"
	@echo "make test      deps + build + ctest (labels: unit, golden, mpi, slurm)"
	@echo "make demo      deps + build + tiny demo models/data + mpirun -np 3 sweep + report"
	@echo "make gpu-build build against the torch (CUDA) of python3 (GPU machine)"

deps:
	scripts/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DICSWEEP_PYTHON=$(PYTHON) $(CMAKE_ARGS)

configure: $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

test: deps
	$(MAKE) build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

demo-data: build
	PYTHON=$(PYTHON) ICSWEEP=$(BUILD)/icsweep scripts/make-demo.sh demo

demo: deps
	$(MAKE) demo-data
	rm -rf demo/results
	$(MPIRUN) -np 3 $(BUILD)/icsweep run configs/demo.yaml --progress-interval 5
	$(BUILD)/icsweep report demo/results/results.h5 --format table
	$(PYTHON) -m analysis plot demo/results/results.h5 -o demo/figures --formats png,svg
	$(PYTHON) -m analysis site demo/results/results.h5 -o demo/site
	@echo "figures: demo/figures/, leaderboard page: demo/site/index.html"

# GPU machine (torch 2.x + CUDA in python3). Missing -dev headers can be unpacked with dpkg -x into
# DEPS_PREFIX (see README "GPU build").
DEPS_PREFIX ?= $(CURDIR)/.carry/deps/usr;$(CURDIR)/.carry/gpu-unpacked/usr
gpu-build:
	cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release \
	  -DCMAKE_PREFIX_PATH="$$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)');$(DEPS_PREFIX)" \
	  -DICSWEEP_PYTHON=python3 $(CMAKE_ARGS)
	cmake --build build-gpu -j $(JOBS)

clean:
	rm -rf $(BUILD) build-gpu demo
