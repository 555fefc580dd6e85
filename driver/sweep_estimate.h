// `icsweep plan SWEEP` and `icsweep run SWEEP --dry-run`: the sweep checked as `run` checks it before
// any model loads (driver/preflight.h), then per cell the samples, scored tokens, scoring FLOPs (the
// exact profile over the samples' real lengths) and a wall-time estimate, and the totals. No weights
// are loaded. The estimate assumes every GPU sustains PEAK x MFU (both stated in the output): the
// defaults, 790 TFLOP/s and 0.6, are bench/NOTES.md's measured bf16 GEMM rate of an H100/H200 and
// the lower end of the MFU icsweep reached there (59% on a 0.5B shape, 79% on 7B). A model split
// across k GPUs (gpus: k) runs as a pipeline, one GPU at a time: G GPUs score it as G / k would.
// Model loading and tokenization are not counted.
#pragma once

#include <ostream>
#include <string>

#include "core/config/sweep_config.h"
#include "core/store/text_table.h"

namespace icsweep {

struct PlanRequest {
  SweepConfig config;            // loaded, overrides applied
  int gpus = 0;                  // GPUs the estimate spreads the work over; 0 = the visible ones, else 1
  double peak_tflops = 790;      // per GPU, dense bf16
  double mfu = 0.6;              // share of the peak sustained
  bool check_visible_devices = false;  // `run --dry-run`: the devices this process sees must match the sweep
  TableFormat format = TableFormat::kTable;
  int threads = 1;               // tokenizer threads
};

// Prints the plan (table: a header, the cells, the totals and the assumptions; csv/json/markdown:
// one row per cell and a "total" row) to `out` and the problems to `err`. Returns 0 when the sweep
// can start, 2 (kExitUsage) with the problems otherwise.
int print_sweep_plan(const PlanRequest& request, std::ostream& out, std::ostream& err);

}  // namespace icsweep
