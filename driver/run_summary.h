// What `icsweep run` prints after a sweep (and `icsweep score --format csv|json|markdown`): one row per
// cell with its status, the published numbers, and what ic means there (bias b of the dataset, FLOPs
// profile, T), as a TextTable (core/store/text_table.h) for --format csv|json|markdown, or the fixed
// columns and legend lines of --format table.
#pragma once

#include <cstdio>

#include "core/config/sweep_config.h"
#include "core/store/text_table.h"
#include "driver/sweep_driver.h"

namespace icsweep {

// Columns: model_name, data_name, status, constant, conditional_entropy, BF16_TFLOPs,
// information_capacity, ic, bias, flops_profile, max_sample_length, resumed (yes/no),
// sample_limit (0 = the full dataset; > 0 a partial cell), errors ("kind: message; ...").
TextTable run_summary_table(const SweepOutcome& outcome, const SweepConfig& config);

// --format table: the cells in fixed columns, "(resumed)" and "(PARTIAL: --limit N)" after a row,
// its errors below it, then the legend (b per dataset, profile, T) and the results path, to `out`.
// Other formats: run_summary_table rendered to `out`, the legend and the results path to `notes`.
void print_run_summary(const SweepOutcome& outcome, const SweepConfig& config, TableFormat format, std::FILE* out,
                       std::FILE* notes);

}  // namespace icsweep
