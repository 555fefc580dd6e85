// Launch glue shared by `icsweep run` and `icsweep score`: picks MPI or the in-process transport,
// runs the driver on rank 0 and workers elsewhere, and turns failures into exit codes.
#pragma once

#include <string>

#include "core/config/sweep_config.h"
#include "core/store/text_table.h"
#include "driver/sweep_driver.h"

namespace icsweep {

struct RunRequest {
  std::string sweep_path;         // YAML file (ignored when a config is passed in directly)
  std::string output_override;
  std::string device_override;
  int in_process_workers = 1;
  int64_t sample_limit = 0;       // --limit: settings.sample_limit
  bool print_summary = true;      // the report table and the results path after the run
  // --format of that summary (driver/run_summary.h); not table: progress goes to stderr, so that
  // stdout holds the csv, json or markdown alone.
  TableFormat summary_format = TableFormat::kTable;
  DriverOptions driver;
};

// Loads the sweep (unless `config` is given), runs it, prints the report table on rank 0.
// `outcome` (optional) receives the driver's outcome on rank 0. Returns the exit code.
int run_sweep_command(const RunRequest& request, SweepOutcome* outcome, const SweepConfig* config = nullptr);

}  // namespace icsweep
