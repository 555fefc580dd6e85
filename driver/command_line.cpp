#include "driver/command_line.h"

#include <iostream>
#include <set>

#include "core/common/errors.h"

namespace icsweep {
namespace po = boost::program_options;

std::vector<std::string> replace_deprecated(const std::string& command, const std::vector<std::string>& args,
                                            const std::vector<DeprecatedSpelling>& deprecated, std::ostream& err) {
  std::vector<std::string> out;
  std::set<std::string> noted;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--") {  // the rest are positional words
      out.insert(out.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
      break;
    }
    const DeprecatedSpelling* found = nullptr;
    std::string value;  // of --old=VALUE
    for (const auto& d : deprecated) {
      if (args[i] == d.old_word || args[i].rfind(d.old_word + "=", 0) == 0) {
        found = &d;
        if (args[i].size() > d.old_word.size()) value = args[i].substr(d.old_word.size());  // "=VALUE"
      }
    }
    if (!found) {
      out.push_back(args[i]);
      continue;
    }
    std::string spelled;
    for (const auto& w : found->new_words) spelled += (spelled.empty() ? "" : " ") + w;
    if (noted.insert(found->old_word).second)
      err << "icsweep " << command << ": " << found->old_word << " is deprecated; use " << spelled << "\n";
    out.insert(out.end(), found->new_words.begin(), found->new_words.end());
    if (!value.empty()) out.back() += value;
  }
  return out;
}

bool parse_command_line(const std::string& command, const std::vector<std::string>& args,
                        const po::options_description& options, const std::string& positional,
                        po::variables_map* vm, bool repeat_positional,
                        const std::vector<DeprecatedSpelling>& deprecated) {
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
    const std::vector<std::string> words = replace_deprecated(command, args, deprecated, std::cerr);
    po::store(po::command_line_parser(words).options(all).positional(positionals).run(), *vm);
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
