// Rank 0: plans the sweep, resumes what earlier runs finished, hands out batches (driver/scheduler.h),
// journals every result durably, writes each finished cell's HDF5 file and the results.h5 index.
#pragma once

#include <ostream>
#include <map>
#include <string>
#include <vector>

#include "core/common/errors.h"
#include "core/config/sweep_config.h"
#include "core/store/cell_result.h"
#include "protocol/transport.h"

namespace icsweep {

struct DriverOptions {
  double progress_interval_seconds = 30;
  bool force = false;         // recompute cells whose results are stale (sweep changed)
  std::vector<std::string> restart_cells;  // "MODEL/DATASET": recompute from scratch (file and journal)
  // A worker that has batches but has not answered for this long is hung: the job ends (exit 3)
  // naming rank, host and batch. Covers a model load too. 0 = wait forever.
  double batch_timeout_seconds = 3600;
  bool scratch_output = false;  // the output folder is deleted after the run (icsweep score): log no paths in it
};

// Thrown by the driver when a worker stops answering (see batch_timeout_seconds).
struct HungBatchError : Error {
  using Error::Error;
};

struct CellSummary {
  std::string key;
  std::string file;    // absolute path of the cell file ("" if none was written)
  std::string status;  // ok | failed | interrupted
  bool resumed = false;  // finished in an earlier run
  PublishedRow row;
  double constant_unrounded = 0;
  double flops_per_token = 0;
  int64_t samples_scored = 0, samples_skipped = 0, total_scored_tokens = 0;
  std::vector<ErrorRow> cell_errors;  // cell-level errors (sample_index -1)
  std::map<std::string, std::string> attributes;  // the cell file's provenance (dtype, dtype_source, devices, ...)
};

struct SweepOutcome {
  int exit_code = 0;  // see driver/signals.h
  std::vector<CellSummary> cells;
  std::string index_file;
};

SweepOutcome run_driver(const SweepConfig& config, Transport& transport, const DriverOptions& options,
                        std::ostream& log);

}  // namespace icsweep
