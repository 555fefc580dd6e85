// Resume (docs/design.md §3): what the journal and the cell files of earlier runs say is done, and
// what is stale. A cell whose file exists with status ok and the same identity is done (its derived
// numbers re-derived if their settings changed); another identity means its inputs changed: stale,
// kept and reported, redone with --force or --restart-cell. Journaled batches count only for the
// identity they were scored with.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "core/store/cell_result.h"
#include "driver/cell_identity.h"
#include "driver/output_dir.h"
#include "driver/plan.h"
#include "driver/progress.h"
#include "protocol/messages.h"

namespace icsweep {

// What the journal holds (protocol/journal_records.h), replayed in order.
struct JournalReplay {
  std::map<std::string, std::vector<ResultMessage>> results;         // fingerprint -> batches
  std::map<std::string, IdentityParts> identities;                   // fingerprint -> its identity
  std::map<std::string, std::set<std::string>> fingerprints_of_key;  // cell key -> fingerprints seen
  std::map<std::string, std::string> cell_files;  // cell key -> digest of its file as last written
  size_t batches = 0;                             // batch result records
};

JournalReplay replay_journal(const std::vector<std::vector<uint8_t>>& records);

// The cells named by --restart-cell MODEL/DATASET; UsageError for a name that is no cell of the plan.
std::set<int64_t> cells_to_restart(const SweepPlan& plan, const std::vector<std::string>& names,
                                   const std::string& config_path);

class Resumer {
 public:
  // `force`: recompute stale cells instead of keeping them.
  Resumer(const Settings& settings, bool force, OutputDir& output, std::ostream& log, EventLog& events);

  // The finished cell's stored result when it is kept (resumed), none when it must be scored.
  std::optional<CellResult> finished_cell(const CellPlan& cell);
  // Logs the journaled batches of this cell scored from other inputs: they are never combined with
  // this run's.
  void report_stale_batches(const CellPlan& cell, const JournalReplay& replay);
  // --restart-cell: deletes the cell's file and journals a restart record, so that neither this run
  // nor a resumed one reuses the cell's earlier batches.
  void restart_cell(const CellPlan& cell, JournalReplay* replay);

 private:
  bool same_weights_bytes_despite_dates(const CellPlan& cell, const IdentityParts& stored, const CellResult& existing);
  void refresh_identity(const CellPlan& cell);
  CellResult rederive(const CellPlan& cell);

  const Settings& settings_;
  bool force_;
  OutputDir& output_;
  std::ostream& log_;
  EventLog& events_;
  std::map<std::string, std::string> verified_weights_;  // model path -> bytes digest hashed here
};

}  // namespace icsweep
