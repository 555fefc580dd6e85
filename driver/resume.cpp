#include "driver/resume.h"

#include <chrono>
#include <filesystem>

#include "core/common/errors.h"
#include "core/data/content_hash.h"
#include "core/store/cell_file.h"
#include "driver/cell_assembly.h"
#include "protocol/journal_records.h"

namespace icsweep {
namespace fs = std::filesystem;

JournalReplay replay_journal(const std::vector<std::vector<uint8_t>>& records) {
  JournalReplay replay;
  for (const auto& payload : records) {
    JournalRecord record = decode_journal_record(payload);
    switch (record.kind) {
      case JournalRecord::Kind::kRestart:
        replay.results.erase(record.fingerprint);
        break;
      case JournalRecord::Kind::kCellFile:
        replay.cell_files[record.cell_key] = record.digest;
        break;
      case JournalRecord::Kind::kIdentity:
        replay.identities[record.fingerprint] = parts_from_json(record.parts_json);
        replay.fingerprints_of_key[record.cell_key].insert(record.fingerprint);
        break;
      case JournalRecord::Kind::kBatch:
        replay.results[record.fingerprint].push_back(std::move(record.result));
        ++replay.batches;
        break;
    }
  }
  return replay;
}

std::set<int64_t> cells_to_restart(const SweepPlan& plan, const std::vector<std::string>& names,
                                   const std::string& config_path) {
  std::set<int64_t> cells;
  for (const auto& wanted : names) {
    bool found = false;
    std::string known;
    for (const auto& cell : plan.cells) {
      const std::string name = cell.model.name + "/" + cell.dataset.name;
      known += (known.empty() ? "" : ", ") + name;
      if (name == wanted) cells.insert(cell.cell), found = true;
    }
    if (!found) throw UsageError("--restart-cell " + wanted + ": no such cell in " + config_path +
                                 " (cells: " + known + ")");
  }
  return cells;
}

Resumer::Resumer(const Settings& settings, bool force, OutputDir& output, std::ostream& log, EventLog& events)
    : settings_(settings), force_(force), output_(output), log_(log), events_(events) {}

std::optional<CellResult> Resumer::finished_cell(const CellPlan& cell) {
  const std::string path = output_.cell_path(cell);
  if (!fs::exists(path)) return std::nullopt;
  CellResult existing;
  try {
    existing = read_cell_summary(path);
  } catch (const std::exception& e) {
    log_ << "warning: " << path << " unreadable (" << e.what() << "); recomputing the cell\n";
    return std::nullopt;
  }
  if (existing.status != "ok" || !output_.cell_file_intact(cell, log_, events_)) return std::nullopt;
  const IdentityParts stored = parts_from_json(existing.attributes["identity"]);
  bool same = existing.attributes["cell_fingerprint"] == cell.fingerprint;
  if (!same && same_weights_bytes_despite_dates(cell, stored, existing)) {
    refresh_identity(cell);
    same = true;
  }
  if (!same && stored.count(kPartSampleLimit)) {
    log_ << "cell " << cell.key << ": its stored result is partial (--limit " << stored.at(kPartSampleLimit)
         << "); scoring it " << (cell.identity.count(kPartSampleLimit) ? "with --limit " + cell.identity.at(kPartSampleLimit) : "in full") << "\n";
    events_.write("cell_partial_replaced", {{"cell", cell.key}, {"limit", stored.at(kPartSampleLimit)}});
    return std::nullopt;
  }
  if (!same && cell.identity.count(kPartSampleLimit) &&
      changed_parts(stored, cell.identity) == std::vector<std::string>{kPartSampleLimit}) {
    log_ << "cell " << cell.key << ": a full result exists; kept (a --limit trial never replaces a full cell)\n";
    return existing;
  }
  if (!same) {
    const std::string changes = describe_changes(stored, cell.identity);
    events_.write("cell_stale", {{"cell", cell.key}, {"changed", changed_parts(stored, cell.identity)},
                                 {"recomputed", force_}});
    if (force_) {
      log_ << "cell " << cell.key << ": stale (changed: " << changes << "); recomputing (--force)\n";
      return std::nullopt;
    }
    log_ << "cell " << cell.key << ": STALE: its inputs changed since it was computed (" << changes
         << "); keeping the old result. --force recomputes every stale cell, --restart-cell "
         << cell.model.name << "/" << cell.dataset.name << " this one\n";
  } else if (parts_from_json(existing.attributes["derived_settings"]) != cell.derived) {
    existing = rederive(cell);
  }
  return existing;
}

// Only the weights files' dates changed (a copy, a touch): hashes their bytes here (once per model
// and run) and compares them with those the cell was scored with.
bool Resumer::same_weights_bytes_despite_dates(const CellPlan& cell, const IdentityParts& stored,
                                               const CellResult& existing) {
  const auto bytes = existing.attributes.find("weights_bytes");
  if (bytes == existing.attributes.end() || bytes->second.empty()) return false;
  if (changed_parts(stored, cell.identity) != std::vector<std::string>{kPartWeightsDates}) return false;
  auto it = verified_weights_.find(cell.model.path);
  if (it == verified_weights_.end()) {
    const auto start = std::chrono::steady_clock::now();
    uint64_t bytes_read = 0;
    const std::string digest = files_digest(weight_files(cell.model.path), &bytes_read);
    log_ << "model " << cell.model.name << ": weights files have new dates; hashed their " << bytes_read
         << " bytes in " << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()
         << " s to compare them with the finished cells'\n";
    it = verified_weights_.emplace(cell.model.path, digest).first;
  }
  return it->second == bytes->second;
}

// Rewrites the cell file's identity after its weights bytes were verified unchanged.
void Resumer::refresh_identity(const CellPlan& cell) {
  CellResult full = read_cell_file(output_.cell_path(cell));
  set_identity_attributes(cell, &full);
  output_.store_cell_file(cell, full);
  log_ << "cell " << cell.key << ": weights bytes unchanged (only their dates changed); kept\n";
}

// Bias, series, size, FLOPs profile or attention changed: the published numbers from the stored rows.
CellResult Resumer::rederive(const CellPlan& cell) {
  CellResult full = read_cell_file(output_.cell_path(cell));
  const IdentityParts before = parts_from_json(full.attributes["derived_settings"]);
  const double ic_before = full.row.ic;
  rederive_cell(cell, settings_, &full);
  output_.store_cell_file(cell, full);
  log_ << "cell " << cell.key << ": re-derived from its stored sums without scoring (changed: "
       << describe_changes(before, cell.derived) << "): ic " << ic_before << " -> " << full.row.ic << "\n";
  events_.write("cell_rederived", {{"cell", cell.key}, {"changed", changed_parts(before, cell.derived)}});
  return full;
}

void Resumer::report_stale_batches(const CellPlan& cell, const JournalReplay& replay) {
  const auto keys = replay.fingerprints_of_key.find(cell.key);
  if (keys == replay.fingerprints_of_key.end()) return;
  for (const auto& fingerprint : keys->second) {
    const auto results = replay.results.find(fingerprint);
    if (fingerprint == cell.fingerprint || results == replay.results.end() || results->second.empty()) continue;
    log_ << "cell " << cell.key << ": " << results->second.size()
         << " journaled batches were scored from other inputs (changed: "
         << describe_changes(replay.identities.at(fingerprint), cell.identity)
         << "); they are not used: the cell is scored again from the start\n";
    events_.write("stale_batches", {{"cell", cell.key}, {"batches", results->second.size()},
                                    {"changed", changed_parts(replay.identities.at(fingerprint), cell.identity)}});
  }
}

void Resumer::restart_cell(const CellPlan& cell, JournalReplay* replay) {
  output_.journal(restart_record(cell.fingerprint));
  std::error_code ec;
  const bool had_file = fs::remove(output_.cell_path(cell), ec);
  const size_t batches = replay->results[cell.fingerprint].size();
  replay->results.erase(cell.fingerprint);
  log_ << "cell " << cell.key << ": restarting (--restart-cell): " << (had_file ? "removed its file, " : "")
       << "dropped " << batches << " journaled batches\n";
  events_.write("cell_restart", {{"cell", cell.key}, {"removed_file", had_file}, {"dropped_batches", batches}});
}

}  // namespace icsweep
