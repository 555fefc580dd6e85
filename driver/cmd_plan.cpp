// `icsweep plan SWEEP.yaml`: the sweep checked and estimated without loading any model
// (driver/sweep_estimate.h); `icsweep run SWEEP.yaml --dry-run` is the same with run's options.
#include <boost/program_options.hpp>

#include <filesystem>
#include <iostream>
#include <thread>

#include "core/common/errors.h"
#include "core/config/sweep_config.h"
#include "driver/command_line.h"
#include "driver/commands.h"
#include "driver/plan_options.h"
#include "driver/signals.h"

namespace icsweep {
namespace po = boost::program_options;

void add_estimate_options(po::options_description* options) {
  options->add_options()
      ("gpus", po::value<int>(), "GPUs (or CPU workers) the wall-time estimate spreads the work over "
                                 "(default: the GPUs this machine sees, else 1)")
      ("peak-tflops", po::value<double>()->default_value(790), "assumed dense bf16 TFLOP/s of one GPU")
      ("mfu", po::value<double>()->default_value(0.6), "assumed share of that peak sustained (0-1]");
}

void read_estimate_options(const po::variables_map& vm, PlanRequest* request) {
  if (vm.count("gpus")) {
    request->gpus = vm["gpus"].as<int>();
    if (request->gpus < 1) throw UsageError("--gpus must be at least 1");
  }
  request->peak_tflops = vm["peak-tflops"].as<double>();
  request->mfu = vm["mfu"].as<double>();
  if (!(request->peak_tflops > 0)) throw UsageError("--peak-tflops must be positive");
  if (!(request->mfu > 0 && request->mfu <= 1)) throw UsageError("--mfu must be in (0, 1]");
  request->threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

int cmd_plan(const std::vector<std::string>& args) {
  po::options_description options(
      "Usage: icsweep plan SWEEP.yaml [options]\n\n"
      "Checks the sweep as `icsweep run` does before any model loads (files, architectures, safetensors\n"
      "headers, dtypes, FLOPs profiles, tokenizers, datasets, the GPUs the models need) and prints per\n"
      "cell the samples, scored tokens, scoring TFLOPs (exact profile) and an estimated wall time, then the\n"
      "totals and the throughput assumed. Loads no weights. Devices are not required to be visible here\n"
      "(plan on a login node); `icsweep run SWEEP --dry-run` also checks those this machine sees.\n"
      "Exit codes: 0 ready, 2 problems (all listed on stderr) or bad command line.\n\nOptions");
  options.add_options()
      ("help,h", "show this help")
      ("format,f", po::value<std::string>()->default_value("table"), "table | csv | json | markdown")
      ("output,o", po::value<std::string>(), "output directory (overrides settings.output_dir)")
      ("device", po::value<std::string>(), "auto | cpu | cuda | cuda:N (overrides settings.device)")
      ("limit", po::value<int64_t>(), "only the first N records of each dataset (as run --limit)");
  add_estimate_options(&options);
  po::variables_map vm;
  if (!parse_command_line("plan", args, options, "sweep", &vm)) return kExitOk;
  if (!vm.count("sweep")) throw UsageError("plan: missing SWEEP.yaml (see icsweep plan --help)");
  PlanRequest request;
  request.config = load_sweep_config(vm["sweep"].as<std::string>());
  if (vm.count("output")) request.config.settings.output_dir = std::filesystem::absolute(vm["output"].as<std::string>()).string();
  if (vm.count("device")) {
    if (!valid_device(vm["device"].as<std::string>())) throw UsageError("plan: --device: expected auto, cpu, cuda or cuda:N");
    request.config.settings.device = vm["device"].as<std::string>();
  }
  if (vm.count("limit")) {
    request.config.settings.sample_limit = vm["limit"].as<int64_t>();
    if (request.config.settings.sample_limit < 1) throw UsageError("plan: --limit must be at least 1");
  }
  request.format = parse_table_format(vm["format"].as<std::string>());
  read_estimate_options(vm, &request);
  return print_sweep_plan(request, std::cout, std::cerr);
}

}  // namespace icsweep
