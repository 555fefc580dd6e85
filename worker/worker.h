// Worker endpoint: receives batches, keeps one model loaded (model-major order means it rarely
// switches), scores, sends results. Errors are caught per batch and reported, never fatal.
#pragma once

#include <string>

#include "worker/transport.h"

namespace icsweep {

struct WorkerOptions {
  std::string device = "auto";  // auto | cpu | cuda | cuda:N
  int threads = 0;              // torch CPU threads; 0 = default
};

// Runs until the driver sends Stop, then joins the final reduction of per-cell sums.
void run_worker(Transport& transport, const WorkerOptions& options);

}  // namespace icsweep
