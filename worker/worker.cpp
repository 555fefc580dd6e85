#include "worker/worker.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <thread>

#include "core/common/errors.h"
#include "core/data/content_hash.h"
#include "core/score/devices.h"
#include "core/score/replicated_scorer.h"
#include "core/score/scorer.h"
#include "protocol/messages.h"

namespace icsweep {
namespace {

struct CellSums {
  double nll_bits = 0, tokens = 0, samples = 0;
};

class BatchScorer {
 public:
  // `owned`: the devices this worker owns (owned_devices); a model runs as replicas over them.
  explicit BatchScorer(std::vector<std::string> owned) : owned_(std::move(owned)) {}

  ResultMessage score(const BatchMessage& batch) {
    ResultMessage result;
    result.work_id = batch.work_id;
    result.cell = batch.cell;
    result.batch = batch.batch;
    try {
      ensure_model(batch, &result);
    } catch (const std::exception& e) {
      result.ok = false;
      result.model_failed = true;
      result.error = std::string("loading model ") + batch.model_dir + ": " + e.what();
      return result;
    }
    std::vector<std::vector<int32_t>> sequences(batch.sample_index.size());
    for (size_t i = 0; i < sequences.size(); ++i)
      sequences[i].assign(batch.ids.begin() + batch.offsets[i], batch.ids.begin() + batch.offsets[i + 1]);
    const auto start = std::chrono::steady_clock::now();
    try {
      const auto scores = scorer_->score(sequences);
      result.sample_index = batch.sample_index;
      if (batch.per_token) result.token_offsets.push_back(0);
      for (const auto& s : scores) {
        result.n_tokens.push_back(s.n_tokens);
        result.nll_bits.push_back(s.nll_bits);
        if (batch.per_token) {
          result.token_nll_bits.insert(result.token_nll_bits.end(), s.token_nll_bits.begin(), s.token_nll_bits.end());
          result.token_offsets.push_back(static_cast<int64_t>(result.token_nll_bits.size()));
        }
      }
    } catch (const std::exception& e) {
      result.ok = false;
      result.error = e.what();
    }
    result.forward_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
  }

 private:
  void ensure_model(const BatchMessage& batch, ResultMessage* result) {
    const std::string key = batch.model_dir + "|" + batch.dtype + "|" + std::to_string(batch.vocab_limit) + "|" +
                            std::to_string(batch.gpus) + "|" + batch.fp8_mode;
    if (scorer_ && key == key_) {
      scorer_->set_per_token(batch.per_token);
      result->weights_digest = weights_digest_;
      return;
    }
    if (!failed_key_.empty() && key == failed_key_) throw ModelError(failed_message_);
    scorer_.reset();  // free the previous model before loading the next
    ScorerOptions options;
    options.model_dir = batch.model_dir;
    options.dtype = batch.dtype;
    options.vocab_limit = batch.vocab_limit;
    options.per_token = batch.per_token;
    options.fp8_mode = batch.fp8_mode;
    try {
      scorer_ = create_replicated_scorer(options, replica_devices(owned_, batch.gpus));
    } catch (const std::exception& e) {
      failed_key_ = key;
      failed_message_ = e.what();
      throw;
    }
    key_ = key;
    result->load_seconds = scorer_->model_info().load_seconds;
    result->load_gigabytes = scorer_->model_info().load_gigabytes;
    // The weights' bytes, hashed right after the load read them (from the page cache): the driver
    // keeps this digest with every journaled batch and cell file (driver/cell_identity.h).
    const auto start = std::chrono::steady_clock::now();
    weights_digest_ = files_digest(weight_files(batch.model_dir));
    result->weights_digest = weights_digest_;
    result->digest_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }

  std::vector<std::string> owned_;
  std::string key_, failed_key_, failed_message_;
  std::string weights_digest_;  // of the loaded model's weights files
  std::unique_ptr<Scorer> scorer_;
};

}  // namespace

// Fault-injection hook for the resilience tests only: ICSWEEP_TEST_BATCH_DELAY_MS stretches every batch,
// so a signal or kill sent after a fixed delay lands mid-sweep however fast the machine is.
static std::chrono::milliseconds test_batch_delay_from_environment() {
  const char* value = std::getenv("ICSWEEP_TEST_BATCH_DELAY_MS");
  return std::chrono::milliseconds(value ? std::max(0L, std::strtol(value, nullptr, 10)) : 0L);
}

void run_worker(Transport& transport, const WorkerOptions& options) {
  const auto test_batch_delay = test_batch_delay_from_environment();
  set_cpu_threads(options.threads);
  HelloMessage hello;
  hello.host = transport.host();
  std::vector<std::string> owned;
  std::string device_error;
  try {
    owned = owned_devices(options.device, transport.local_worker_index(), transport.local_worker_count());
    hello.device = owned.front();
    hello.owned_devices = static_cast<int32_t>(owned.size());
    for (const auto& device : owned)
      hello.device_description += (hello.device_description.empty() ? "" : "; ") + describe_device(device);
  } catch (const std::exception& e) {
    // Reported through every result, so the driver fails the cells with the reason.
    device_error = e.what();
    owned = {"none"};
    hello.device = "none";
    hello.device_description = device_error;
  }
  transport.send(0, MessageTag::kHello, encode(hello));

  BatchScorer scorer(owned);
  std::map<int64_t, CellSums> sums;
  bool forwarded_stop = false;
  auto forward_stop = [&] {
    const int signal = options.stop_signal ? options.stop_signal() : 0;
    if (signal == 0 || forwarded_stop) return;
    forwarded_stop = true;
    transport.send(0, MessageTag::kStopRequest, encode(StopRequestMessage{signal}));
  };
  for (;;) {
    Envelope envelope;
    forward_stop();
    if (!transport.receive(&envelope, options.stop_signal ? 500 : -1)) continue;
    if (envelope.tag == MessageTag::kStop) {
      const StopMessage stop = decode_stop(envelope.payload);
      std::vector<double> local(3 * stop.cells, 0.0);
      for (const auto& [cell, s] : sums) {
        if (cell < 0 || cell >= stop.cells) continue;
        local[3 * cell] = s.nll_bits;
        local[3 * cell + 1] = s.tokens;
        local[3 * cell + 2] = s.samples;
      }
      transport.reduce_sum(local);
      return;
    }
    if (envelope.tag != MessageTag::kBatch)
      throw Error("worker " + std::to_string(transport.endpoint()) + ": unexpected message tag " +
                  std::to_string(static_cast<int>(envelope.tag)));
    const BatchMessage batch = decode_batch(envelope.payload);
    if (test_batch_delay.count() > 0) std::this_thread::sleep_for(test_batch_delay);
    ResultMessage result;
    if (!device_error.empty()) {
      result.work_id = batch.work_id;
      result.cell = batch.cell;
      result.batch = batch.batch;
      result.ok = false;
      result.model_failed = true;
      result.error = "no usable device on " + hello.host + ": " + device_error;
    } else {
      result = scorer.score(batch);
    }
    if (result.ok) {
      CellSums& s = sums[batch.cell];
      for (size_t i = 0; i < result.n_tokens.size(); ++i) {
        if (!std::isfinite(result.nll_bits[i])) continue;  // the driver fails such samples, sums the rest
        s.nll_bits += result.nll_bits[i];
        s.tokens += static_cast<double>(result.n_tokens[i]);
        s.samples += 1;
      }
    }
    transport.send(0, MessageTag::kResult, encode(result));
  }
}

}  // namespace icsweep
