// The sbatch script `icsweep slurm` prints (slurm/README.md), and the time-limit arithmetic behind its
// --signal line. Kept apart from the command so that unit tests read the script it writes.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace icsweep {

struct SlurmJob {
  std::vector<std::string> command_words;  // `icsweep slurm ...` as typed, for the header comment
  std::string name;                        // --job-name
  int nodes = 1;
  int workers_per_node = 1;  // GPUs per node, or CPU workers when gpus_per_node is 0
  int gpus_per_node = 0;
  int cpus_per_task = 4;
  std::string time;  // --time as given (Slurm's formats)
  std::optional<std::string> partition, account, array, mem, constraint, qos;
  std::vector<std::string> sbatch_lines;  // --sbatch-line: passed through as "#SBATCH LINE"
  std::vector<std::string> setup_lines;   // --setup: shell lines run before icsweep (module load, a venv)
  std::string launcher = "srun";  // srun | mpirun
  std::string mpi = "pmix";       // srun --mpi=PLUGIN
  std::string sweep;              // absolute; may contain %a for arrays
  std::optional<std::string> output;  // absolute --output; none: the sweep's settings.output_dir
  std::string logs;                   // absolute folder of the job logs and the stop file
  std::string icsweep;                // the binary on the nodes
};

// Seconds of a Slurm --time value (MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS); nullopt for
// UNLIMITED/INFINITE. Throws UsageError for anything else.
std::optional<long> slurm_time_seconds(const std::string& time);

// Seconds before the limit at which Slurm warns the batch shell (--signal=B:USR1@N): a quarter of
// the limit, at most 600 (10 minutes). Slurm may send it up to 60 s early, so limits under 2 minutes
// are refused (UsageError): the warning could come at the start and every start would stop at once.
int slurm_warning_seconds(std::optional<long> limit_seconds);

// The task ids of a Slurm --array value ("0-3", "1,4,7", "0-15:4", any of them with "%N"); UsageError
// for anything else.
std::vector<int> slurm_array_indices(const std::string& array);

// The whole script text.
std::string slurm_script(const SlurmJob& job);

}  // namespace icsweep
