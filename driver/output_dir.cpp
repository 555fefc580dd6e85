#include "driver/output_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/common/errors.h"
#include "core/data/content_hash.h"
#include "core/store/cell_file.h"
#include "protocol/journal_records.h"

namespace icsweep {
namespace fs = std::filesystem;
namespace {

// "NAME.h5.tmp-<pid>" as atomic_file.h writes it; a cell file of a model named like one ends in .h5.
bool is_temp_file_name(const std::string& name) {
  const size_t at = name.rfind(".h5.tmp-");
  if (at == std::string::npos || at + 8 == name.size()) return false;
  return name.find_first_not_of("0123456789", at + 8) == std::string::npos;
}

}  // namespace

OutputDir::OutputDir(const std::string& dir) : dir_(dir), cells_dir_(dir_ / "cells") {
  fs::create_directories(cells_dir_);
}

OutputDir::~OutputDir() {
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

std::string OutputDir::cell_path(const CellPlan& cell) const { return (cells_dir_ / (cell.key + ".h5")).string(); }

std::string OutputDir::index_path() const { return (dir_ / "results.h5").string(); }

std::vector<std::vector<uint8_t>> OutputDir::open(std::ostream& log) {
  lock();
  std::vector<std::vector<uint8_t>> records;
  journal_ = std::make_unique<Journal>((dir_ / "journal.bin").string(), &records);
  remove_stale_temp_files(log);
  if (journal_->dropped_bytes() > 0)
    log << "journal: dropped a damaged tail of " << journal_->dropped_bytes() << " bytes ("
        << journal_->dropped_reason() << "); those batches are recomputed\n";
  return records;
}

// One run per output directory: an exclusive lock on the directory itself, held until the process
// ends, so deleting journal.bin (which the journal also locks) does not let a second run in.
void OutputDir::lock() {
  lock_fd_ = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (lock_fd_ < 0) throw StoreError("cannot open the output directory " + dir_.string() + ": " + std::strerror(errno));
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK)
    throw StoreError("output directory " + dir_.string() + " is in use by another icsweep run; wait for it "
                     "to end or use another output directory");
}

// A run killed while writing a cell file or the index leaves "NAME.tmp-<pid>" behind (the rename
// never happened, so no result is lost). We hold the directory's lock: no other run writes here.
void OutputDir::remove_stale_temp_files(std::ostream& log) const {
  for (const fs::path& dir : {dir_, cells_dir_}) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const std::string name = entry.path().filename().string();
      if (!is_temp_file_name(name) || !entry.is_regular_file()) continue;
      log << "removing " << entry.path().string() << " (left by an interrupted run)\n";
      fs::remove(entry.path(), ec);
    }
  }
}

void OutputDir::journal(const std::vector<uint8_t>& record) { journal_->append(record); }

void OutputDir::store_cell_file(const CellPlan& cell, const CellResult& result) {
  const std::string path = cell_path(cell);
  write_cell_file(path, result);
  const std::string digest = files_digest({path});
  journal(cell_file_record(cell.key, digest));
  cell_file_digests_[cell.key] = digest;
}

bool OutputDir::cell_file_intact(const CellPlan& cell, std::ostream& log, EventLog& events) const {
  const auto it = cell_file_digests_.find(cell.key);
  if (it == cell_file_digests_.end()) return true;  // written before digests were journaled
  const std::string path = cell_path(cell);
  const std::string now = files_digest({path});
  if (now == it->second) return true;
  log << "cell " << cell.key << ": " << path << " is damaged (its bytes differ from those written: digest "
      << it->second.substr(0, 12) << " -> " << now.substr(0, 12) << "); recomputing the cell\n";
  events.write("cell_file_damaged", {{"cell", cell.key}, {"file", path}});
  return false;
}

void OutputDir::write_index(const SweepPlan& plan, const std::map<std::string, std::string>& attributes) const {
  std::vector<IndexEntry> entries;
  std::string pending;  // cells of the plan without a file yet (`icsweep report` counts them)
  for (const auto& cell : plan.cells) {
    if (fs::exists(cell_path(cell))) entries.push_back({cell.model.name, cell.dataset.name, "cells/" + cell.key + ".h5"});
    else pending += (pending.empty() ? "" : "\n") + cell.model.name + " x " + cell.dataset.name;
  }
  std::map<std::string, std::string> with_plan = attributes;
  with_plan["cells_planned"] = std::to_string(plan.cells.size());
  with_plan["cells_pending"] = pending;
  write_index_file(index_path(), entries, with_plan);
}

}  // namespace icsweep
