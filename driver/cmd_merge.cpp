// `icsweep merge a/results.h5 b/results.h5 -o all.h5`: joins the outputs of several sweeps (e.g. the
// tasks of a Slurm job array, one model group each) into one index. Cells are copied beside the new
// index (ALL_DIR/cells/, written to a temp name and renamed) or, with --link, linked where they are.
// Refuses inputs whose cells were computed with different max_sample_length or FLOPs profile (their
// numbers are not comparable) and a cell present in two inputs.
#include <boost/program_options.hpp>

#include <filesystem>
#include <iostream>
#include <map>
#include <set>

#include "core/common/errors.h"
#include "core/store/cell_file.h"
#include "driver/command_line.h"
#include "driver/commands.h"
#include "driver/signals.h"
#include "icsweep_version.h"

namespace icsweep {
namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

struct MergedCell {
  std::string input, file, key;
  IndexEntry entry;
  CellResult summary;
};

// Every cell of the inputs; UsageError for a missing input, an input that is no index or is the
// output, a cell found twice, or cells computed with different settings.
std::vector<MergedCell> read_inputs(const std::vector<std::string>& inputs, const fs::path& output) {
  std::vector<MergedCell> cells;
  std::map<std::string, std::string> seen;  // key -> input
  for (const auto& input : inputs) {
    if (!fs::exists(input)) throw UsageError("merge: " + input + " not found");
    if (!is_index_file(input)) throw UsageError("merge: " + input + " is not a results.h5 index (a cell file?)");
    std::error_code ec;  // the same file by another path (a symlink, a hard link) counts too
    if (fs::absolute(input).lexically_normal() == output || (fs::exists(output) && fs::equivalent(input, output, ec)))
      throw UsageError("merge: the output " + output.string() + " is also an input");
    for (const auto& e : read_index_file(input)) {
      MergedCell c{input, e.cell_file, cell_stem(e.model_name, e.data_name), e, read_cell_summary(e.cell_file)};
      const auto [it, fresh] = seen.emplace(c.key, input);
      if (!fresh)
        throw UsageError("merge: cell " + c.key + " is in both " + it->second + " and " + input +
                         "; merge outputs of disjoint model groups (or drop one of them)");
      cells.push_back(std::move(c));
    }
  }
  if (cells.empty()) throw UsageError("merge: the inputs hold no cells");
  const MergedCell& first = cells.front();
  for (const auto& c : cells) {
    auto mismatch = [&](const std::string& what, const std::string& a, const std::string& b) {
      throw UsageError("merge: " + what + " differs: " + a + " in " + first.key + " (" + first.input + ") but " + b +
                       " in " + c.key + " (" + c.input + "); results computed with different settings are not "
                       "comparable; re-run one group with the other's settings");
    };
    if (c.summary.max_sample_length != first.summary.max_sample_length)
      mismatch("max_sample_length", std::to_string(first.summary.max_sample_length),
               std::to_string(c.summary.max_sample_length));
    if (c.summary.flops_profile != first.summary.flops_profile)
      mismatch("flops_profile", first.summary.flops_profile, c.summary.flops_profile);
  }
  return cells;
}

}  // namespace

int cmd_merge(const std::vector<std::string>& args) {
  po::options_description visible(
      "Usage: icsweep merge A/results.h5 B/results.h5 ... -o ALL.h5 [--link]\n\n"
      "Joins sweep outputs (e.g. the groups of a Slurm job array) into one index ALL.h5. Cell files are\n"
      "copied to ALL's directory under cells/ (or, with --link, referenced where they are). Refuses\n"
      "inputs with different max_sample_length or flops_profile, and a cell found in two inputs.\n\nOptions");
  visible.add_options()
      ("help,h", "show this help")
      ("output,o", po::value<std::string>(), "the merged index file to write")
      ("link", po::bool_switch(), "link the cell files where they are instead of copying them")
      ("inputs", po::value<std::vector<std::string>>()->multitoken(), "results.h5 files (positional)");
  po::variables_map vm;
  // parse_command_line takes one positional; collect the inputs as the words that are not options.
  std::vector<std::string> inputs, rest;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-o" || a == "--output") {
      rest.push_back(a);
      if (i + 1 < args.size()) rest.push_back(args[++i]);
    } else if (!a.empty() && a[0] == '-') {
      rest.push_back(a);
    } else {
      inputs.push_back(a);
    }
  }
  if (!parse_command_line("merge", rest, visible, "", &vm)) return kExitOk;
  if (!vm.count("output")) throw UsageError("merge: missing -o ALL.h5 (see icsweep merge --help)");
  if (inputs.empty()) throw UsageError("merge: no input results.h5 files (see icsweep merge --help)");
  const bool link = vm["link"].as<bool>();
  const fs::path output = fs::absolute(vm["output"].as<std::string>()).lexically_normal();
  const fs::path out_dir = output.parent_path();

  const std::vector<MergedCell> cells = read_inputs(inputs, output);
  const MergedCell& first = cells.front();

  fs::create_directories(out_dir);
  std::vector<IndexEntry> entries;
  std::string merged_from;
  for (const auto& input : inputs) merged_from += (merged_from.empty() ? "" : ",") + fs::absolute(input).string();
  for (const auto& c : cells) {
    IndexEntry e = c.entry;
    if (link) {
      e.cell_file = fs::relative(fs::absolute(c.file), out_dir).string();
    } else {
      const fs::path target = out_dir / "cells" / (c.key + ".h5");
      fs::create_directories(target.parent_path());
      const fs::path temp = target.string() + ".tmp-merge";
      fs::copy_file(c.file, temp, fs::copy_options::overwrite_existing);
      fs::rename(temp, target);
      e.cell_file = "cells/" + c.key + ".h5";
    }
    entries.push_back(e);
  }
  write_index_file(output.string(), entries,
                   {{"merged_from", merged_from},
                    {"icsweep_version", ICSWEEP_VERSION},
                    {"git_commit", ICSWEEP_GIT_COMMIT},
                    {"max_sample_length", std::to_string(first.summary.max_sample_length)},
                    {"flops_profile", first.summary.flops_profile}});
  std::cout << "merged " << cells.size() << " cells from " << inputs.size() << " inputs into " << output.string()
            << (link ? " (linked)" : "") << "\n";
  return kExitOk;
}

}  // namespace icsweep
