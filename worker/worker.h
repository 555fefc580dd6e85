// Worker endpoint: receives batches, keeps one model loaded (model-major order means it rarely
// switches), scores, sends results. Errors are caught per batch and reported, never fatal.
#pragma once

#include <functional>
#include <string>

#include "protocol/transport.h"

namespace icsweep {

struct WorkerOptions {
  std::string device = "auto";  // auto | cpu | cuda | cuda:N
  int threads = 0;              // torch CPU threads; 0 = default
  // When set: the signal this rank was asked to stop by (0 = none). The worker forwards it once to
  // the driver (kStopRequest), which then stops the whole sweep; the worker itself keeps serving
  // the batches already handed out until the driver's Stop.
  std::function<int()> stop_signal;
};

// Runs until the driver sends Stop, then joins the final reduction of per-cell sums.
void run_worker(Transport& transport, const WorkerOptions& options);

}  // namespace icsweep
