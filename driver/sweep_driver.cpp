// The driver's main loop. One batch, start to end:
//   plan (driver/plan.h: cells, token-budgeted batches) -> resume (driver/resume.h: what is done)
//   -> Scheduler::next_dispatch (driver/scheduler.h) -> BatchMessage (protocol/messages.h) over the
//   transport -> the worker scores it (worker/worker.cpp, core/score/) -> ResultMessage back ->
//   journaled (protocol/journal_records.h, driver/output_dir.h) -> Scheduler::apply_scores -> the cell,
//   once complete, assembled (driver/cell_assembly.h) and written.
#include "driver/sweep_driver.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <set>
#include <thread>

#include "core/common/errors.h"
#include "core/score/devices.h"
#include "driver/cell_assembly.h"
#include "driver/output_dir.h"
#include "driver/plan.h"
#include "driver/preflight.h"
#include "driver/progress.h"
#include "driver/resume.h"
#include "driver/scheduler.h"
#include "driver/signals.h"
#include "driver/stop_files.h"
#include "icsweep_version.h"
#include "protocol/journal_records.h"
#include "protocol/messages.h"

namespace icsweep {
namespace {

struct WorkerInfo {
  std::string device, host, description;
  int owned_devices = 1;  // from Hello: the replicas a model runs as (replica_count)
};

CellSummary summarize(const CellPlan& cell, const CellResult& result, const std::string& path, bool resumed) {
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

BatchMessage batch_message(const Dispatch& d, const CellPlan& cell, const Settings& settings) {
  BatchMessage m;
  m.work_id = d.work_id;
  m.cell = d.item.cell;
  m.batch = d.item.batch;
  m.model_dir = cell.model.path;
  m.dtype = cell.model.dtype;
  m.vocab_limit = cell.data->tokenizer_size;
  m.per_token = settings.per_token;
  m.gpus = cell.model.gpus;
  m.fp8_mode = cell.model.fp8_mode;
  m.offsets.push_back(0);
  for (int64_t p : d.item.members) {
    m.sample_index.push_back(cell.data->contents->records[p].sample_index);
    const auto& ids = cell.data->ids[p];
    m.ids.insert(m.ids.end(), ids.begin(), ids.end());
    m.offsets.push_back(static_cast<int64_t>(m.ids.size()));
  }
  return m;
}

class SweepDriver {
 public:
  SweepDriver(const SweepConfig& config, Transport& transport, const DriverOptions& options, std::ostream& log)
      : config_(config), transport_(transport), options_(options), log_(log), output_(config.settings.output_dir),
        events_((output_.path() / "events.jsonl").string()), stop_files_(output_.path()) {}

  SweepOutcome run() {
    events_.write("sweep_start", {{"config", config_.source_path}, {"endpoints", transport_.endpoint_count()},
                                  {"transport", transport_.kind()}});
    stop_files_.remove_leftovers(log_, events_);
    greet_workers();
    try {
      plan_sweep();
    } catch (const PlanInterrupted& e) {
      return interrupted_while_planning(e.what());
    }
    check_before_loading();
    const std::set<int64_t> restart = cells_to_restart(plan_, options_.restart_cells, config_.source_path);
    resume_and_queue(restart);
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
      workers_[e.source] = WorkerInfo{hello.device, hello.host, hello.device_description, hello.owned_devices};
      events_.write("worker", {{"rank", e.source}, {"host", hello.host}, {"device", hello.device_description}});
      ++seen;
    }
    log_.flush();
    auto& attributes = provenance_.attributes;
    for (const auto& h : hosts) attributes["hosts"] += (attributes["hosts"].empty() ? "" : ",") + h;
    for (const auto& d : devices) attributes["devices"] += (attributes["devices"].empty() ? "" : "; ") + d;
  }

  void send_stop_to_workers(int64_t cells) {
    for (const auto& [rank, worker] : workers_) transport_.send(rank, MessageTag::kStop, encode(StopMessage{cells}));
  }

  // A signal or the stop file during planning (a long tokenization): the workers are released and
  // the run exits 75 at once; nothing was scored, the next run plans again.
  SweepOutcome interrupted_while_planning(const std::string& what) {
    log_ << stop_reason() << " while planning (" << what << "): nothing was scored; exiting with "
         << kExitRequeue << " (re-run to resume)\n";
    events_.write("stop_requested", {{"signal", stop_signal()}, {"in_flight", 0}, {"while", "planning"}});
    send_stop_to_workers(0);
    transport_.reduce_sum({});
    events_.write("sweep_end", {{"exit_code", kExitRequeue}, {"cells", 0}});
    SweepOutcome outcome;
    outcome.exit_code = kExitRequeue;
    outcome.index_file = output_.index_path();
    return outcome;
  }

  void plan_sweep() {
    bool cuda = false;
    for (const auto& [rank, worker] : workers_) cuda = cuda || is_cuda_device(worker.device);
    const int64_t budget = config_.settings.tokens_per_batch > 0 ? config_.settings.tokens_per_batch
                                                                 : default_token_budget(cuda);
    const int tokenizer_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    plan_ = build_plan(config_, budget, tokenizer_threads);
    auto& attributes = provenance_.attributes;
    attributes["icsweep_version"] = ICSWEEP_VERSION;
    attributes["git_commit"] = ICSWEEP_GIT_COMMIT;
    attributes["config_path"] = config_.source_path;
    attributes["config_text"] = config_.source_text;
    attributes["tokens_per_batch"] = std::to_string(budget);
    attributes["transport"] = transport_.kind();
    attributes["world_size"] = std::to_string(transport_.endpoint_count());
    log_ << "plan: " << plan_.cells.size() << " cells, token budget " << budget << " per batch\n";
    for (const auto& w : plan_.warnings) {
      log_ << "warning: " << w << "\n";
      events_.write("warning", {{"message", w}});
    }
    std::vector<int> ranks;
    for (const auto& [rank, worker] : workers_) ranks.push_back(rank);
    scheduler_ = std::make_unique<Scheduler>(plan_, ranks);
  }

  // Everything that would fail a cell before its model loads fails the run now, listed at once
  // (driver/preflight.h); the workers are released and nothing is journaled.
  void check_before_loading() {
    DeviceView devices;
    if (transport_.kind() == "in-process") devices.visible_gpus = cuda_device_count();
    for (const auto& [rank, worker] : workers_) {
      devices.worker_devices.push_back(worker.device);
      devices.worker_errors.push_back(worker.description);
    }
    const auto problems = preflight_problems(config_, check_sweep_models(config_), plan_, devices);
    if (problems.empty()) return;
    events_.write("preflight_failed", {{"problems", problems}});
    send_stop_to_workers(0);
    transport_.reduce_sum({});
    events_.write("sweep_end", {{"exit_code", kExitUsage}, {"cells", 0}});
    throw_preflight_problems(config_.source_path, problems);
  }

  void resume_and_queue(const std::set<int64_t>& restart) {
    JournalReplay replay = replay_journal(output_.open(log_));
    if (replay.batches > 0) log_ << "journal: " << replay.batches << " finished batches from earlier runs\n";
    output_.set_cell_file_digests(replay.cell_files);
    Resumer resumer(config_.settings, options_.force, output_, log_, events_);
    for (const auto& cell : plan_.cells) {
      if (restart.count(cell.cell)) resumer.restart_cell(cell, &replay);
      if (auto kept = resumer.finished_cell(cell)) {
        scheduler_->mark_finished(cell.cell);
        finished_.push_back(summarize(cell, *kept, output_.cell_path(cell), /*resumed=*/true));
        continue;
      }
      if (!cell.failure.empty()) {
        fail_cell(cell, cell.failure_kind, cell.failure);
        continue;
      }
      resumer.report_stale_batches(cell, replay);
      // The cell's identity, once per identity, before its first batch.
      if (!replay.identities.count(cell.fingerprint))
        output_.journal(identity_record(cell.fingerprint, cell.key, parts_to_json(cell.identity)));
      scheduler_->open_cell(cell);
      for (const auto& result : replay.results[cell.fingerprint]) scheduler_->apply_scores(cell, result, /*this_run=*/false);
      scheduler_->queue_unscored(cell);
      // The ETA's unit: the cell's scoring FLOPs per scored token, times the tokens left.
      const int64_t pending = scheduler_->pending_tokens(cell);
      flops_per_token_[cell.cell] = cell_scoring_flops(cell, config_.settings.flops_profile, config_.settings.max_sample_length) /
                                    static_cast<double>(std::max<int64_t>(1, cell_scored_tokens(cell)));
      total_flops_ += flops_per_token_[cell.cell] * static_cast<double>(pending);
      total_samples_ += scheduler_->cell(cell.cell).remaining;
      maybe_finish_cell(cell);
    }
  }

  // A worker rank got SIGTERM/SIGUSR1/SIGINT (e.g. only some ranks were signalled): stop as if the
  // driver had got it.
  void handle_stop_request(const Envelope& e) {
    const int signal = decode_stop_request(e.payload).signal;
    log_ << "rank " << e.source << " got signal " << signal << "; stopping the sweep\n";
    events_.write("worker_signal", {{"rank", e.source}, {"signal", signal}});
    request_stop(signal);
  }

  void dispatch_loop() {
    Progress progress(log_, options_.progress_interval_seconds, total_flops_, total_samples_);
    bool announced_stop = false;
    for (;;) {
      if (!stop_requested() && stop_files_.present()) request_stop(kStopFile);
      if (stop_requested() && !announced_stop) {
        announced_stop = true;
        log_ << stop_reason() << ": no new batches; waiting for " << scheduler_->in_flight()
             << " in flight, then exiting with " << kExitRequeue << " (re-run to resume)\n";
        events_.write("stop_requested", {{"signal", stop_signal()}, {"in_flight", scheduler_->in_flight()}});
      }
      check_hung_workers();
      if (!stop_requested()) dispatch();
      if (scheduler_->in_flight() == 0) break;
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
    while (auto d = scheduler_->next_dispatch(std::chrono::steady_clock::now()))
      transport_.send(d->worker, MessageTag::kBatch, encode(batch_message(*d, plan_.cells[d->item.cell], config_.settings)));
  }

  void handle_result(int worker, const ResultMessage& result, Progress* progress) {
    WorkItem item = scheduler_->answered(worker, result.work_id, std::chrono::steady_clock::now());
    const CellPlan& cell = plan_.cells[item.cell];
    if (scheduler_->cell(item.cell).finished) return;  // e.g. the model failed on another worker meanwhile
    if (result.load_seconds > 0) log_model_load(worker, cell, result);
    if (result.ok && !check_weights_bytes(cell, result.weights_digest)) {
      fail_cell(cell, "weights_changed", "the weights of " + cell.model.name + " in " + cell.model.path +
                    " changed while the sweep ran (their bytes hash differently on rank " + std::to_string(worker) +
                    "); re-run once they are final");
      return;
    }
    if (result.ok) {
      output_.journal(batch_record(cell.fingerprint, result));
      scheduler_->apply_scores(cell, result, /*this_run=*/true);
      int64_t tokens = 0;
      for (auto t : result.n_tokens) tokens += t;
      progress->add_done(static_cast<int64_t>(result.n_tokens.size()), tokens,
                         flops_per_token_[cell.cell] * static_cast<double>(tokens), worker, result.forward_seconds);
      const auto samples = static_cast<int64_t>(cell.data->ids.size());
      progress->set_cell(cell.key, samples - scheduler_->cell(cell.cell).remaining, samples);
    } else if (result.model_failed) {
      for (auto& other : plan_.cells)
        if (other.model.name == cell.model.name && !scheduler_->cell(other.cell).finished)
          fail_cell(other, "model_load", result.error);
      return;
    } else if (item.members.size() > 1) {
      // Out of memory or a failing sample: retry in halves (front of the queue) to isolate it.
      log_ << "rank " << worker << ": batch " << item.batch << " of " << cell.key << " failed ("
           << result.error.substr(0, 200) << "); retrying in halves\n";
      scheduler_->retry_in_halves(std::move(item));
    } else {
      scheduler_->fail_sample(item.cell, item.members[0], result.error);
      events_.write("sample_failed", {{"cell", cell.key}, {"sample_index", cell.data->contents->records[item.members[0]].sample_index},
                                      {"error", result.error}});
    }
    maybe_finish_cell(cell);
  }

  void log_model_load(int worker, const CellPlan& cell, const ResultMessage& result) {
    // The worker loaded as many copies as its owned devices hold (the same rule it applies).
    const int replicas = replica_count(workers_[worker].owned_devices, cell.model.gpus);
    log_ << "rank " << worker << ": loaded " << cell.model.name << " in " << result.load_seconds << " s ("
         << result.load_gigabytes / result.load_seconds << " GB/s"
         << (replicas > 1 ? ", " + std::to_string(replicas) + " replicas loaded concurrently" : std::string())
         << "; weights bytes hashed in " << result.digest_seconds << " s)\n";
    events_.write("model_loaded", {{"rank", worker}, {"model", cell.model.name}, {"seconds", result.load_seconds},
                                   {"gigabytes", result.load_gigabytes}, {"replicas", replicas},
                                   {"digest_seconds", result.digest_seconds}});
  }

  // The first result of a model in this run brings its weights' bytes digest: journaled samples of
  // its cells scored with other bytes (weights rewritten under the same header and date) are scored
  // again. False when this run's own results disagree (the files changed while it ran).
  bool check_weights_bytes(const CellPlan& cell, const std::string& digest) {
    const auto [known, first] = weights_digest_.emplace(cell.model.name, digest);
    if (!first) return known->second == digest;
    for (const auto& other : plan_.cells) {
      const CellState& state = scheduler_->cell(other.cell);
      if (other.model.name != cell.model.name || state.finished || state.replayed.empty()) continue;
      const std::string before = state.scores.weights_digest;
      if (before.empty() || before == digest) continue;
      output_.journal(restart_record(other.fingerprint));
      scheduler_->forget_replayed(other);
      log_ << "cell " << other.key << ": its journaled batches were scored with other weights bytes (changed: "
           << "weights bytes (" << before.substr(0, 12) << " -> " << digest.substr(0, 12)
           << ")); they are dropped and scored again\n";
    }
    return true;
  }

  // A worker with batches that has not answered within the timeout is hung (a stuck GPU, a dead
  // node that MPI did not notice): end the job naming it. Finished batches are already journaled.
  void check_hung_workers() {
    if (options_.batch_timeout_seconds <= 0) return;
    const auto hung = scheduler_->hung_worker(std::chrono::steady_clock::now(), options_.batch_timeout_seconds);
    if (!hung) return;
    const int rank = hung->worker;
    const WorkItem& oldest = hung->oldest;
    const CellPlan& cell = plan_.cells[oldest.cell];
    const WorkerInfo& worker = workers_[rank];
    const std::string message = "rank " + std::to_string(rank) + " on host " + worker.host + " (" + worker.device +
        ") has not answered for " + std::to_string(static_cast<int64_t>(hung->waited_seconds)) + " s: batch " +
        std::to_string(oldest.batch) + " of cell " + cell.key + " (" + std::to_string(oldest.members.size()) +
        " samples) is hung (--batch-timeout " + std::to_string(static_cast<int64_t>(options_.batch_timeout_seconds)) +
        "). Ending the job; finished batches are journaled: re-run to resume, without that node/GPU if it is faulty";
    events_.write("batch_hung", {{"rank", rank}, {"host", worker.host}, {"cell", cell.key},
                                 {"batch", oldest.batch}, {"seconds", hung->waited_seconds}});
    events_.write("sweep_end", {{"exit_code", kExitAborted}, {"cells", plan_.cells.size()}});
    throw HungBatchError(message);
  }

  void maybe_finish_cell(const CellPlan& cell) {
    if (!scheduler_->ready_to_finish(cell.cell)) return;
    write_cell(cell, assemble_cell(cell, scheduler_->cell(cell.cell).scores, config_.settings, provenance_));
  }

  void fail_cell(const CellPlan& cell, const std::string& kind, const std::string& message) {
    log_ << "cell " << cell.key << " FAILED (" << kind << "): " << message << "\n";
    write_cell(cell, assemble_failed_cell(cell, kind, message, config_.settings, provenance_));
  }

  void write_cell(const CellPlan& cell, const CellResult& result) {
    scheduler_->mark_finished(cell.cell);
    const std::string path = output_.cell_path(cell);
    output_.store_cell_file(cell, result);
    finished_.push_back(summarize(cell, result, path, /*resumed=*/false));
    events_.write("cell_done", {{"cell", cell.key}, {"status", result.status}, {"file", path},
                                {"samples_scored", result.samples_scored}, {"ic", result.row.ic}});
    if (result.status == "ok")
      log_ << "cell " << cell.key << " done: constant " << result.row.constant << " NLL "
           << result.row.conditional_entropy << " ic " << result.row.ic
           << (options_.scratch_output ? std::string() : " -> " + path) << "\n";
    output_.write_index(plan_, provenance_.attributes);
  }

  // Workers sum what they scored per cell; the driver's own sums of this run's results must match.
  void stop_workers_and_cross_check() {
    send_stop_to_workers(static_cast<int64_t>(plan_.cells.size()));
    const auto total = transport_.reduce_sum(std::vector<double>(3 * plan_.cells.size(), 0.0));
    for (const auto& cell : plan_.cells) {
      const CellState& s = scheduler_->cell(cell.cell);
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
    outcome.index_file = output_.index_path();
    bool any_failed = false, all_finished = true;
    for (const auto& cell : plan_.cells) all_finished = all_finished && scheduler_->cell(cell.cell).finished;
    for (const auto& s : finished_) any_failed = any_failed || s.status != "ok";
    for (const auto& cell : plan_.cells)  // report in plan order
      for (const auto& s : finished_)
        if (s.key == cell.key) outcome.cells.push_back(s);
    outcome.exit_code = !all_finished ? kExitRequeue : any_failed ? kExitCellsFailed : kExitOk;
    output_.write_index(plan_, provenance_.attributes);  // also when every cell was resumed: the index then matches the cell files again
    events_.write("sweep_end", {{"exit_code", outcome.exit_code}, {"cells", plan_.cells.size()}});
    return outcome;
  }

  const SweepConfig& config_;
  Transport& transport_;
  DriverOptions options_;
  std::ostream& log_;
  OutputDir output_;  // before events_: creates the directory
  EventLog events_;
  StopFiles stop_files_;
  SweepProvenance provenance_;
  SweepPlan plan_;
  std::unique_ptr<Scheduler> scheduler_;  // once the plan is made
  std::map<int, WorkerInfo> workers_;     // by rank, from their Hello
  std::map<std::string, std::string> weights_digest_;  // model name -> bytes digest reported this run
  std::vector<CellSummary> finished_;
  std::map<int64_t, double> flops_per_token_;  // by cell: scoring FLOPs per scored token (the ETA's unit)
  double total_flops_ = 0;
  int64_t total_samples_ = 0;
};

}  // namespace

SweepOutcome run_driver(const SweepConfig& config, Transport& transport, const DriverOptions& options,
                        std::ostream& log) {
  SweepDriver driver(config, transport, options, log);
  return driver.run();
}

}  // namespace icsweep
