// The sbatch script of `icsweep slurm`: time limits in Slurm's formats, the warning scaled
// to the limit (a 10-minute limit looped forever with the fixed 600 s), too-short limits refused, the
// log folder made when the script is written, array names and outputs. The script's behaviour under a
// real Slurm is tested by tests/e2e/slurm_cluster.sh.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "core/common/errors.h"
#include "driver/commands.h"
#include "driver/signals.h"
#include "driver/slurm_script.h"

namespace icsweep {
namespace {
namespace fs = std::filesystem;

TEST(SlurmScript, TimeLimitsInSlurmFormats) {
  EXPECT_EQ(slurm_time_seconds("10"), 600);                // minutes
  EXPECT_EQ(slurm_time_seconds("10:30"), 630);             // minutes:seconds
  EXPECT_EQ(slurm_time_seconds("2:00:00"), 7200);          // hours:minutes:seconds
  EXPECT_EQ(slurm_time_seconds("1-2"), 26 * 3600);         // days-hours
  EXPECT_EQ(slurm_time_seconds("1-2:30"), 26 * 3600 + 1800);
  EXPECT_EQ(slurm_time_seconds("1-0:0:5"), 86405);
  EXPECT_EQ(slurm_time_seconds("UNLIMITED"), std::nullopt);
  EXPECT_THROW(slurm_time_seconds("2h"), UsageError);
  EXPECT_THROW(slurm_time_seconds("1:2:3:4"), UsageError);
}

TEST(SlurmScript, WarningIsAQuarterOfTheLimitAtMostTenMinutes) {
  EXPECT_EQ(slurm_warning_seconds(24 * 3600), 600);
  EXPECT_EQ(slurm_warning_seconds(40 * 60), 600);
  EXPECT_EQ(slurm_warning_seconds(10 * 60), 150);  // was 600: the warning came at every start
  EXPECT_EQ(slurm_warning_seconds(120), 30);
  EXPECT_EQ(slurm_warning_seconds(std::nullopt), 600);
  try {
    slurm_warning_seconds(60);
    ADD_FAILURE() << "a 1-minute limit was accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--time 2 (minutes) or more"), std::string::npos) << e.what();
  }
}

std::string file_bytes_of(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `icsweep slurm ARGS` in a fresh folder and returns what it printed.
class SlurmCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("icsweep-unit-slurm-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    old_cwd_ = fs::current_path();
    fs::current_path(dir_);
    // A sweep that passes the checks `icsweep run` makes before loading (the slurm command makes them too).
    for (const char* file : {"sweep.yaml", "group-0.yaml", "group-1.yaml"}) write_sweep(file, fixture("llama_fp32"));
  }
  static std::string fixture(const std::string& name) {
    return std::string(ICSWEEP_SOURCE_DIR) + "/tests/fixtures/reference_cells/" + name;
  }
  void write_sweep(const std::string& file, const std::string& model_dir, const std::string& device = "auto") {
    std::ofstream(dir_ / file) << "models:\n  - {name: m, path: " << model_dir << "}\ndatasets:\n  - {path: "
                               << fixture("data.jsonl") << "}\nsettings: {device: " << device << ", output_dir: out}\n";
  }
  void TearDown() override {
    fs::current_path(old_cwd_);
    fs::remove_all(dir_);
  }
  std::string run(std::vector<std::string> args) {
    std::ostringstream out, err;
    auto* old = std::cout.rdbuf(out.rdbuf());
    auto* old_err = std::cerr.rdbuf(err.rdbuf());
    try {
      exit_code_ = cmd_slurm(args);
    } catch (...) {
      std::cout.rdbuf(old);
      std::cerr.rdbuf(old_err);
      throw;
    }
    std::cout.rdbuf(old);
    std::cerr.rdbuf(old_err);
    stderr_ = err.str();
    return out.str();
  }
  int exit_code_ = -1;
  std::string stderr_;
  static bool has(const std::string& script, const std::string& text) {
    return script.find(text) != std::string::npos;
  }
  fs::path dir_, old_cwd_;
};

TEST_F(SlurmCommand, ScalesTheWarningAndRefusesAOneMinuteLimit) {
  EXPECT_THROW(run({"sweep.yaml", "--time", "1"}), UsageError);
  EXPECT_FALSE(fs::exists(dir_ / "logs")) << "a refused script made its log folder";
  const std::string script = run({"sweep.yaml", "--time", "10", "--icsweep", "/bin/icsweep"});
  EXPECT_TRUE(has(script, "#SBATCH --time=10\n#SBATCH --signal=B:USR1@150\n")) << script;
}

TEST_F(SlurmCommand, MakesTheLogFolderAndLogsThereByAbsolutePath) {
  const std::string script = run({"sweep.yaml", "--logs", "job-logs"});
  EXPECT_TRUE(fs::is_directory(dir_ / "job-logs"));
  EXPECT_TRUE(has(script, "#SBATCH --output=" + (dir_ / "job-logs").string() + "/%x-%j.out\n")) << script;
  EXPECT_TRUE(has(script, "ICSWEEP_STOP_FILE='" + (dir_ / "job-logs").string() + "'/.stop-$JOB")) << script;
}

TEST_F(SlurmCommand, ArrayTasksWriteUnderTheSweepsOutputDir) {
  const std::string script = run({"group-%a.yaml", "--array", "0-1"});
  EXPECT_TRUE(has(script, "#SBATCH --job-name=icsweep-group\n")) << script;  // was a literal icsweep-group-%a
  EXPECT_TRUE(has(script, "SWEEP=${SWEEP//%a/$SLURM_ARRAY_TASK_ID}\n"
                          "OUTPUT=$(\"$ICSWEEP\" slurm --print-output-dir \"$SWEEP\") || exit 2"))
      << script;
  EXPECT_TRUE(has(script, "OUTPUT=$OUTPUT/group-$SLURM_ARRAY_TASK_ID\n")) << script;
  EXPECT_FALSE(has(script, "results/group-")) << script;
  const std::string with_output = run({"group-%a.yaml", "--array", "0-1", "-o", "out"});
  EXPECT_TRUE(has(with_output, "OUTPUT='" + (dir_ / "out").string() + "'\nOUTPUT=$OUTPUT/group-")) << with_output;
}

TEST_F(SlurmCommand, RefusesASweepThatRunWouldRefuseListingEveryProblem) {
  // Two models that `icsweep run` would fail before loading: an architecture no family implements and
  // weights whose header is cut off; and an array group whose file is missing.
  for (const char* name : {"arch", "cut"}) fs::copy(fixture("llama_fp32"), dir_ / name, fs::copy_options::recursive);
  std::string config = file_bytes_of(dir_ / "arch" / "config.json");
  config.replace(config.find("LlamaForCausalLM"), 16, "MambaForCausalLM");
  std::ofstream(dir_ / "arch" / "config.json") << config;
  fs::resize_file(dir_ / "cut" / "model.safetensors", 100);
  std::ofstream(dir_ / "bad.yaml") << "models:\n  - {path: arch}\n  - {path: cut}\ndatasets:\n  - {path: "
                                   << fixture("data.jsonl") << "}\n";
  EXPECT_EQ(run({"bad.yaml", "--logs", "bad-logs"}), "");
  EXPECT_EQ(exit_code_, kExitUsage);
  EXPECT_TRUE(has(stderr_, "2 problem(s) found before any model was loaded")) << stderr_;
  EXPECT_TRUE(has(stderr_, "unsupported architecture 'MambaForCausalLM'")) << stderr_;
  EXPECT_TRUE(has(stderr_, "model cut: ")) << stderr_;
  EXPECT_FALSE(fs::exists(dir_ / "bad-logs")) << "a refused sweep made its log folder";
  EXPECT_EQ(run({"group-%a.yaml", "--array", "0-2"}), "");  // group-2.yaml does not exist
  EXPECT_EQ(exit_code_, kExitUsage);
  EXPECT_TRUE(has(stderr_, "group-2.yaml")) << stderr_;
}

TEST_F(SlurmCommand, PassesSchedulerOptionsAndTheSetUpThrough) {
  const std::string script = run({"sweep.yaml", "--mem", "200G", "--constraint", "h100", "--qos", "high", "--account",
                                  "proj", "--sbatch-line=--exclusive", "--sbatch-line", "--mail-type=END", "--setup",
                                  "module load openmpi", "--setup", "source ~/venv/bin/activate", "--mpi", "pmi2"});
  EXPECT_EQ(exit_code_, kExitOk) << stderr_;
  EXPECT_TRUE(has(script, "#SBATCH --mem=200G\n#SBATCH --constraint=h100\n#SBATCH --qos=high\n"
                          "#SBATCH --exclusive\n#SBATCH --mail-type=END\n")) << script;
  EXPECT_TRUE(has(script, "#SBATCH --account=proj\n")) << script;
  EXPECT_TRUE(has(script, "set -u\n# Environment set-up (--setup)\nmodule load openmpi\nsource ~/venv/bin/activate\n"))
      << script;
  EXPECT_TRUE(has(script, "srun) launch=(srun --mpi=pmi2 ")) << script;
  EXPECT_TRUE(has(run({"sweep.yaml"}), "srun --mpi=pmix ")) << "pmix is the default";
  EXPECT_THROW(run({"sweep.yaml", "--mpi", "pmix; rm"}), UsageError);
}

TEST_F(SlurmCommand, WarnsWhenTheSweepsDeviceContradictsTheGpusRequested) {
  write_sweep("cpu.yaml", fixture("llama_fp32"), "cpu");
  run({"cpu.yaml", "--gpus-per-node", "2"});
  EXPECT_EQ(exit_code_, kExitOk);
  EXPECT_TRUE(has(stderr_, "settings.device cpu but the job asks for 2 GPU(s) per node")) << stderr_;
  write_sweep("cuda.yaml", fixture("llama_fp32"), "cuda");
  run({"cuda.yaml", "--gpus-per-node", "0"});
  EXPECT_TRUE(has(stderr_, "settings.device cuda but the job asks for no GPU")) << stderr_;
  run({"sweep.yaml", "--gpus-per-node", "2"});
  EXPECT_EQ(stderr_, "") << "device auto with GPUs is no contradiction";
}

TEST(SlurmArray, TaskIds) {
  EXPECT_EQ(slurm_array_indices("0-3"), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(slurm_array_indices("1,4,7"), (std::vector<int>{1, 4, 7}));
  EXPECT_EQ(slurm_array_indices("0-6:3%2"), (std::vector<int>{0, 3, 6}));
  EXPECT_EQ(slurm_array_indices("5"), (std::vector<int>{5}));
  EXPECT_THROW(slurm_array_indices("a-b"), UsageError);
  EXPECT_THROW(slurm_array_indices("3-1"), UsageError);
}

TEST_F(SlurmCommand, TheTrapOnlyCreatesTheStopFileAndMpirunWaitsForTheRanks) {
  const std::string script = run({"sweep.yaml", "--launcher", "mpirun"});
  EXPECT_TRUE(has(script, "--mca odls_base_sigkill_timeout \"$kill_after\"")) << script;
  EXPECT_FALSE(has(script, "kill -USR1")) << script;
  EXPECT_FALSE(has(script, "kill -TERM")) << script;
}

}  // namespace
}  // namespace icsweep
