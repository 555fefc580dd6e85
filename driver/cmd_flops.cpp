// `icsweep flops MODEL_DIR`: FLOPs of a model config under a profile (docs/design.md §1.4). The logic
// lives in core/metrics/flops_report.h; this file is the command line.
#include <boost/program_options.hpp>

#include <filesystem>
#include <iostream>

#include "core/common/errors.h"
#include "core/config/hf_cache.h"
#include "core/metrics/flops_report.h"
#include "driver/command_line.h"
#include "driver/commands.h"
#include "driver/signals.h"

namespace icsweep {
namespace po = boost::program_options;

int cmd_flops(const std::vector<std::string>& args) {
  po::options_description options(
      "Usage: icsweep flops MODEL_DIR|ORG/NAME [--name NAME] [-l T] [--profile reference|exact] [--attention mla|gqa] [--json]\n\n"
      "Reads MODEL_DIR/config.json and prints the FLOPs of T tokens and the FLOPs per token N that IC\n"
      "divides by (log2 N). Profile `reference` is the leaderboard's: decoding T tokens from an empty\n"
      "prompt, batch 1, with its name-keyed quirks (gpt-oss, Llama-4, Qwen MoE 'B-A', gemma-3, Ruyi,\n"
      "deepseek/MLA), matched case-insensitively on NAME. Profile `exact`: forward (prefill) FLOPs of\n"
      "scoring one sequence of T tokens with the real head_dim.\n\nOptions");
  options.add_options()
      ("help,h", "show this help")
      ("name", po::value<std::string>(), "model name the quirks look at (default: the repo name for a repo id or cache folder, else MODEL_DIR as given)")
      ("tokens,l", po::value<int64_t>()->default_value(1024), "T: tokens decoded (reference) or scored (exact)")
      ("profile", po::value<std::string>()->default_value("reference"), "reference | exact")
      ("attention", po::value<std::string>(), "mla | gqa: force the reference profile's attention branch")
      ("json", po::bool_switch(), "print one JSON object instead of the table");
  po::variables_map vm;
  if (!parse_command_line("flops", args, options, "model-dir", &vm)) return kExitOk;
  if (!vm.count("model-dir")) {
    std::cerr << "icsweep flops: MODEL_DIR is required (see icsweep flops --help)\n";
    return kExitUsage;
  }

  FlopsRequest request;
  const std::string model_arg = vm["model-dir"].as<std::string>();
  ModelLocation location;
  try {
    location = resolve_model_location(model_arg, std::filesystem::current_path().string());
  } catch (const ConfigError& e) {
    std::cerr << "icsweep flops: " << e.what() << "\n";
    return kExitUsage;
  }
  request.model_dir = location.dir;
  // The quirks match the name: the repo name for a repo id or cache folder, else MODEL_DIR as typed.
  request.name = vm.count("name") ? vm["name"].as<std::string>() : location.repo_id.empty() ? model_arg : location.name;
  request.tokens = vm["tokens"].as<int64_t>();
  request.profile = vm["profile"].as<std::string>();
  if (vm.count("attention")) request.attention = vm["attention"].as<std::string>();
  try {
    const FlopsReport report = compute_flops_report(request);
    if (vm["json"].as<bool>()) {
      std::cout << flops_report_json(report).dump(2) << "\n";
    } else {
      std::cout << format_flops_table(report);
    }
    return kExitOk;
  } catch (const UsageError& e) {
    std::cerr << "icsweep flops: " << e.what() << " (see icsweep flops --help)\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "icsweep flops: error: " << e.what() << "\n";
    return kExitFailure;
  }
}

}  // namespace icsweep
