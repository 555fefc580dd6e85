// Progress for batch logs: one line every ~30 s (elapsed, cell, samples done/total, share of the
// sweep's scoring FLOPs done, tokens/s, ETA, slowest rank, busy share), no '\r' bars; and a JSON-lines
// event log beside the results. The ETA extrapolates FLOPs done per second (the exact profile's
// scoring FLOPs of each cell, driver/plan.h cell_scoring_flops), not tokens: a sweep's larger models
// come last and cost more per token. Times are h:mm:ss.
// Busy share: over the last interval, the forward seconds the workers reported (from a batch's host ids
// to its NLL back on the host; the GPU has nothing to do outside them) over interval wall time x the
// workers that answered; below ~95% in a steady cell, ranks are waiting on the driver.
#pragma once

#include <chrono>
#include <cstdint>
#include <fstream>
#include <map>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

namespace icsweep {

// "1:02:03" (hours not padded, "0:00:07" for 7 s); "-" for a negative or non-finite time.
std::string hms(double seconds);

class EventLog {
 public:
  explicit EventLog(const std::string& path);  // appends; "" = no log
  // Writes {"time": ..., "event": name, ...fields} as one line and flushes.
  void write(const std::string& event, nlohmann::json fields = nlohmann::json::object());

 private:
  std::ofstream out_;
};

class Progress {
 public:
  Progress(std::ostream& out, double interval_seconds, double total_flops, int64_t total_samples);

  // `flops`: the scoring FLOPs of the samples done (their share of their cell's).
  void add_done(int64_t samples, int64_t tokens, double flops, int worker, double forward_seconds);
  void set_cell(const std::string& cell_key, int64_t cell_done_samples, int64_t cell_total_samples);
  // Prints a line when the interval has passed (or `force`).
  void maybe_print(bool force = false);
  double elapsed_seconds() const;

 private:
  std::ostream& out_;
  double interval_;
  std::chrono::steady_clock::time_point start_, last_print_;
  double total_flops_, done_flops_ = 0;
  int64_t total_samples_;
  int64_t done_tokens_ = 0, done_samples_ = 0;
  std::string cell_;
  int64_t cell_done_ = 0, cell_total_ = 0;
  std::map<int, double> worker_forward_seconds_;
  std::map<int, double> interval_forward_seconds_;  // since the last printed line
  std::map<int, int64_t> worker_tokens_;
};

}  // namespace icsweep
