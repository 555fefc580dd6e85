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

// Runs `icsweep slurm ARGS` in a fresh folder and returns what it printed.
class SlurmCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("icsweep-unit-slurm-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    old_cwd_ = fs::current_path();
    fs::current_path(dir_);
    std::ofstream(dir_ / "sweep.yaml") << "models: []\n";
  }
  void TearDown() override {
    fs::current_path(old_cwd_);
    fs::remove_all(dir_);
  }
  std::string run(std::vector<std::string> args) {
    std::ostringstream out;
    auto* old = std::cout.rdbuf(out.rdbuf());
    try {
      cmd_slurm(args);
    } catch (...) {
      std::cout.rdbuf(old);
      throw;
    }
    std::cout.rdbuf(old);
    return out.str();
  }
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

TEST_F(SlurmCommand, TheTrapOnlyCreatesTheStopFileAndMpirunWaitsForTheRanks) {
  const std::string script = run({"sweep.yaml", "--launcher", "mpirun"});
  EXPECT_TRUE(has(script, "--mca odls_base_sigkill_timeout \"$kill_after\"")) << script;
  EXPECT_FALSE(has(script, "kill -USR1")) << script;
  EXPECT_FALSE(has(script, "kill -TERM")) << script;
}

}  // namespace
}  // namespace icsweep
