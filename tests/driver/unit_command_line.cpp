// Old option spellings kept as hidden aliases (driver/command_line.h): replaced word by word, one
// deprecation line per spelling, values in both "--old V" and "--old=V" forms, nothing after "--".
#include <gtest/gtest.h>

#include <sstream>

#include "core/common/errors.h"
#include "driver/command_line.h"

namespace icsweep {
namespace {
namespace po = boost::program_options;

const std::vector<DeprecatedSpelling> kFlops = {{"--tokens", {"--max-length"}}, {"--json", {"--format", "json"}}};

TEST(DeprecatedSpelling, ReplacedWordByWordWithOneNoteEach) {
  std::ostringstream err;
  const auto words = replace_deprecated("flops", {"m", "--tokens", "64", "--json", "--tokens=32"}, kFlops, err);
  EXPECT_EQ(words, (std::vector<std::string>{"m", "--max-length", "64", "--format", "json", "--max-length=32"}));
  EXPECT_EQ(err.str(),
            "icsweep flops: --tokens is deprecated; use --max-length\n"
            "icsweep flops: --json is deprecated; use --format json\n");
}

TEST(DeprecatedSpelling, NewSpellingsAndPositionalWordsAreLeftAlone) {
  std::ostringstream err;
  const std::vector<std::string> args = {"--max-length", "64", "--tokens-per-batch", "8", "--jsonl", "--", "--json"};
  EXPECT_EQ(replace_deprecated("flops", args, kFlops, err), args);
  EXPECT_EQ(err.str(), "");
}

TEST(DeprecatedSpelling, ParsedAsTheNewOption) {
  po::options_description options;
  options.add_options()("help,h", "")("output,o", po::value<std::string>(), "")("max-length,l", po::value<int>(), "");
  po::variables_map vm;
  ASSERT_TRUE(parse_command_line("x", {"--out=a.h5", "--tokens", "7"}, options, "", &vm, false,
                                 {{"--out", {"--output"}}, {"--tokens", {"--max-length"}}}));
  EXPECT_EQ(vm["output"].as<std::string>(), "a.h5");
  EXPECT_EQ(vm["max-length"].as<int>(), 7);
  // An old and a new spelling of one option given together: one option given twice.
  po::variables_map twice;
  EXPECT_THROW(parse_command_line("x", {"--out", "a", "-o", "b"}, options, "", &twice, false, {{"--out", {"--output"}}}),
               UsageError);
}

}  // namespace
}  // namespace icsweep
