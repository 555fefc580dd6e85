#include "driver/command_line.h"

#include <iostream>

#include "core/common/errors.h"

namespace icsweep {
namespace po = boost::program_options;

bool parse_command_line(const std::string& command, const std::vector<std::string>& args,
                        const po::options_description& options, const std::string& positional,
                        po::variables_map* vm, bool repeat_positional) {
  po::options_description all;
  all.add(options);
  po::positional_options_description positionals;
  if (!positional.empty()) {
    if (!options.find_nothrow(positional, false)) {
      po::options_description hidden;
      hidden.add_options()(positional.c_str(), po::value<std::string>());
      all.add(hidden);
    }
    positionals.add(positional.c_str(), repeat_positional ? -1 : 1);
  }
  try {
    po::store(po::command_line_parser(args).options(all).positional(positionals).run(), *vm);
    if (vm->count("help")) {
      std::cout << options << "\n";
      return false;
    }
    po::notify(*vm);
  } catch (const po::error& e) {
    throw UsageError(command + ": " + e.what() + " (see icsweep " + command + " --help)");
  }
  return true;
}

}  // namespace icsweep
