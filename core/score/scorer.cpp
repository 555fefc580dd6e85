#include "core/score/scorer.h"

#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cmath>
#include <limits>
#include <sstream>
#include <thread>

#include "core/common/errors.h"
#include "core/model/causal_lm.h"
#include "core/model/fused_ops.h"
#include "core/score/cuda_info.h"

namespace icsweep {
namespace {

constexpr double kLn2 = 0.69314718055994530942;

bool is_out_of_memory(const std::exception& e) {
  const std::string what = e.what();
  return what.find("out of memory") != std::string::npos || what.find("CUDA_ERROR_OUT_OF_MEMORY") != std::string::npos;
}

// "cpu", "cuda:1" or a comma list "cuda:0,cuda:1" (layers split across them).
std::vector<torch::Device> parse_devices(const std::string& list) {
  std::vector<torch::Device> devices;
  size_t begin = 0;
  while (begin <= list.size()) {
    const size_t end = std::min(list.find(',', begin), list.size());
    const std::string name = list.substr(begin, end - begin);
    try {
      devices.emplace_back(name);
    } catch (const std::exception&) {
      throw ScoreError("device '" + name + "' in '" + list + "' is not a device (cpu, cuda:N)", false);
    }
    begin = end + 1;
  }
  return devices;
}

// Runs the operations a forward needs (matmul, softmax, rsqrt) on a tiny tensor of `dtype` on each
// device, so that a dtype the device cannot compute in fails before any weight is read, saying what
// to set (the caller names the model) (e.g. float16 on a CPU whose libtorch lacks half-precision matmul).
void check_dtype_runs(const std::string& dtype_name, torch::ScalarType dtype,
                      const std::vector<torch::Device>& devices) {
  for (const auto& device : devices) {
    try {
      const auto options = torch::TensorOptions().dtype(dtype).device(device);
      const torch::Tensor x = torch::ones({2, 8}, options), w = torch::ones({4, 8}, options);
      (void)torch::softmax(torch::rsqrt(torch::linear(x, w)), -1).sum().item<float>();
    } catch (const std::exception& e) {
      std::string why = e.what();
      why = why.substr(0, why.find('\n'));
      throw ModelError("dtype " + dtype_name + " cannot run on " + device.str() + " (" + why +
                       "); set `dtype: float32` for this model in the sweep (--dtype float32 with icsweep score), "
                       "or score it on a device that supports " + dtype_name);
    }
  }
}

// auto: w8a8 where every device has FP8 tensor cores (compute capability 8.9 or later), else dequant.
Fp8Mode resolve_fp8_mode(Fp8Mode mode, const std::vector<torch::Device>& devices) {
  if (mode != Fp8Mode::kAuto) return mode;
  for (const auto& d : devices)
    if (!d.is_cuda() || cuda_compute_capability(d.index()) < 89) return Fp8Mode::kDequant;
  return Fp8Mode::kW8a8;
}

class TorchScorer final : public Scorer {
 public:
  explicit TorchScorer(const ScorerOptions& options)
      : options_(options), devices_(parse_devices(options.device)), device_(devices_.front()) {
    const auto start = std::chrono::steady_clock::now();
    torch::InferenceMode guard;
    check_dtype_runs(options.dtype, parse_dtype(options.dtype), devices_);
    model_ = load_causal_lm(options.model_dir, parse_dtype(options.dtype), devices_,
                            resolve_fp8_mode(parse_fp8_mode(options.fp8_mode), devices_));
    const ModelInfo& info = model_->info();
    info_.architecture = info.architecture;
    info_.family = info.family;
    info_.vocab_size = info.vocab_size;
    info_.num_parameters = info.num_parameters;
    info_.load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    info_.load_gigabytes = info.resident_bytes > 0  // FP8 checkpoints: codes + scales, not parameters x dtype
                               ? static_cast<double>(info.resident_bytes) / 1e9
                               : static_cast<double>(info.num_parameters) * torch::elementSize(model_->dtype()) / 1e9;
    if (options_.vocab_limit <= 0 || options_.vocab_limit > info.vocab_size) {
      if (options_.vocab_limit > info.vocab_size)
        throw ModelError(options.model_dir + ": tokenizer has " + std::to_string(options_.vocab_limit) +
                         " tokens but the model's output embedding only " + std::to_string(info.vocab_size) +
                         " rows; tokenizer and model do not match");
      options_.vocab_limit = info.vocab_size;
    }
    if (options_.logits_chunk_bytes <= 0)
      options_.logits_chunk_bytes = device_.is_cuda() ? (int64_t{2} << 30) : (int64_t{256} << 20);
    if (options_.max_forward_tokens <= 0 && device_.is_cuda()) {
      cuda_empty_cache();  // blocks freed while loading (e.g. the unfused projections) count as free
      int64_t free_bytes = std::numeric_limits<int64_t>::max();  // the fullest device of a split decides
      for (const auto& d : devices_) free_bytes = std::min(free_bytes, cuda_free_bytes(d.index()));
      options_.max_forward_tokens = automatic_forward_tokens(free_bytes, info.hidden_size,
                                                             torch::elementSize(model_->dtype()),
                                                             options_.logits_chunk_bytes);
    }
    info_.forward_token_limit = std::max<int64_t>(0, options_.max_forward_tokens);
  }

  std::vector<SequenceScore> score(const std::vector<std::vector<int32_t>>& sequences) override {
    try {
      if (options_.max_forward_tokens <= 0) return score_unchecked(sequences);
      std::vector<int64_t> lengths;
      for (const auto& s : sequences) lengths.push_back(static_cast<int64_t>(s.size()));
      const auto groups = forward_groups(lengths, options_.max_forward_tokens);
      if (groups.size() <= 1) return score_unchecked(sequences);
      std::vector<SequenceScore> out;
      for (const auto& [begin, end] : groups) {
        const std::vector<std::vector<int32_t>> group(sequences.begin() + begin, sequences.begin() + end);
        for (auto& r : score_unchecked(group)) out.push_back(std::move(r));
      }
      return out;
    } catch (const ScoreError&) {
      throw;
    } catch (const std::exception& e) {
      const bool oom = is_out_of_memory(e);
      if (oom && device_.is_cuda()) cuda_empty_cache();
      std::string what = e.what();
      if (what.size() > 2000) what.resize(2000);
      throw ScoreError("forward of a batch of " + std::to_string(sequences.size()) + " sequences on " +
                           device_.str() + " failed: " + what, oom);
    }
  }

  void set_per_token(bool per_token) override { options_.per_token = per_token; }
  const ScorerModelInfo& model_info() const override { return info_; }
  const ScorerOptions& options() const override { return options_; }

 private:
  // Right-padded ids (B, T), then the flat row index (N) and the target (N) of every scored position:
  // one host buffer (pinned for CUDA), so that one asynchronous copy moves it and the GPU waits on no
  // host sync.
  struct StagedBatch {
    torch::Tensor staging;  // (B*T + 2N) int64 on the host
    int64_t batch = 0, max_length = 0;
    int64_t padded = 0;  // B * T
    int64_t scored = 0;  // N: every position but each sequence's first
  };

  StagedBatch stage_batch(const std::vector<std::vector<int32_t>>& sequences) const {
    StagedBatch staged;
    staged.batch = static_cast<int64_t>(sequences.size());
    for (const auto& s : sequences) {
      if (s.size() < 2) throw ScoreError("a sequence with fewer than 2 ids cannot be scored", false);
      staged.max_length = std::max<int64_t>(staged.max_length, s.size());
      staged.scored += static_cast<int64_t>(s.size()) - 1;
    }
    staged.padded = staged.batch * staged.max_length;
    const int64_t batch = staged.batch, max_length = staged.max_length, padded = staged.padded;
    const int64_t scored = staged.scored;
    // Every element is written below (padding as id 0), so no zero-fill first (0.67 ms of host time for a
    // 32 x 1024 batch under the profiler, while the GPU waited for the next forward).
    staged.staging = torch::empty({padded + 2 * scored},
                                  torch::TensorOptions().dtype(torch::kInt64).pinned_memory(device_.is_cuda()));
    auto* ids = staged.staging.data_ptr<int64_t>();
    auto* rows = ids + padded;
    auto* targets = rows + scored;
    int64_t n = 0;
    for (int64_t b = 0; b < batch; ++b) {
      const auto& s = sequences[b];
      const int64_t length = static_cast<int64_t>(s.size());
      for (int64_t t = 0; t < length; ++t) {
        if (s[t] < 0 || s[t] >= options_.vocab_limit)
          throw ScoreError("token id " + std::to_string(s[t]) + " outside the tokenizer vocabulary of " +
                               std::to_string(options_.vocab_limit), false);
        ids[b * max_length + t] = s[t];
      }
      std::fill(ids + b * max_length + length, ids + (b + 1) * max_length, int64_t{0});
      for (int64_t t = 0; t + 1 < length; ++t) {
        rows[n] = b * max_length + t;
        targets[n] = s[t + 1];
        ++n;
      }
    }
    return staged;
  }

  // hidden (N, D), targets (N) -> NLL in bits (N) fp32: chunked lm_head + fp32 log-softmax over
  // logits[:, :V_tok], never the full (N, V) fp32 logits.
  torch::Tensor chunked_nll_bits(const torch::Tensor& scored_hidden, const torch::Tensor& targets_device) const {
    const int64_t scored = scored_hidden.size(0);
    const torch::Device out_device = scored_hidden.device();
    const int64_t chunk_rows = std::max<int64_t>(1, options_.logits_chunk_bytes / (4 * options_.vocab_limit));
    auto nll = torch::empty({scored}, torch::TensorOptions().dtype(torch::kFloat32).device(out_device));  // (N)
    for (int64_t begin = 0; begin < scored; begin += chunk_rows) {
      const int64_t end = std::min(scored, begin + chunk_rows);
      auto logits = model_->logits(scored_hidden.slice(0, begin, end)).narrow(1, 0, options_.vocab_limit);  // (n, V_tok)
      const auto target = targets_device.slice(0, begin, end).unsqueeze(1);                                // (n, 1)
      if (fused::enabled(fused::Kernel::kNll, logits)) {
        // One pass over the logits in their dtype (fp32 arithmetic): no fp32 copy, no (n, V) temporaries.
        nll.slice(0, begin, end).copy_(fused::nll_bits(logits, target.squeeze(1)));
      } else if (out_device.is_cuda() && logits.scalar_type() == torch::kHalf) {
        // CUDA reads fp16 logits and writes fp32 log-probabilities in one kernel (no fp32 copy of the
        // logits; torch has this conversion for Half only): the same values as log_softmax(logits.float()).
        const auto log_probs = at::_log_softmax(logits.contiguous(), 1, /*half_to_float=*/true);  // (n, V_tok) fp32
        nll.slice(0, begin, end).copy_(log_probs.gather(1, target).squeeze(1).neg() / kLn2);
      } else {
        logits = logits.to(torch::kFloat32);
        // -log softmax(logits)[target] = logsumexp(logits) - logits[target]: no (n, V) log-prob tensor.
        const auto picked = logits.gather(1, target).squeeze(1);  // (n)
        nll.slice(0, begin, end).copy_((torch::logsumexp(logits, 1) - picked) / kLn2);
      }
    }
    return nll;
  }

  // bits: the NLL of every scored position, sequence after sequence (N) -> one score per sequence.
  std::vector<SequenceScore> sequence_scores(const std::vector<std::vector<int32_t>>& sequences,
                                             const float* bits) const {
    std::vector<SequenceScore> out(sequences.size());
    int64_t offset = 0;
    for (size_t b = 0; b < sequences.size(); ++b) {
      const int64_t count = static_cast<int64_t>(sequences[b].size()) - 1;
      SequenceScore& s = out[b];
      s.n_tokens = count;
      double sum = 0;  // float64, in token order: deterministic for any rank count
      for (int64_t t = 0; t < count; ++t) sum += static_cast<double>(bits[offset + t]);
      s.nll_bits = sum;
      if (options_.per_token) s.token_nll_bits.assign(bits + offset, bits + offset + count);
      offset += count;
    }
    return out;
  }

  std::vector<SequenceScore> score_unchecked(const std::vector<std::vector<int32_t>>& sequences) {
    torch::InferenceMode guard;
    const StagedBatch batch = stage_batch(sequences);
    const int64_t padded = batch.padded, scored = batch.scored;
    const auto staged = batch.staging.to(device_, /*non_blocking=*/true);
    const auto ids_device = staged.narrow(0, 0, padded).view({batch.batch, batch.max_length});
    const auto hidden = model_->forward_hidden(ids_device);  // (B, T, D), on the last device of a split
    const int64_t d = hidden.size(2);
    const auto on_out_device = staged.to(hidden.device());  // a split model's last device (no copy otherwise)
    const auto scored_rows = on_out_device.narrow(0, padded, scored);
    const auto scored_hidden = hidden.reshape({padded, d}).index_select(0, scored_rows);  // (N, D)
    const auto targets_device = on_out_device.narrow(0, padded + scored, scored);

    const auto nll_host = chunked_nll_bits(scored_hidden, targets_device).to(torch::kCPU).contiguous();
    return sequence_scores(sequences, nll_host.data_ptr<float>());
  }

  ScorerOptions options_;
  std::vector<torch::Device> devices_;  // one, or the devices the layers are split across
  torch::Device device_;                // devices_.front(): where the ids go
  std::unique_ptr<CausalLM> model_;
  ScorerModelInfo info_;
};

}  // namespace

std::vector<std::pair<size_t, size_t>> forward_groups(const std::vector<int64_t>& lengths, int64_t limit) {
  std::vector<std::pair<size_t, size_t>> groups;
  size_t begin = 0;
  int64_t group_max = 0;
  for (size_t i = 0; i < lengths.size(); ++i) {
    if (i > begin && static_cast<int64_t>(i - begin + 1) * std::max(group_max, lengths[i]) > limit) {
      groups.emplace_back(begin, i);
      begin = i;
      group_max = 0;
    }
    group_max = std::max(group_max, lengths[i]);
  }
  if (begin < lengths.size()) groups.emplace_back(begin, lengths.size());
  return groups;
}

int64_t automatic_forward_tokens(int64_t free_bytes, int64_t hidden_size, int64_t element_bytes,
                                 int64_t logits_chunk_bytes) {
  const int64_t reserve = logits_chunk_bytes + (int64_t{512} << 20);
  const int64_t per_token = 32 * std::max<int64_t>(1, hidden_size) * std::max<int64_t>(1, element_bytes);
  return std::max<int64_t>(2, (free_bytes - reserve) / per_token);
}

std::unique_ptr<Scorer> Scorer::create(const ScorerOptions& options) {
  return std::make_unique<TorchScorer>(options);
}

void set_cpu_threads(int threads) {
  if (threads <= 0) return;
  at::set_num_threads(threads);
  // Debian's libtorch calls BLAS through the system alternative (OpenBLAS when installed), whose
  // own thread pool ignores torch's setting; found at run time so any BLAS works.
  using SetThreads = void (*)(int);
  if (auto set_blas_threads = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
    set_blas_threads(threads);
}

}  // namespace icsweep
