// The stop file: OUTPUT/STOP (and the file named by $ICSWEEP_STOP_FILE, which the Slurm scripts'
// trap creates). Creating it asks a running sweep to stop like SIGUSR1 (no new batches, exit 75):
// the portable stop request, which no launcher can fail to pass on (driver/signals.h).
#pragma once

#include <filesystem>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "driver/progress.h"

namespace icsweep {

constexpr const char* kStopFileName = "STOP";

class StopFiles {
 public:
  explicit StopFiles(const std::filesystem::path& output_dir);
  // A run removes a leftover stop file when it starts; one it cannot remove is ignored from then on.
  void remove_leftovers(std::ostream& log, EventLog& events);
  // True when a stop file exists that is not an ignored leftover (another file, or the same one
  // touched again), so an undeletable STOP is no requeue loop.
  bool present() const;

 private:
  std::vector<std::filesystem::path> files_;
  std::map<std::string, std::string> ignored_;  // path -> identity of an unremovable leftover
};

}  // namespace icsweep
