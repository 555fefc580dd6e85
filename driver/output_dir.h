// What the driver keeps under OUTPUT/ (docs/design.md §3): the lock that admits one run, the journal
// (its records: protocol/journal_records.h), the cell files with the journaled digest of their bytes,
// and the results.h5 index.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "core/store/cell_result.h"
#include "core/store/journal.h"
#include "driver/plan.h"
#include "driver/progress.h"

namespace icsweep {

class OutputDir {
 public:
  // Creates DIR and DIR/cells.
  explicit OutputDir(const std::string& dir);
  ~OutputDir();
  OutputDir(const OutputDir&) = delete;
  OutputDir& operator=(const OutputDir&) = delete;

  const std::filesystem::path& path() const { return dir_; }
  std::string cell_path(const CellPlan& cell) const;
  std::string index_path() const;

  // Takes the directory's lock (StoreError when another run holds it), opens the journal, removes
  // the temporary files an interrupted run left behind. Returns the journal's records, in order.
  std::vector<std::vector<uint8_t>> open(std::ostream& log);
  // Appends one record durably (protocol/journal_records.h encodes them).
  void journal(const std::vector<uint8_t>& record);

  // The digests of the cell files as the journal last recorded them (cell key -> digest).
  void set_cell_file_digests(std::map<std::string, std::string> digests) { cell_file_digests_ = std::move(digests); }
  // Writes the cell file and journals the digest of its bytes (verified when a later run resumes it).
  void store_cell_file(const CellPlan& cell, const CellResult& result);
  // False when the journal holds the digest of the file as written and its bytes now differ.
  bool cell_file_intact(const CellPlan& cell, std::ostream& log, EventLog& events) const;

  // results.h5: every cell of the plan whose file exists.
  void write_index(const SweepPlan& plan, const std::map<std::string, std::string>& attributes) const;

 private:
  void lock();
  void remove_stale_temp_files(std::ostream& log) const;

  std::filesystem::path dir_, cells_dir_;
  int lock_fd_ = -1;  // flock on the directory itself, held until the process ends
  std::unique_ptr<Journal> journal_;
  std::map<std::string, std::string> cell_file_digests_;  // cell key -> journaled digest of its file
};

}  // namespace icsweep
