// Normalizers, pre-tokenizers, decoders and UTF-8 helpers, one behaviour per test. Expected values
// are the examples of the Rust `tokenizers` unit tests (normalizer.rs split behaviours,
// punctuation.rs, digits.rs, metaspace.rs, whitespace.rs) or hand-derived from its semantics.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/common/errors.h"
#include "core/tokenizer/decoders.h"
#include "core/tokenizer/normalizers.h"
#include "core/tokenizer/pre_tokenizers.h"
#include "core/tokenizer/tokenizer_config.h"
#include "core/tokenizer/unicode_text.h"

namespace icsweep {
namespace {

using nlohmann::json;
using Strings = std::vector<std::string>;

std::string normalize(const json& spec, std::string text) {
  make_normalizer(spec, "test.json")->normalize(text);
  return text;
}

Strings pre_tokenize(const json& spec, const std::string& text, bool at_origin = true) {
  const PreTokenizerSpec pre = make_pre_tokenizer(spec, "test.json");
  PreTokenArena arena;
  std::vector<PreToken> pieces{{text, at_origin}};
  pre.pre_tokenizer->pre_tokenize(pieces, arena);
  Strings out;
  for (const auto& p : pieces) out.emplace_back(p.text);
  return out;
}

std::string decode(const json& spec, Strings tokens) { return run_decoder(make_decoder(spec, "test.json").get(), tokens); }

const std::string kSpm = "\xE2\x96\x81";  // U+2581

TEST(Normalizers, NfcComposesAndNfdDecomposes) {
  EXPECT_EQ(normalize({{"type", "NFC"}}, "e\xCC\x81"), "\xC3\xA9");
  EXPECT_EQ(normalize({{"type", "NFD"}}, "\xC3\xA9"), "e\xCC\x81");
}

TEST(Normalizers, NfcFastPathLeavesComposableSequencesToUtf8proc) {
  // Each text mixes fast-path characters with one that needs composition or a singleton mapping.
  EXPECT_EQ(normalize({{"type", "NFC"}}, "\xD0\x98\xCC\x86"), "\xD0\x99");              // И + breve -> Й
  EXPECT_EQ(normalize({{"type", "NFC"}}, "\xE3\x81\x8B\xE3\x82\x99"), "\xE3\x81\x8C");  // か + U+3099 -> が
  EXPECT_EQ(normalize({{"type", "NFC"}}, "\xE4\xB8\xAD\xE2\x84\xAB"), "\xE4\xB8\xAD\xC3\x85");  // U+212B -> Å
  EXPECT_EQ(normalize({{"type", "NFC"}}, "\xE4\xB8\xAD\xE6\x96\x87 \xE2\x80\x9Cok\xE2\x80\x9D"),
            "\xE4\xB8\xAD\xE6\x96\x87 \xE2\x80\x9Cok\xE2\x80\x9D");  // already NFC
}

TEST(Normalizers, CompatibilityFormsFoldLigaturesAndCircledDigits) {
  EXPECT_EQ(normalize({{"type", "NFKC"}}, "\xEF\xAC\x81"), "fi");   // U+FB01
  EXPECT_EQ(normalize({{"type", "NFKD"}}, "\xE2\x91\xA0"), "1");    // U+2460
}

TEST(Normalizers, LowercaseMapsDottedCapitalIToTwoCodePoints) {
  EXPECT_EQ(normalize({{"type", "Lowercase"}}, "\xC4\xB0" "AB\xC3\x89"), "i\xCC\x87" "ab\xC3\xA9");
}

TEST(Normalizers, PrependSkipsEmptyText) {
  const json spec = {{"type", "Prepend"}, {"prepend", kSpm}};
  EXPECT_EQ(normalize(spec, "ab"), kSpm + "ab");
  EXPECT_EQ(normalize(spec, ""), "");
}

TEST(Normalizers, ReplaceLiteralAndRegex) {
  EXPECT_EQ(normalize({{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", kSpm}}, "a b  c"),
            "a" + kSpm + "b" + kSpm + kSpm + "c");
  EXPECT_EQ(normalize({{"type", "Replace"}, {"pattern", {{"Regex", "\\s+"}}}, {"content", " "}}, "a \t\n b"), "a b");
}

TEST(Normalizers, StripRemovesUnicodeWhitespaceOnChosenSides) {
  EXPECT_EQ(normalize({{"type", "Strip"}, {"strip_left", true}, {"strip_right", true}}, "\xE3\x80\x80 a b\n"), "a b");
  EXPECT_EQ(normalize({{"type", "Strip"}, {"strip_left", false}, {"strip_right", true}}, "  a  "), "  a");
}

TEST(Normalizers, SequenceAppliesInOrder) {
  const json spec = {{"type", "Sequence"},
                     {"normalizers", {{{"type", "Prepend"}, {"prepend", kSpm}},
                                      {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", kSpm}}}}};
  EXPECT_EQ(normalize(spec, "a b"), kSpm + "a" + kSpm + "b");
}

TEST(Normalizers, UnknownTypeNamesFileAndComponent) {
  try {
    make_normalizer({{"type", "Precompiled"}}, "dir/tokenizer.json");
    FAIL() << "expected TokenizerError";
  } catch (const TokenizerError& e) {
    EXPECT_NE(std::string(e.what()).find("dir/tokenizer.json"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("Precompiled"), std::string::npos);
  }
}

json split(const std::string& behavior, bool invert = false) {
  return {{"type", "Split"}, {"pattern", {{"String", "-"}}}, {"behavior", behavior}, {"invert", invert}};
}

TEST(PreTokenizers, SplitBehavioursOnTheFinalCountdown) {
  const std::string text = "The-final--countdown";
  EXPECT_EQ(pre_tokenize(split("Removed"), text), (Strings{"The", "final", "countdown"}));
  EXPECT_EQ(pre_tokenize(split("Isolated"), text), (Strings{"The", "-", "final", "-", "-", "countdown"}));
  EXPECT_EQ(pre_tokenize(split("MergedWithPrevious"), text), (Strings{"The-", "final-", "-", "countdown"}));
  EXPECT_EQ(pre_tokenize(split("MergedWithNext"), text), (Strings{"The", "-final", "-", "-countdown"}));
  EXPECT_EQ(pre_tokenize(split("Contiguous"), text), (Strings{"The", "-", "final", "--", "countdown"}));
}

TEST(PreTokenizers, SplitInvertTreatsGapsAsDelimiters) {
  EXPECT_EQ(pre_tokenize(split("Removed", true), "The-final--countdown"), (Strings{"-", "-", "-"}));
}

TEST(PreTokenizers, SplitRegexIsolatesMatches) {
  const json spec = {{"type", "Split"}, {"pattern", {{"Regex", "\\d+"}}}, {"behavior", "Isolated"}, {"invert", false}};
  EXPECT_EQ(pre_tokenize(spec, "ab12cd345"), (Strings{"ab", "12", "cd", "345"}));
}

TEST(PreTokenizers, WhitespaceKeepsWordsAndPunctuationRuns) {
  EXPECT_EQ(pre_tokenize({{"type", "Whitespace"}}, "How are you doing?"),
            (Strings{"How", "are", "you", "doing", "?"}));
  EXPECT_EQ(pre_tokenize({{"type", "WhitespaceSplit"}}, "Hey man!"), (Strings{"Hey", "man!"}));
}

TEST(PreTokenizers, PunctuationIsolatesEachMark) {
  EXPECT_EQ(pre_tokenize({{"type", "Punctuation"}}, "Hey friend!     How are you?!?"),
            (Strings{"Hey friend", "!", "     How are you", "?", "!", "?"}));
}

TEST(PreTokenizers, DigitsIndividualOrContiguous) {
  EXPECT_EQ(pre_tokenize({{"type", "Digits"}, {"individual_digits", true}}, "Hey 123 friend!"),
            (Strings{"Hey ", "1", "2", "3", " friend!"}));
  EXPECT_EQ(pre_tokenize({{"type", "Digits"}, {"individual_digits", false}}, "Hey 123 friend!"),
            (Strings{"Hey ", "123", " friend!"}));
}

TEST(PreTokenizers, MetaspaceReplacesPrependsAndSplits) {
  const json always = {{"type", "Metaspace"}, {"replacement", kSpm}, {"prepend_scheme", "always"}, {"split", true}};
  EXPECT_EQ(pre_tokenize(always, "Hey   friend!"), (Strings{kSpm + "Hey", kSpm, kSpm, kSpm + "friend!"}));
  const json first = {{"type", "Metaspace"}, {"replacement", kSpm}, {"prepend_scheme", "first"}, {"split", false}};
  EXPECT_EQ(pre_tokenize(first, "Hey friend", true), (Strings{kSpm + "Hey" + kSpm + "friend"}));
  EXPECT_EQ(pre_tokenize(first, "Hey", false), (Strings{"Hey"}));  // not at the start of the input
  const json never = {{"type", "Metaspace"}, {"replacement", kSpm}, {"prepend_scheme", "never"}, {"split", true}};
  EXPECT_EQ(pre_tokenize(never, "Hey friend"), (Strings{"Hey", kSpm + "friend"}));
}

TEST(PreTokenizers, ByteLevelSplitsWithGpt2PatternAndOptionalPrefixSpace) {
  // Pieces stay raw bytes: the byte -> char alphabet lives in the model's vocabulary.
  EXPECT_EQ(pre_tokenize({{"type", "ByteLevel"}, {"add_prefix_space", true}, {"use_regex", true}}, "Hello my friend"),
            (Strings{" Hello", " my", " friend"}));
  EXPECT_EQ(pre_tokenize({{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}}, "it's  1999!"),
            (Strings{"it", "'s", " ", " 1999", "!"}));
  EXPECT_TRUE(make_pre_tokenizer({{"type", "ByteLevel"}}, "t.json").byte_level);
}

// Falcon's pre_tokenizer (tiiuae/falcon-7b tokenizer.json). By hand, after tokenizers' semantics:
// Punctuation(Contiguous) cuts "x²y 12345!" into "x²y 12345" | "!"; ByteLevel's GPT-2 regex gives
// "x" "²" "y" " 12345" and spells them in the byte alphabet: "x" "Â²" "y" "Ġ12345" (² is C2 B2, and
// byte B2 is the char U+00B2 '²', numeric); Digits(contiguous) cuts "Â²" into "Â" | "²" and
// "Ġ12345" into "Ġ" | "12345"; Split [0-9]{3} isolates "123" | "45". Pieces are raw bytes again.
TEST(PreTokenizers, StepsAfterByteLevelSeeTheByteAlphabet) {
  const json falcon = json::parse(R"({"type": "Sequence", "pretokenizers": [
      {"type": "Punctuation", "behavior": "Contiguous"},
      {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
      {"type": "Digits", "individual_digits": false},
      {"type": "Split", "pattern": {"Regex": "[0-9][0-9][0-9]"}, "behavior": "Isolated", "invert": false}]})");
  EXPECT_TRUE(make_pre_tokenizer(falcon, "t.json").byte_level);
  EXPECT_EQ(pre_tokenize(falcon, "x\xC2\xB2y 12345!"), (Strings{"x", "\xC2", "\xB2", "y", " ", "123", "45", "!"}));
  // Punctuation after ByteLevel: ' ' is U+0120 (a letter), "¡" (C2 A1) is "Â¡" and only U+00A1 is
  // punctuation; a nested Sequence after ByteLevel behaves the same.
  const json punct_after = {{"type", "Sequence"},
                            {"pretokenizers", {{{"type", "ByteLevel"}, {"add_prefix_space", true}, {"use_regex", false}},
                                               {{"type", "Sequence"}, {"pretokenizers", {{{"type", "Punctuation"}}}}}}}};
  EXPECT_EQ(pre_tokenize(punct_after, "a \xC2\xA1" "b"), (Strings{" a \xC2", "\xA1", "b"}));
}

TEST(PreTokenizers, OnlySplittingStepsMayFollowByteLevel) {
  for (const char* second : {"ByteLevel", "Metaspace"}) {
    const json spec = {{"type", "Sequence"},
                       {"pretokenizers", {{{"type", "ByteLevel"}}, {{"type", second}, {"replacement", kSpm}}}}};
    EXPECT_THROW(make_pre_tokenizer(spec, "t.json"), TokenizerError) << second;
  }
}

TEST(Decoders, ByteLevelMapsAlphabetBackAndReplacesInvalidUtf8) {
  const json spec = {{"type", "ByteLevel"}};
  EXPECT_EQ(decode(spec, {"Hello", "\xC4\xA0my", "\xC4\xA0" "friend"}), "Hello my friend");  // U+0120 is ' '
  EXPECT_EQ(decode(spec, {"\xC3\x83"}), "\xEF\xBF\xBD");  // U+00C3 is byte 0xC3: a cut sequence
}

TEST(Decoders, ByteFallbackReplacesEachByteOfAnInvalidRun) {
  const json spec = {{"type", "ByteFallback"}};
  EXPECT_EQ(decode(spec, {"<0xE2>", "<0x82>", "<0xAC>", "x"}), "\xE2\x82\xAC" "x");
  EXPECT_EQ(decode(spec, {"<0x61>", "<0xE2>", "<0x82>", "x"}), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDx");
}

TEST(Decoders, LlamaChainStripsOneLeadingSpace) {
  const json spec = {{"type", "Sequence"},
                     {"decoders", {{{"type", "Replace"}, {"pattern", {{"String", kSpm}}}, {"content", " "}},
                                   {{"type", "ByteFallback"}}, {{"type", "Fuse"}},
                                   {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}}}};
  EXPECT_EQ(decode(spec, {kSpm + kSpm + "Hey", kSpm + "friend", "<0x21>"}), " Hey friend!");
}

TEST(Decoders, MetaspaceDropsReplacementInFirstToken) {
  EXPECT_EQ(decode({{"type", "Metaspace"}, {"replacement", kSpm}, {"prepend_scheme", "always"}},
                   {kSpm + "Hey", kSpm + "friend!"}),
            "Hey friend!");
}

TEST(Decoders, NoDecoderJoinsWithSpaces) { EXPECT_EQ(run_decoder(nullptr, {"a", "b"}), "a b"); }

TEST(Utf8, LossyDecodingReplacesMaximalSubparts) {
  EXPECT_EQ(unicode::from_utf8_lossy("\xF0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // F0 80: not a prefix
  EXPECT_EQ(unicode::from_utf8_lossy("\xE2\x82"), "\xEF\xBF\xBD");              // truncated 3-byte char
  EXPECT_EQ(unicode::from_utf8_lossy("\xE2\x82" "A"), "\xEF\xBF\xBD" "A");
  EXPECT_EQ(unicode::find_invalid_utf8("ok\xED\xA0\x80"), 2u);                   // surrogate
}

TEST(CleanUp, RemovesSpacesBeforePunctuationAndContractions) {
  EXPECT_EQ(clean_up_tokenization("Hello , world . I do n't know , I 'm sure !"),
            "Hello, world. I don't know, I'm sure!");
}

}  // namespace
}  // namespace icsweep
