// Scorer throughput on one device: random ids of a fixed length through icsweep's Scorer (forward +
// chunked fp32 log-softmax NLL), as `icsweep run` does per batch. Used by bench_vs_hf.py.
//   bench_scorer --model DIR [--dtype auto] [--device cuda:0] [--length 1024] [--batch 8] [--iters 5] [--json]
//                [--profile TRACE.json [--profile-iters N]]   (CUDA builds: N more forwards, default 1, under
//                                          the Kineto profiler, saved as a Chrome trace for bench/profile_kernels.py)
//                [--fp8-mode auto|dequant|w8a8]             (FP8 checkpoints; bench/bench_fp8.py)
// --json also gives the resident weight bytes the loader counted and, in CUDA builds, the bytes the CUDA
// caching allocator held after loading (before any forward).
#include <boost/program_options.hpp>
#ifdef ICSWEEP_BENCH_KINETO
#include <c10/cuda/CUDACachingAllocator.h>
#include <torch/csrc/autograd/profiler_kineto.h>
#endif

#include <chrono>
#include <cstdio>
#include <iostream>
#include <random>

#include "core/config/model_dtype.h"
#include "core/score/scorer.h"

namespace po = boost::program_options;

// Bytes the CUDA caching allocator holds on `device`; -1 where not measured (CPU builds, CPU device).
long long allocated_bytes(const std::string& device) {
#ifdef ICSWEEP_BENCH_KINETO
  if (device.rfind("cuda", 0) == 0)
    return c10::cuda::CUDACachingAllocator::getDeviceStats(c10::Device(device).index()).allocated_bytes[0].current;
#endif
  (void)device;
  return -1;
}

int main(int argc, char** argv) {
  po::options_description options("bench_scorer options");
  options.add_options()
      ("help,h", "show this help")
      ("model", po::value<std::string>()->required(), "model directory")
      ("dtype", po::value<std::string>()->default_value("auto"), "auto (the checkpoint's own) | float32 | bfloat16 | float16")
      ("device", po::value<std::string>()->default_value("cuda:0"), "cpu | cuda:N")
      ("length", po::value<int>()->default_value(1024), "tokens per sequence")
      ("batch", po::value<int>()->default_value(8), "sequences per forward")
      ("iters", po::value<int>()->default_value(5), "timed forwards (after 2 warm-ups)")
      ("vocab-limit", po::value<int64_t>()->default_value(0), "V_tok (0 = model vocabulary)")
      ("fp8-mode", po::value<std::string>()->default_value("auto"), "FP8 checkpoints: auto | dequant | w8a8")
      ("profile", po::value<std::string>(), "after timing, profile forwards into this Chrome trace (CUDA builds)")
      ("profile-iters", po::value<int>()->default_value(1), "forwards in the profile (more than 1 shows the gaps between them)")
      ("json", po::bool_switch(), "print one JSON object");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, options), vm);
    if (vm.count("help")) {
      std::cout << options << "\n";
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << e.what() << "\n" << options << "\n";
    return 2;
  }
  icsweep::ScorerOptions so;
  so.model_dir = vm["model"].as<std::string>();
  so.dtype = icsweep::resolve_model_dtype(vm["dtype"].as<std::string>(), so.model_dir).dtype;
  so.device = vm["device"].as<std::string>();
  so.vocab_limit = vm["vocab-limit"].as<int64_t>();
  so.fp8_mode = vm["fp8-mode"].as<std::string>();
  auto scorer = icsweep::Scorer::create(so);
  const long long allocated_after_load = allocated_bytes(so.device);
  const int length = vm["length"].as<int>(), batch = vm["batch"].as<int>(), iters = vm["iters"].as<int>();
  const int64_t vocab = scorer->options().vocab_limit;
  std::mt19937 rng(0);
  std::uniform_int_distribution<int32_t> token(0, static_cast<int32_t>(vocab - 1));
  std::vector<std::vector<int32_t>> sequences(batch, std::vector<int32_t>(length));
  for (auto& s : sequences)
    for (auto& id : s) id = token(rng);
  for (int i = 0; i < 2; ++i) scorer->score(sequences);
  const auto start = std::chrono::steady_clock::now();
  double checksum = 0;
  for (int i = 0; i < iters; ++i)
    for (const auto& s : scorer->score(sequences)) checksum += s.nll_bits;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double tokens_per_second = static_cast<double>(batch) * length * iters / seconds;
  if (vm.count("profile")) {
#ifdef ICSWEEP_BENCH_KINETO
    namespace prof = torch::autograd::profiler;
    using torch::profiler::impl::ActivityType;
    const torch::profiler::impl::ProfilerConfig config(torch::profiler::impl::ProfilerState::KINETO);
    const std::set<ActivityType> activities{ActivityType::CPU, ActivityType::CUDA};
    prof::prepareProfiler(config, activities);
    prof::enableProfiler(config, activities);
    for (int i = 0; i < vm["profile-iters"].as<int>(); ++i) scorer->score(sequences);
    prof::disableProfiler()->save(vm["profile"].as<std::string>());
#else
    std::cerr << "--profile needs a build against a CUDA libtorch (Kineto)\n";
    return 2;
#endif
  }
  if (vm["json"].as<bool>()) {
    std::printf("{\"tokens_per_second\": %.1f, \"batch\": %d, \"length\": %d, \"iters\": %d, \"seconds\": %.4f, "
                "\"parameters\": %lld, \"load_seconds\": %.3f, \"forward_token_limit\": %lld, \"checksum\": %.6f, "
                "\"load_gigabytes\": %.4f, \"allocated_after_load\": %lld}\n",
                tokens_per_second, batch, length, iters, seconds,
                static_cast<long long>(scorer->model_info().num_parameters), scorer->model_info().load_seconds,
                static_cast<long long>(scorer->model_info().forward_token_limit), checksum,
                scorer->model_info().load_gigabytes, allocated_after_load);
  } else {
    std::printf("%-8s %-6s %-6s %12s\n", "batch", "length", "iters", "tokens/s");
    std::printf("%-8d %-6d %-6d %12.0f\n", batch, length, iters, tokens_per_second);
  }
  return 0;
}
