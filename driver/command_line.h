// Shared option parsing of the subcommands (Boost.Program_options).
#pragma once

#include <boost/program_options.hpp>

#include <string>
#include <vector>

namespace icsweep {

// Parses the words after `icsweep COMMAND`. `options` are the documented ones (--help among them);
// `positional`, when not empty, names one positional string argument (declared here unless `options`
// has it); `repeat_positional`: every positional word goes to it (declare it in `options` as a vector).
// Prints `options` and returns false for --help; throws UsageError
// "COMMAND: what is wrong (see icsweep COMMAND --help)" on bad input.
bool parse_command_line(const std::string& command, const std::vector<std::string>& args,
                        const boost::program_options::options_description& options,
                        const std::string& positional, boost::program_options::variables_map* vm,
                        bool repeat_positional = false);

}  // namespace icsweep
