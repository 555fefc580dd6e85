// The logic behind `icsweep flops MODEL_DIR`: read MODEL_DIR/config.json, run a FLOPs profile and
// render the result as one fixed-column table or as JSON. Kept here (not in driver/) so unit tests
// can run it without the command line.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "core/metrics/flops.h"

namespace icsweep {

struct FlopsRequest {
  std::string model_dir;         // holds config.json
  std::string name;              // quirks match substrings of it; "" = model_dir as given
  int64_t tokens = 1024;         // T
  std::string profile = "reference";  // reference | exact
  std::string attention;         // "" | mla | gqa (reference profile only)
};

struct FlopsReport {
  FlopsRequest request;          // with name filled in
  std::string config_path;       // MODEL_DIR/config.json
  FlopsEstimate estimate;
};


// Throws ModelError (config problems) or UsageError (bad profile/attention/T).
FlopsReport compute_flops_report(FlopsRequest request);

// Header line naming model and profile, the quantity table, the breakdown, then the notes.
std::string format_flops_table(const FlopsReport& report);

// {"model_dir", "name", "config", "profile", "tokens", "total_flops", "total_tflops",
//  "flops_per_token", "log2_flops_per_token", "dimensions": {...}, "breakdown": {...}, "notes": [...]}
nlohmann::json flops_report_json(const FlopsReport& report);

}  // namespace icsweep
