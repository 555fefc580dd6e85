// icsweep: information capacity sweeps of language models (see README.md and docs/design.md).
#include <iostream>
#include <string>
#include <vector>

#include "core/common/errors.h"
#include "driver/commands.h"
#include "driver/signals.h"
#include "icsweep_version.h"

namespace {

const char* const kUsage =
    "icsweep " ICSWEEP_VERSION " (" ICSWEEP_GIT_COMMIT ")\n"
    "Measures the information capacity of language models: text compressed per unit of compute.\n\n"
    "Usage: icsweep COMMAND [options]   (icsweep COMMAND --help for each)\n\n"
    "Commands:\n"
    "  run SWEEP.yaml            run a models x datasets sweep (mpirun -np N for several ranks)\n"
    "  plan SWEEP.yaml           check a sweep and estimate its compute and time, loading no model\n"
    "  score -m MODEL -d DATA    score one model on one JSONL dataset\n"
    "  flops MODEL_DIR           decode TFLOPs / FLOPs per token of a model config\n"
    "  models [MODEL ...]        supported architectures, or whether each model loads (no weights read)\n"
    "  report results.h5         the published columns of a sweep's results\n"
    "  tokenize --tokenizer DIR  tokenize JSONL texts as Hugging Face does\n"
    "  make-tiny-model -o DIR    write a tiny random Hugging Face checkpoint\n"
    "  slurm SWEEP.yaml          print an sbatch script for the sweep (requeues on exit code 75)\n"
    "  merge A.h5 B.h5 -o ALL.h5 join the results of several sweeps (e.g. a job array) into one index\n\n"
    "  --version                 print the version and commit\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace icsweep;
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h" || std::string(argv[1]) == "help") {
    std::cout << kUsage;
    return argc < 2 ? kExitUsage : kExitOk;
  }
  const std::string command = argv[1];
  if (command == "--version") {
    std::cout << "icsweep " << ICSWEEP_VERSION << " " << ICSWEEP_GIT_COMMIT << "\n";
    return kExitOk;
  }
  const std::vector<std::string> args(argv + 2, argv + argc);
  try {
    if (command == "run") return cmd_run(args);
    if (command == "score") return cmd_score(args);
    if (command == "flops") return cmd_flops(args);
    if (command == "report") return cmd_report(args);
    if (command == "tokenize") return cmd_tokenize(args);
    if (command == "make-tiny-model") return cmd_make_tiny_model(args);
    if (command == "slurm") return cmd_slurm(args);
    if (command == "merge") return cmd_merge(args);
    if (command == "models") return cmd_models(args);
    if (command == "plan") return cmd_plan(args);
    std::cerr << "icsweep: unknown command '" << command << "'\n\n" << kUsage;
    return kExitUsage;
  } catch (const UsageError& e) {
    std::cerr << "icsweep: " << e.what() << "\n";
    return kExitUsage;
  } catch (const ConfigError& e) {
    std::cerr << "icsweep: " << e.what() << "\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "icsweep: error: " << e.what() << "\n";
    return kExitFailure;
  }
}
