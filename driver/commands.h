// Subcommands of the icsweep executable. Each parses its own options (Boost.Program_options) from
// `args` (the words after the subcommand name), prints --help, and returns the process exit code.
#pragma once

#include <string>
#include <vector>

namespace icsweep {

int cmd_run(const std::vector<std::string>& args);              // driver/cmd_run.cpp
int cmd_score(const std::vector<std::string>& args);            // driver/cmd_score.cpp
int cmd_flops(const std::vector<std::string>& args);            // driver/cmd_flops.cpp
int cmd_report(const std::vector<std::string>& args);           // driver/cmd_report.cpp
int cmd_make_tiny_model(const std::vector<std::string>& args);  // driver/cmd_make_tiny_model.cpp
int cmd_tokenize(const std::vector<std::string>& args);         // driver/cmd_tokenize.cpp
int cmd_slurm(const std::vector<std::string>& args);            // driver/cmd_slurm.cpp
int cmd_merge(const std::vector<std::string>& args);            // driver/cmd_merge.cpp
int cmd_models(const std::vector<std::string>& args);           // driver/cmd_models.cpp
int cmd_plan(const std::vector<std::string>& args);             // driver/cmd_plan.cpp

}  // namespace icsweep
