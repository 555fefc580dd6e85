#include "driver/sweep_driver.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <chrono>
#include <cmath>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "core/common/bytes.h"
#include "core/common/errors.h"
#include "core/data/content_hash.h"
#include "core/score/replicated_scorer.h"
#include "core/store/cell_file.h"
#include "core/store/journal.h"
#include "driver/cell_assembly.h"
#include "driver/journal_records.h"
#include "driver/plan.h"
#include "driver/progress.h"
#include "driver/signals.h"
#include "icsweep_version.h"
#include "worker/messages.h"

namespace icsweep {
namespace fs = std::filesystem;
namespace {

constexpr int kBatchesInFlightPerWorker = 2;

struct WorkItem {
  int64_t cell = 0;
  int64_t batch = 0;
  std::vector<int64_t> members;  // record positions
};

struct CellState {
  CellScores scores;
  int64_t remaining = 0;  // members neither scored nor failed
  bool finished = false;
  bool failed = false;
  std::vector<bool> replayed;  // by record position: scored by a journaled batch of an earlier run
  std::string failure_kind, failure_message;
  // This run's sums, for the cross-check against the workers' reduction.
  double run_nll = 0, run_tokens = 0, run_samples = 0;
};

class SweepDriver {
 public:
  SweepDriver(const SweepConfig& config, Transport& transport, const DriverOptions& options, std::ostream& log)
      : config_(config), transport_(transport), options_(options), log_(log),
        out_dir_(config.settings.output_dir), cells_dir_(out_dir_ / "cells"),
        events_((fs::create_directories(cells_dir_), (out_dir_ / "events.jsonl").string())) {}

  ~SweepDriver() {
    if (output_lock_fd_ >= 0) ::close(output_lock_fd_);
  }
  SweepDriver(const SweepDriver&) = delete;
  SweepDriver& operator=(const SweepDriver&) = delete;

  SweepOutcome run() {
    events_.write("sweep_start", {{"config", config_.source_path}, {"endpoints", transport_.endpoint_count()},
                                  {"transport", transport_.kind()}});
    remove_leftover_stop_file();
    greet_workers();
    try {
      plan_sweep();
    } catch (const PlanInterrupted& e) {
      return interrupted_while_planning(e.what());
    }
    check_restart_cells();
    resume_and_queue();
    dispatch_loop();
    stop_workers_and_cross_check();
    return finish();
  }

 private:
  void greet_workers() {
    const int workers = transport_.endpoint_count() - 1;
    if (workers < 1) throw Error("no worker endpoint: the driver needs at least one worker");
    std::set<std::string> hosts, devices;
    log_ << "rank  host                  device\n";
    for (int seen = 0; seen < workers;) {
      Envelope e;
      if (!transport_.receive(&e, 600000)) throw Error("workers did not report within 10 minutes");
      if (e.tag == MessageTag::kStopRequest) {
        handle_stop_request(e);
        continue;
      }
      if (e.tag != MessageTag::kHello) throw Error("expected hello from rank " + std::to_string(e.source));
      const HelloMessage hello = decode_hello(e.payload);
      char line[512];
      std::snprintf(line, sizeof line, "%-5d %-21s %s\n", e.source, hello.host.c_str(), hello.device_description.c_str());
      log_ << line;
      hosts.insert(hello.host);
      devices.insert(hello.device_description);
      worker_device_[e.source] = hello.device;
      worker_host_[e.source] = hello.host;
      worker_owned_devices_[e.source] = hello.owned_devices;
      events_.write("worker", {{"rank", e.source}, {"host", hello.host}, {"device", hello.device_description}});
      ++seen;
    }
    log_.flush();
    for (const auto& h : hosts) provenance_.attributes["hosts"] += (provenance_.attributes["hosts"].empty() ? "" : ",") + h;
    for (const auto& d : devices) provenance_.attributes["devices"] += (provenance_.attributes["devices"].empty() ? "" : "; ") + d;
  }

  // A signal or the stop file during planning (a long tokenization): the workers are released and
  // the run exits 75 at once; nothing was scored, the next run plans again.
  SweepOutcome interrupted_while_planning(const std::string& what) {
    log_ << stop_reason() << " while planning (" << what << "): nothing was scored; exiting with "
         << kExitRequeue << " (re-run to resume)\n";
    events_.write("stop_requested", {{"signal", stop_signal()}, {"in_flight", 0}, {"while", "planning"}});
    for (const auto& [rank, device] : worker_device_) transport_.send(rank, MessageTag::kStop, encode(StopMessage{0}));
    transport_.reduce_sum({});
    events_.write("sweep_end", {{"exit_code", kExitRequeue}, {"cells", 0}});
    SweepOutcome outcome;
    outcome.exit_code = kExitRequeue;
    outcome.index_file = (out_dir_ / "results.h5").string();
    return outcome;
  }

  void plan_sweep() {
    bool cuda = false;
    for (const auto& [rank, device] : worker_device_) cuda = cuda || device.rfind("cuda", 0) == 0;
    const int64_t budget = config_.settings.tokens_per_batch > 0 ? config_.settings.tokens_per_batch
                                                                 : default_token_budget(cuda);
    const int threads = options_.tokenizer_threads > 0 ? options_.tokenizer_threads
                                                       : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    plan_ = build_plan(config_, budget, threads);
    provenance_.attributes["icsweep_version"] = ICSWEEP_VERSION;
    provenance_.attributes["git_commit"] = ICSWEEP_GIT_COMMIT;
    provenance_.attributes["config_path"] = config_.source_path;
    provenance_.attributes["config_text"] = config_.source_text;
    provenance_.attributes["tokens_per_batch"] = std::to_string(budget);
    provenance_.attributes["transport"] = transport_.kind();
    provenance_.attributes["world_size"] = std::to_string(transport_.endpoint_count());
    log_ << "plan: " << plan_.cells.size() << " cells, token budget " << budget << " per batch\n";
    for (const auto& w : plan_.warnings) {
      log_ << "warning: " << w << "\n";
      events_.write("warning", {{"message", w}});
    }
  }

  std::string cell_path(const CellPlan& cell) const { return (cells_dir_ / (cell.key + ".h5")).string(); }

  void resume_and_queue() {
    lock_output_dir();
    std::vector<std::vector<uint8_t>> records;
    journal_ = std::make_unique<Journal>((out_dir_ / "journal.bin").string(), &records);
    remove_stale_temp_files();
    if (journal_->dropped_bytes() > 0)
      log_ << "journal: dropped a damaged tail of " << journal_->dropped_bytes() << " bytes ("
           << journal_->dropped_reason() << "); those batches are recomputed\n";
    JournalReplay replay = replay_journal(records);
    if (replay.batches > 0) log_ << "journal: " << replay.batches << " finished batches from earlier runs\n";
    cell_file_digests_ = replay.cell_files;
    states_.resize(plan_.cells.size());
    for (auto& cell : plan_.cells) {
      CellState& state = states_[cell.cell];
      if (restart_.count(cell.cell)) restart_cell(cell, &replay.results);
      if (resume_finished_cell(cell)) continue;
      if (!cell.failure.empty()) {
        fail_cell(cell, cell.failure_kind, cell.failure);
        continue;
      }
      report_stale_batches(cell, replay);
      if (!replay.identities.count(cell.fingerprint)) journal_identity(cell);
      state.scores = CellScores(cell.data->ids.size());
      state.replayed.assign(cell.data->ids.size(), false);
      for (const auto& b : cell.batches) state.remaining += static_cast<int64_t>(b.members.size());
      for (const auto& result : replay.results[cell.fingerprint]) apply_scores(cell, result, /*this_run=*/false);
      for (size_t b = 0; b < cell.batches.size(); ++b) {
        WorkItem item{cell.cell, static_cast<int64_t>(b), {}};
        for (int64_t m : cell.batches[b].members)
          if (!state.scores.scored[m]) item.members.push_back(m);
        if (!item.members.empty()) queue_.push_back(std::move(item));
      }
      total_tokens_ += pending_tokens(cell);
      total_samples_ += state.remaining;
      maybe_finish_cell(cell);
    }
  }

  // One run per output directory: an exclusive lock on the directory itself, held until the process
  // ends, so deleting journal.bin (which the journal also locks) does not let a second run in.
  void lock_output_dir() {
    output_lock_fd_ = ::open(out_dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (output_lock_fd_ < 0) throw StoreError("cannot open the output directory " + out_dir_.string() + ": " + std::strerror(errno));
    if (::flock(output_lock_fd_, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK)
      throw StoreError("output directory " + out_dir_.string() + " is in use by another icsweep run; wait for it "
                       "to end or use another output directory");
  }

  // Records the cell's identity in the journal (once per identity), before its first batch.
  void journal_identity(const CellPlan& cell) {
    journal_->append(identity_record(cell.fingerprint, cell.key, cell.identity));
  }

  // Journaled batches of this cell scored from other inputs are never combined with this run's.
  void report_stale_batches(const CellPlan& cell, const JournalReplay& replay) {
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

  // --restart-cell MODEL/DATASET: every name must be a cell of this sweep.
  void check_restart_cells() {
    for (const auto& wanted : options_.restart_cells) {
      bool found = false;
      std::string known;
      for (const auto& cell : plan_.cells) {
        const std::string name = cell.model.name + "/" + cell.dataset.name;
        known += (known.empty() ? "" : ", ") + name;
        if (name == wanted) restart_.insert(cell.cell), found = true;
      }
      if (!found) throw UsageError("--restart-cell " + wanted + ": no such cell in " + config_.source_path +
                                   " (cells: " + known + ")");
    }
  }

  // Deletes the cell's file and journals a restart record, so that neither this run nor a resumed
  // one reuses the cell's earlier batches.
  void restart_cell(const CellPlan& cell, std::map<std::string, std::vector<ResultMessage>>* replay) {
    journal_restart(cell);
    std::error_code ec;
    const bool had_file = fs::remove(cell_path(cell), ec);
    const size_t batches = (*replay)[cell.fingerprint].size();
    replay->erase(cell.fingerprint);
    log_ << "cell " << cell.key << ": restarting (--restart-cell): " << (had_file ? "removed its file, " : "")
         << "dropped " << batches << " journaled batches\n";
    events_.write("cell_restart", {{"cell", cell.key}, {"removed_file", had_file}, {"dropped_batches", batches}});
  }

  void journal_restart(const CellPlan& cell) {
    journal_->append(restart_record(cell.fingerprint));
  }

  // OUTPUT/STOP, and $ICSWEEP_STOP_FILE when set (the Slurm scripts' trap creates it).
  std::vector<fs::path> stop_files() const {
    std::vector<fs::path> files{out_dir_ / kStopFileName};
    if (const char* env = std::getenv("ICSWEEP_STOP_FILE"); env && *env) files.emplace_back(env);
    return files;
  }

  // (device, inode, modification time) of a file; empty when it does not exist.
  static std::string file_identity(const fs::path& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) return "";
    return std::to_string(info.st_dev) + ":" + std::to_string(info.st_ino) + ":" +
           std::to_string(info.st_mtim.tv_sec) + "." + std::to_string(info.st_mtim.tv_nsec);
  }

  // A leftover stop file this run could not remove is ignored; only a new one (another file, or the
  // same one touched again) stops the run, so an undeletable STOP is no requeue loop.
  bool stop_file_present() const {
    for (const auto& f : stop_files()) {
      const std::string identity = file_identity(f);
      if (!identity.empty() && !(ignored_stop_files_.count(f.string()) && ignored_stop_files_.at(f.string()) == identity))
        return true;
    }
    return false;
  }

  void remove_leftover_stop_file() {
    for (const auto& f : stop_files()) {
      std::error_code ec;
      if (fs::remove(f, ec)) {
        log_ << "removed " << f.string() << " left by an earlier stop request\n";
      } else if (ec && fs::exists(f)) {
        ignored_stop_files_[f.string()] = file_identity(f);
        log_ << "warning: cannot remove " << f.string() << " left by an earlier stop request (" << ec.message()
             << "); ignoring it: only a new stop request stops this run. Remove it by hand\n";
        events_.write("warning", {{"message", "cannot remove leftover stop file " + f.string()}});
      }
    }
  }

  // "NAME.h5.tmp-<pid>" as atomic_file.h writes it; a cell file of a model named like one ends in .h5.
  static bool is_temp_file_name(const std::string& name) {
    const size_t at = name.rfind(".h5.tmp-");
    if (at == std::string::npos || at + 8 == name.size()) return false;
    return name.find_first_not_of("0123456789", at + 8) == std::string::npos;
  }

  // A run killed while writing a cell file or the index leaves "NAME.tmp-<pid>" behind (the rename
  // never happened, so no result is lost). We hold the journal's lock: no other run writes here.
  void remove_stale_temp_files() {
    for (const fs::path& dir : {out_dir_, cells_dir_}) {
      std::error_code ec;
      for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (!is_temp_file_name(name) || !entry.is_regular_file()) continue;
        log_ << "removing " << entry.path().string() << " (left by an interrupted run)\n";
        fs::remove(entry.path(), ec);
      }
    }
  }

  // A cell whose file exists with status ok and the same identity is done (its derived numbers
  // re-derived if their settings changed); another identity means its inputs changed: stale, kept
  // and reported, redone with --force (or --restart-cell).
  bool resume_finished_cell(const CellPlan& cell) {
    const std::string path = cell_path(cell);
    if (!fs::exists(path)) return false;
    CellResult existing;
    try {
      existing = read_cell_summary(path);
    } catch (const std::exception& e) {
      log_ << "warning: " << path << " unreadable (" << e.what() << "); recomputing the cell\n";
      return false;
    }
    if (existing.status != "ok" || !cell_file_intact(cell, path)) return false;
    const IdentityParts stored = parts_from_json(existing.attributes["identity"]);
    bool same = existing.attributes["cell_fingerprint"] == cell.fingerprint;
    if (!same && same_weights_bytes_despite_dates(cell, stored, existing)) same = refresh_identity(cell, path);
    if (!same) {
      const std::string changes = describe_changes(stored, cell.identity);
      events_.write("cell_stale", {{"cell", cell.key}, {"changed", changed_parts(stored, cell.identity)},
                                   {"recomputed", options_.force}});
      if (options_.force) {
        log_ << "cell " << cell.key << ": stale (changed: " << changes << "); recomputing (--force)\n";
        return false;
      }
      log_ << "cell " << cell.key << ": STALE: its inputs changed since it was computed (" << changes
           << "); keeping the old result. --force recomputes every stale cell, --restart-cell "
           << cell.model.name << "/" << cell.dataset.name << " this one\n";
    } else if (parts_from_json(existing.attributes["derived_settings"]) != cell.derived) {
      existing = rederive(cell, path);
    }
    CellState& state = states_[cell.cell];
    state.finished = true;
    finished_.push_back(summarize(cell, existing, path, /*resumed=*/true));
    return true;
  }

  // Only the weights files' dates changed (a copy, a touch): hashes their bytes here (once per model
  // and run) and compares them with those the cell was scored with.
  bool same_weights_bytes_despite_dates(const CellPlan& cell, const IdentityParts& stored, const CellResult& existing) {
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
  bool refresh_identity(const CellPlan& cell, const std::string& path) {
    CellResult full = read_cell_file(path);
    set_identity_attributes(cell, &full);
    store_cell_file(cell, path, full);
    log_ << "cell " << cell.key << ": weights bytes unchanged (only their dates changed); kept\n";
    return true;
  }

  // Bias, series, size, FLOPs profile or attention changed: the published numbers from the stored rows.
  CellResult rederive(const CellPlan& cell, const std::string& path) {
    CellResult full = read_cell_file(path);
    const IdentityParts before = parts_from_json(full.attributes["derived_settings"]);
    const double ic_before = full.row.ic;
    rederive_cell(cell, config_.settings, &full);
    store_cell_file(cell, path, full);
    log_ << "cell " << cell.key << ": re-derived from its stored sums without scoring (changed: "
         << describe_changes(before, cell.derived) << "): ic " << ic_before << " -> " << full.row.ic << "\n";
    events_.write("cell_rederived", {{"cell", cell.key}, {"changed", changed_parts(before, cell.derived)}});
    return full;
  }

  int64_t pending_tokens(const CellPlan& cell) const {
    int64_t tokens = 0;
    const CellState& state = states_[cell.cell];
    for (size_t i = 0; i < cell.data->ids.size(); ++i)
      if (!state.scores.scored[i] && cell.data->ids[i].size() >= 2) tokens += static_cast<int64_t>(cell.data->ids[i].size()) - 1;
    return tokens;
  }

  size_t position_of(const CellPlan& cell, int64_t sample_index) const {
    const auto& records = cell.data->contents->records;
    const auto it = std::lower_bound(records.begin(), records.end(), sample_index,
                                     [](const TextRecord& r, int64_t s) { return r.sample_index < s; });
    if (it == records.end() || it->sample_index != sample_index)
      throw Error("result for unknown sample " + std::to_string(sample_index) + " of cell " + cell.key);
    return static_cast<size_t>(it - records.begin());
  }

  void apply_scores(const CellPlan& cell, const ResultMessage& result, bool this_run) {
    CellState& state = states_[cell.cell];
    if (state.scores.weights_digest.empty()) state.scores.weights_digest = result.weights_digest;
    for (size_t i = 0; i < result.sample_index.size(); ++i) {
      const size_t p = position_of(cell, result.sample_index[i]);
      if (state.scores.scored[p] || state.scores.failed.count(p)) continue;
      if (result.n_tokens[i] != static_cast<int64_t>(cell.data->ids[p].size()) - 1)
        throw Error("result for sample " + std::to_string(result.sample_index[i]) + " of " + cell.key +
                    " scored a different number of tokens than planned");
      if (!std::isfinite(result.nll_bits[i])) {  // never an ok sample: the sample fails, naming the model
        state.scores.failed[p] = "non-finite NLL (" + std::to_string(result.nll_bits[i]) + " bits) from model " +
            cell.model.name + " (" + cell.model.path + ", dtype " + cell.model.dtype + "): its weights or "
            "activations hold NaN/Inf; check the checkpoint, or score float16 models in bfloat16/float32";
        --state.remaining;
        continue;
      }
      state.scores.scored[p] = true;
      state.replayed[p] = !this_run;
      state.scores.n_tokens[p] = result.n_tokens[i];
      state.scores.nll_bits[p] = result.nll_bits[i];
      if (!result.token_offsets.empty())
        state.scores.token_nll_bits[p].assign(result.token_nll_bits.begin() + result.token_offsets[i],
                                              result.token_nll_bits.begin() + result.token_offsets[i + 1]);
      --state.remaining;
      if (this_run) {
        state.run_nll += result.nll_bits[i];
        state.run_tokens += static_cast<double>(result.n_tokens[i]);
        state.run_samples += 1;
      }
    }
  }

  // A worker rank got SIGTERM/SIGUSR1/SIGINT (e.g. only some ranks were signalled): stop as if the
  // driver had got it.
  void handle_stop_request(const Envelope& e) {
    ByteReader reader(e.payload);
    const int signal = reader.get<int32_t>();
    log_ << "rank " << e.source << " got signal " << signal << "; stopping the sweep\n";
    events_.write("worker_signal", {{"rank", e.source}, {"signal", signal}});
    request_stop(signal);
  }

  void dispatch_loop() {
    Progress progress(log_, options_.progress_interval_seconds, total_tokens_, total_samples_);
    bool announced_stop = false;
    for (;;) {
      if (!stop_requested() && stop_file_present()) request_stop(kStopFile);
      if (stop_requested() && !announced_stop) {
        announced_stop = true;
        log_ << stop_reason() << ": no new batches; waiting for " << in_flight_.size()
             << " in flight, then exiting with " << kExitRequeue << " (re-run to resume)\n";
        events_.write("stop_requested", {{"signal", stop_signal()}, {"in_flight", in_flight_.size()}});
      }
      check_hung_workers();
      if (!stop_requested()) dispatch();
      if (in_flight_.empty()) break;
      Envelope e;
      if (transport_.receive(&e, 1000)) {
        if (e.tag == MessageTag::kStopRequest) {
          handle_stop_request(e);
          continue;
        }
        if (e.tag != MessageTag::kResult) throw Error("unexpected message from rank " + std::to_string(e.source));
        handle_result(e.source, decode_result(e.payload), &progress);
      }
      progress.maybe_print();
    }
    progress.maybe_print(true);
  }

  void dispatch() {
    while (!queue_.empty()) {
      int best = -1;
      for (const auto& [rank, device] : worker_device_)
        if (load_[rank] < kBatchesInFlightPerWorker && (best < 0 || load_[rank] < load_[best])) best = rank;
      if (best < 0) return;
      WorkItem item = std::move(queue_.front());
      queue_.pop_front();
      const CellPlan& cell = plan_.cells[item.cell];
      if (states_[item.cell].finished) continue;
      BatchMessage m;
      m.work_id = next_work_id_++;
      m.cell = item.cell;
      m.batch = item.batch;
      m.model_dir = cell.model.path;
      m.dtype = cell.model.dtype;
      m.vocab_limit = cell.data->tokenizer_size;
      m.per_token = config_.settings.per_token;
      m.gpus = cell.model.gpus;
      m.offsets.push_back(0);
      for (int64_t p : item.members) {
        m.sample_index.push_back(cell.data->contents->records[p].sample_index);
        const auto& ids = cell.data->ids[p];
        m.ids.insert(m.ids.end(), ids.begin(), ids.end());
        m.offsets.push_back(static_cast<int64_t>(m.ids.size()));
      }
      transport_.send(best, MessageTag::kBatch, encode(m));
      if (load_[best]++ == 0) busy_since_[best] = std::chrono::steady_clock::now();
      in_flight_[m.work_id] = {best, std::move(item)};
    }
  }

  void handle_result(int worker, const ResultMessage& result, Progress* progress) {
    const auto it = in_flight_.find(result.work_id);
    if (it == in_flight_.end()) throw Error("rank " + std::to_string(worker) + " answered unknown work " + std::to_string(result.work_id));
    WorkItem item = std::move(it->second.second);
    in_flight_.erase(it);
    --load_[worker];
    busy_since_[worker] = std::chrono::steady_clock::now();  // it answered: the next batch's clock starts
    const CellPlan& cell = plan_.cells[item.cell];
    CellState& state = states_[item.cell];
    if (state.finished) return;  // e.g. the model failed on another worker meanwhile
    if (result.load_seconds > 0) {
      // The worker loaded as many copies as its owned devices hold (the same rule it applies).
      const int replicas = replica_count(worker_owned_devices_[worker], cell.model.gpus);
      log_ << "rank " << worker << ": loaded " << cell.model.name << " in " << result.load_seconds << " s ("
           << result.load_gigabytes / result.load_seconds << " GB/s"
           << (replicas > 1 ? ", " + std::to_string(replicas) + " replicas loaded concurrently" : std::string())
           << "; weights bytes hashed in " << result.digest_seconds << " s)\n";
      events_.write("model_loaded", {{"rank", worker}, {"model", cell.model.name}, {"seconds", result.load_seconds},
                                     {"gigabytes", result.load_gigabytes}, {"replicas", replicas},
                                     {"digest_seconds", result.digest_seconds}});
    }
    if (result.ok && !check_weights_bytes(cell, result.weights_digest)) {
      fail_cell(cell, "weights_changed", "the weights of " + cell.model.name + " in " + cell.model.path +
                    " changed while the sweep ran (their bytes hash differently on rank " + std::to_string(worker) +
                    "); re-run once they are final");
      return;
    }
    if (result.ok) {
      journal_->append(batch_record(cell.fingerprint, result));
      apply_scores(cell, result, /*this_run=*/true);
      int64_t tokens = 0;
      for (auto t : result.n_tokens) tokens += t;
      progress->add_done(static_cast<int64_t>(result.n_tokens.size()), tokens, worker, result.forward_seconds);
      progress->set_cell(cell.key, static_cast<int64_t>(cell.data->ids.size()) - state.remaining,
                         static_cast<int64_t>(cell.data->ids.size()));
    } else if (result.model_failed) {
      for (auto& other : plan_.cells)
        if (other.model.name == cell.model.name && !states_[other.cell].finished)
          fail_cell(other, "model_load", result.error);
      return;
    } else if (item.members.size() > 1) {
      // Out of memory or a failing sample: retry in halves (front of the queue) to isolate it.
      log_ << "rank " << worker << ": batch " << item.batch << " of " << cell.key << " failed ("
           << result.error.substr(0, 200) << "); retrying in halves\n";
      const size_t half = item.members.size() / 2;
      WorkItem second{item.cell, item.batch, {item.members.begin() + half, item.members.end()}};
      item.members.resize(half);
      queue_.push_front(std::move(second));
      queue_.push_front(std::move(item));
    } else {
      state.scores.failed[item.members[0]] = result.error;
      --state.remaining;
      events_.write("sample_failed", {{"cell", cell.key}, {"sample_index", cell.data->contents->records[item.members[0]].sample_index},
                                      {"error", result.error}});
    }
    maybe_finish_cell(cell);
  }

  // The first result of a model in this run brings its weights' bytes digest: journaled samples of
  // its cells scored with other bytes (weights rewritten under the same header and date) are scored
  // again. False when this run's own results disagree (the files changed while it ran).
  bool check_weights_bytes(const CellPlan& cell, const std::string& digest) {
    const auto [known, first] = weights_digest_.emplace(cell.model.name, digest);
    if (!first) return known->second == digest;
    for (const auto& other : plan_.cells) {
      CellState& state = states_[other.cell];
      if (other.model.name != cell.model.name || state.finished || state.replayed.empty()) continue;
      const std::string before = state.scores.weights_digest;
      if (before.empty() || before == digest) continue;
      rescore_replayed(other);
      log_ << "cell " << other.key << ": its journaled batches were scored with other weights bytes (changed: "
           << "weights bytes (" << before.substr(0, 12) << " -> " << digest.substr(0, 12)
           << ")); they are dropped and scored again\n";
    }
    return true;
  }

  // Forgets the samples a cell took from the journal and queues them again.
  void rescore_replayed(const CellPlan& cell) {
    CellState& state = states_[cell.cell];
    journal_restart(cell);
    state.scores.weights_digest.clear();
    for (size_t b = 0; b < cell.batches.size(); ++b) {
      WorkItem item{cell.cell, static_cast<int64_t>(b), {}};
      for (int64_t m : cell.batches[b].members) {
        if (!state.replayed[m]) continue;
        state.replayed[m] = state.scores.scored[m] = false;
        state.scores.token_nll_bits[m].clear();
        ++state.remaining;
        item.members.push_back(m);
      }
      if (!item.members.empty()) queue_.push_back(std::move(item));
    }
  }

  // A worker with batches that has not answered within the timeout is hung (a stuck GPU, a dead
  // node that MPI did not notice): end the job naming it. Finished batches are already journaled.
  void check_hung_workers() {
    if (options_.batch_timeout_seconds <= 0) return;
    const auto now = std::chrono::steady_clock::now();
    for (const auto& [rank, load] : load_) {
      if (load == 0) continue;
      const double waited = std::chrono::duration<double>(now - busy_since_[rank]).count();
      if (waited < options_.batch_timeout_seconds) continue;
      const WorkItem* oldest = nullptr;
      for (const auto& [work_id, entry] : in_flight_)
        if (entry.first == rank) { oldest = &entry.second; break; }  // lowest work id: sent first
      const CellPlan& cell = plan_.cells[oldest->cell];
      const std::string message = "rank " + std::to_string(rank) + " on host " + worker_host_[rank] + " (" +
          worker_device_[rank] + ") has not answered for " + std::to_string(static_cast<int64_t>(waited)) +
          " s: batch " + std::to_string(oldest->batch) + " of cell " + cell.key + " (" +
          std::to_string(oldest->members.size()) + " samples) is hung (--batch-timeout " +
          std::to_string(static_cast<int64_t>(options_.batch_timeout_seconds)) + "). Ending the job; finished "
          "batches are journaled: re-run to resume, without that node/GPU if it is faulty";
      events_.write("batch_hung", {{"rank", rank}, {"host", worker_host_[rank]}, {"cell", cell.key},
                                   {"batch", oldest->batch}, {"seconds", waited}});
      events_.write("sweep_end", {{"exit_code", kExitAborted}, {"cells", plan_.cells.size()}});
      throw HungBatchError(message);
    }
  }

  void maybe_finish_cell(const CellPlan& cell) {
    CellState& state = states_[cell.cell];
    if (state.finished || state.remaining > 0) return;
    const CellResult result = assemble_cell(cell, state.scores, config_.settings, provenance_);
    write_cell(cell, result);
  }

  void fail_cell(const CellPlan& cell, const std::string& kind, const std::string& message) {
    CellState& state = states_[cell.cell];
    state.failed = true;
    log_ << "cell " << cell.key << " FAILED (" << kind << "): " << message << "\n";
    write_cell(cell, assemble_failed_cell(cell, kind, message, config_.settings, provenance_));
  }

  void write_cell(const CellPlan& cell, const CellResult& result) {
    CellState& state = states_[cell.cell];
    state.finished = true;
    const std::string path = cell_path(cell);
    store_cell_file(cell, path, result);
    finished_.push_back(summarize(cell, result, path, /*resumed=*/false));
    events_.write("cell_done", {{"cell", cell.key}, {"status", result.status}, {"file", path},
                                {"samples_scored", result.samples_scored}, {"ic", result.row.ic}});
    if (result.status == "ok")
      log_ << "cell " << cell.key << " done: constant " << result.row.constant << " NLL "
           << result.row.conditional_entropy << " ic " << result.row.ic
           << (options_.scratch_output ? std::string() : " -> " + path) << "\n";
    write_index();
  }

  // Writes the cell file and journals the digest of its bytes (verified when a later run resumes it).
  void store_cell_file(const CellPlan& cell, const std::string& path, const CellResult& result) {
    write_cell_file(path, result);
    const std::string digest = files_digest({path});
    journal_->append(cell_file_record(cell.key, digest));
    cell_file_digests_[cell.key] = digest;
  }

  // False when the journal holds the digest of the file as written and its bytes now differ.
  bool cell_file_intact(const CellPlan& cell, const std::string& path) {
    const auto it = cell_file_digests_.find(cell.key);
    if (it == cell_file_digests_.end()) return true;  // written before digests were journaled
    const std::string now = files_digest({path});
    if (now == it->second) return true;
    log_ << "cell " << cell.key << ": " << path << " is damaged (its bytes differ from those written: digest "
         << it->second.substr(0, 12) << " -> " << now.substr(0, 12) << "); recomputing the cell\n";
    events_.write("cell_file_damaged", {{"cell", cell.key}, {"file", path}});
    return false;
  }

  CellSummary summarize(const CellPlan& cell, const CellResult& result, const std::string& path, bool resumed) const {
    CellSummary s;
    s.key = cell.key;
    s.file = path;
    s.status = result.status;
    s.resumed = resumed;
    s.row = result.row;
    s.constant_unrounded = result.constant_unrounded;
    s.flops_per_token = result.flops_per_token;
    s.samples_scored = result.samples_scored;
    s.samples_skipped = result.samples_skipped;
    s.total_scored_tokens = result.total_scored_tokens;
    s.attributes = result.attributes;
    for (const auto& e : result.errors)
      if (e.sample_index < 0) s.cell_errors.push_back(e);
    return s;
  }

  void write_index() {
    std::vector<IndexEntry> entries;
    for (const auto& cell : plan_.cells) {
      const std::string path = cell_path(cell);
      if (fs::exists(path)) entries.push_back({cell.model.name, cell.dataset.name, "cells/" + cell.key + ".h5"});
    }
    write_index_file((out_dir_ / "results.h5").string(), entries, provenance_.attributes);
  }

  // Workers sum what they scored per cell; the driver's own sums of this run's results must match.
  void stop_workers_and_cross_check() {
    const StopMessage stop{static_cast<int64_t>(plan_.cells.size())};
    for (const auto& [rank, device] : worker_device_) transport_.send(rank, MessageTag::kStop, encode(stop));
    const auto total = transport_.reduce_sum(std::vector<double>(3 * plan_.cells.size(), 0.0));
    for (const auto& cell : plan_.cells) {
      const CellState& s = states_[cell.cell];
      const double nll = total[3 * cell.cell], tokens = total[3 * cell.cell + 1], samples = total[3 * cell.cell + 2];
      const bool counts_match = tokens == s.run_tokens && samples == s.run_samples;
      const bool nll_match = std::fabs(nll - s.run_nll) <= 1e-9 * std::max(1.0, std::fabs(s.run_nll));
      if (!counts_match || !nll_match)
        throw Error("cross-check failed for cell " + cell.key + ": workers reduced " + std::to_string(tokens) +
                    " tokens / " + std::to_string(samples) + " samples / " + std::to_string(nll) +
                    " bits, the driver recorded " + std::to_string(s.run_tokens) + " / " +
                    std::to_string(s.run_samples) + " / " + std::to_string(s.run_nll));
    }
    events_.write("cross_check", {{"cells", plan_.cells.size()}, {"ok", true}});
  }

  SweepOutcome finish() {
    SweepOutcome outcome;
    outcome.index_file = (out_dir_ / "results.h5").string();
    bool any_failed = false, all_finished = true;
    for (const auto& cell : plan_.cells) {
      all_finished = all_finished && states_[cell.cell].finished;
    }
    for (const auto& s : finished_) any_failed = any_failed || s.status != "ok";
    // Report in plan order.
    for (const auto& cell : plan_.cells)
      for (const auto& s : finished_)
        if (s.key == cell.key) outcome.cells.push_back(s);
    if (!all_finished) {
      outcome.exit_code = kExitRequeue;
    } else {
      outcome.exit_code = any_failed ? kExitCellsFailed : kExitOk;
    }
    write_index();  // also when every cell was resumed: the index then matches the cell files again
    events_.write("sweep_end", {{"exit_code", outcome.exit_code}, {"cells", plan_.cells.size()}});
    return outcome;
  }

  const SweepConfig& config_;
  Transport& transport_;
  DriverOptions options_;
  std::ostream& log_;
  fs::path out_dir_, cells_dir_;
  EventLog events_;
  SweepProvenance provenance_;
  SweepPlan plan_;
  std::vector<CellState> states_;
  std::unique_ptr<Journal> journal_;
  int output_lock_fd_ = -1;
  std::map<std::string, std::string> ignored_stop_files_;
  std::map<std::string, std::string> cell_file_digests_;  // cell key -> journaled digest of its file  // path -> file_identity of an unremovable leftover  // flock on the output directory (lock_output_dir); closed at exit
  std::deque<WorkItem> queue_;
  std::map<int64_t, std::pair<int, WorkItem>> in_flight_;  // work_id -> (worker, item)
  std::map<int, std::string> worker_device_, worker_host_;
  std::map<int, int> worker_owned_devices_;  // from Hello: the replicas a model runs as (replica_count)
  std::map<int, std::chrono::steady_clock::time_point> busy_since_;  // since its oldest unanswered batch
  std::set<int64_t> restart_;  // cells to recompute from scratch (--restart-cell)
  std::map<std::string, std::string> weights_digest_;    // model name -> bytes digest reported this run
  std::map<std::string, std::string> verified_weights_;  // model path -> bytes digest hashed here
  std::map<int, int> load_;
  std::vector<CellSummary> finished_;
  int64_t next_work_id_ = 1;
  int64_t total_tokens_ = 0, total_samples_ = 0;
};

}  // namespace

SweepOutcome run_driver(const SweepConfig& config, Transport& transport, const DriverOptions& options,
                        std::ostream& log) {
  SweepDriver driver(config, transport, options, log);
  return driver.run();
}

}  // namespace icsweep
