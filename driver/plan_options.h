// The options of the estimate that `icsweep plan` and `icsweep run --dry-run` share (cmd_plan.cpp).
#pragma once

#include <boost/program_options.hpp>

#include "driver/sweep_estimate.h"

namespace icsweep {

// --gpus, --peak-tflops, --mfu.
void add_estimate_options(boost::program_options::options_description* options);
// Reads them into `request`; UsageError for values out of range.
void read_estimate_options(const boost::program_options::variables_map& vm, PlanRequest* request);

}  // namespace icsweep
