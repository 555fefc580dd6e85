// Shared option parsing of the subcommands (Boost.Program_options).
#pragma once

#include <boost/program_options.hpp>

#include <iosfwd>
#include <string>
#include <vector>

namespace icsweep {

// An old spelling kept so existing scripts run: not in --help; using it prints one line
// "icsweep COMMAND: OLD is deprecated; use NEW" to stderr. "--old VALUE" and "--old=VALUE" both work.
struct DeprecatedSpelling {
  std::string old_word;                // "--out", "--json"
  std::vector<std::string> new_words;  // {"--output"}, {"--format", "json"}
};

// `args` with every deprecated word replaced by its new spelling; a note per spelling used to `err`.
std::vector<std::string> replace_deprecated(const std::string& command, const std::vector<std::string>& args,
                                            const std::vector<DeprecatedSpelling>& deprecated, std::ostream& err);

// Parses the words after `icsweep COMMAND`. `options` are the documented ones (--help among them);
// `positional`, when not empty, names one positional string argument (declared here unless `options`
// has it); `repeat_positional`: every positional word goes to it (declare it in `options` as a vector).
// `deprecated`: old spellings accepted as their new ones (replace_deprecated).
// Prints `options` and returns false for --help; throws UsageError
// "COMMAND: what is wrong (see icsweep COMMAND --help)" on bad input.
bool parse_command_line(const std::string& command, const std::vector<std::string>& args,
                        const boost::program_options::options_description& options,
                        const std::string& positional, boost::program_options::variables_map* vm,
                        bool repeat_positional = false, const std::vector<DeprecatedSpelling>& deprecated = {});

}  // namespace icsweep
