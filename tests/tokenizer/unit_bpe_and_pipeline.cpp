// BPE model options, added-token matching, post-processors and the tokenizer_config.json layer,
// on tiny hand-written tokenizer.json files whose expected ids follow from the Rust `tokenizers`
// semantics by hand (merge the lowest rank first, leftmost on ties; AddedVocabulary::find_matches).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/common/errors.h"
#include "core/tokenizer/added_tokens.h"
#include "core/tokenizer/bpe_model.h"
#include "core/tokenizer/normalizers.h"
#include "core/tokenizer/tokenizer.h"
#include "test_paths.h"

namespace icsweep {
namespace {

using nlohmann::json;
using Ids = std::vector<int32_t>;

Ids encode_piece(const json& model, const std::string& piece) {
  const BpeModel bpe(model, "test.json", parse_bpe_options(model, false));
  Ids ids;
  bpe.encode_piece(piece, &ids);
  return ids;
}

json abc_model(const json& merges) {
  return {{"type", "BPE"}, {"vocab", {{"a", 0}, {"b", 1}, {"c", 2}, {"ab", 3}, {"bc", 4}, {"abc", 5}}}, {"merges", merges}};
}

TEST(Bpe, MergesLowestRankFirst) {
  EXPECT_EQ(encode_piece(abc_model({"b c", "a b"}), "abc"), (Ids{0, 4}));
  EXPECT_EQ(encode_piece(abc_model({"a b", "b c"}), "abc"), (Ids{3, 2}));
  EXPECT_EQ(encode_piece(abc_model({"a b", "b c", "ab c"}), "abc"), (Ids{5}));
}

TEST(Bpe, MergesListAndStringFormsAgree) {
  json list = json::array();  // built by push_back: a braced list of pairs would become an object
  list.push_back(json::array({"b", "c"}));
  list.push_back(json::array({"a", "bc"}));
  EXPECT_EQ(encode_piece(abc_model(list), "abc"), (Ids{5}));
  EXPECT_EQ(encode_piece(abc_model({"b c", "a bc"}), "abc"), (Ids{5}));
}

TEST(Bpe, EqualRanksMergeLeftmostFirst) {
  const json model = {{"type", "BPE"}, {"vocab", {{"a", 0}, {"aa", 1}}}, {"merges", {"a a"}}};
  EXPECT_EQ(encode_piece(model, "aaa"), (Ids{1, 0}));
  EXPECT_EQ(encode_piece(model, "aaaa"), (Ids{1, 1}));
}

// DeepSeek's byte-level vocabularies hold "<｜begin▁of▁sentence｜>": chars outside the byte alphabet,
// so no byte sequence encodes to it, but it is a token: len(tokenizer) and added tokens find it.
TEST(Bpe, ByteLevelTokensOutsideTheAlphabetAreFoundByName) {
  const std::string bos = "<\xEF\xBD\x9C" "bos\xEF\xBD\x9C>";  // <｜bos｜>
  const json model = {{"type", "BPE"}, {"vocab", {{"a", 0}, {bos, 1}}}, {"merges", json::array()}};
  const BpeModel bpe(model, "test.json", parse_bpe_options(model, true));
  EXPECT_EQ(bpe.token_to_id(bos), std::optional<int32_t>(1));
  EXPECT_EQ(bpe.token_to_id("a"), std::optional<int32_t>(0));
  EXPECT_EQ(bpe.token_to_id("b"), std::nullopt);
}

TEST(Bpe, ByteFallbackSpellsUnknownCharsAsBytes) {
  const json model = {{"type", "BPE"}, {"byte_fallback", true}, {"unk_token", "<unk>"},
                      {"vocab", {{"<unk>", 0}, {"a", 1}, {"<0xC3>", 2}, {"<0xA9>", 3}}}, {"merges", json::array()}};
  EXPECT_EQ(encode_piece(model, "a\xC3\xA9"), (Ids{1, 2, 3}));
}

TEST(Bpe, UnknownCharsFuseOnlyWithFuseUnk) {
  json model = {{"type", "BPE"}, {"unk_token", "<unk>"}, {"fuse_unk", true},
                {"vocab", {{"<unk>", 0}, {"a", 1}}}, {"merges", json::array()}};
  EXPECT_EQ(encode_piece(model, "xyza"), (Ids{0, 1}));
  model["fuse_unk"] = false;
  EXPECT_EQ(encode_piece(model, "xyza"), (Ids{0, 0, 0, 1}));
}

TEST(Bpe, UnknownCharsVanishWithoutUnkToken) {
  const json model = {{"type", "BPE"}, {"vocab", {{"a", 0}}}, {"merges", json::array()}};
  EXPECT_EQ(encode_piece(model, "xa"), (Ids{0}));
}

TEST(Bpe, ContinuingSubwordPrefixAndEndOfWordSuffix) {
  const json prefix = {{"type", "BPE"}, {"continuing_subword_prefix", "##"},
                       {"vocab", {{"a", 0}, {"##b", 1}, {"ab", 2}}}, {"merges", {"a ##b"}}};
  EXPECT_EQ(encode_piece(prefix, "ab"), (Ids{2}));
  const json suffix = {{"type", "BPE"}, {"end_of_word_suffix", "</w>"},
                       {"vocab", {{"a", 0}, {"b</w>", 1}, {"ab</w>", 2}}}, {"merges", {"a b</w>"}}};
  EXPECT_EQ(encode_piece(suffix, "ab"), (Ids{2}));
}

TEST(Bpe, IgnoreMergesTakesWholeWordsFromVocabulary) {
  json model = {{"type", "BPE"}, {"vocab", {{"a", 0}, {"b", 1}, {"ab", 2}}}, {"merges", json::array()}};
  EXPECT_EQ(encode_piece(model, "ab"), (Ids{0, 1}));
  model["ignore_merges"] = true;
  EXPECT_EQ(encode_piece(model, "ab"), (Ids{2}));
}

TEST(Bpe, MergeWithTokenMissingFromVocabIsAnError) {
  EXPECT_THROW(encode_piece(abc_model({"c a"}), "ca"), TokenizerError);
}

std::vector<AddedTokenSplit> split(const std::vector<AddedToken>& tokens, const std::string& text,
                                   const Normalizer* normalizer = nullptr, bool normalized_pass = false) {
  const AddedVocabulary vocabulary(tokens, normalizer);
  std::vector<AddedTokenSplit> out;
  vocabulary.split(text, normalized_pass, &out);
  return out;
}

bool same(const std::vector<AddedTokenSplit>& a, const std::vector<AddedTokenSplit>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].begin != b[i].begin || a[i].end != b[i].end || a[i].token_id != b[i].token_id) return false;
  }
  return true;
}

AddedToken token(int32_t id, const std::string& content) {
  AddedToken t;
  t.id = id;
  t.content = content;
  t.special = true;
  return t;
}

TEST(AddedTokens, LstripAndRstripSwallowAdjacentWhitespace) {
  AddedToken mask = token(7, "<mask>");
  mask.lstrip = true;
  // "I saw a <mask> here": the token span starts at the space before it (offset 7).
  EXPECT_TRUE(same(split({mask}, "I saw a <mask> here"), {{0, 7, -1}, {7, 14, 7}, {14, 19, -1}}));
  mask.lstrip = false;
  mask.rstrip = true;
  EXPECT_TRUE(same(split({mask}, "I saw a <mask> here"), {{0, 8, -1}, {8, 15, 7}, {15, 19, -1}}));
}

TEST(AddedTokens, SingleWordRequiresWordBoundaries) {
  AddedToken ab = token(3, "ab");
  ab.single_word = true;
  EXPECT_TRUE(same(split({ab}, "ab cab ab"), {{0, 2, 3}, {2, 7, -1}, {7, 9, 3}}));
}

TEST(AddedTokens, LeftmostLongestMatchWins) {
  EXPECT_TRUE(same(split({token(1, "<a>"), token(2, "<a><b>")}, "x<a><b><a>"),
                   {{0, 1, -1}, {1, 7, 2}, {7, 10, 1}}));
}

TEST(AddedTokens, NormalizedTokensMatchNormalizedText) {
  const auto lower = make_normalizer({{"type", "Lowercase"}}, "t.json");
  AddedToken hello = token(9, "HeLLo");
  hello.normalized = true;
  EXPECT_TRUE(same(split({hello}, "say hello", lower.get(), true), {{0, 4, -1}, {4, 9, 9}}));
  EXPECT_TRUE(same(split({hello}, "say hello", lower.get(), false), {{0, 9, -1}}));  // not in the raw pass
}

// A directory holding a tiny tokenizer.json (and optionally tokenizer_config.json).
std::string write_tokenizer(const std::string& name, const json& tokenizer, const json& config = nullptr) {
  const std::string dir = testing::scratch_dir("tokenizer_" + name);
  std::ofstream(dir + "/tokenizer.json") << tokenizer.dump();
  if (!config.is_null()) std::ofstream(dir + "/tokenizer_config.json") << config.dump();
  return dir;
}

json tiny_tokenizer(const json& post_processor) {
  return {{"version", "1.0"},
          {"added_tokens", {{{"id", 3}, {"content", "<s>"}, {"special", true}, {"lstrip", false}, {"rstrip", false},
                             {"single_word", false}, {"normalized", false}},
                            {{"id", 4}, {"content", "</s>"}, {"special", true}, {"lstrip", false}, {"rstrip", false},
                             {"single_word", false}, {"normalized", false}}}},
          {"normalizer", nullptr},
          {"pre_tokenizer", {{"type", "WhitespaceSplit"}}},
          {"post_processor", post_processor},
          {"decoder", nullptr},
          {"model", {{"type", "BPE"}, {"vocab", {{"a", 0}, {"b", 1}, {"ab", 2}, {"<s>", 3}, {"</s>", 4}}},
                     {"merges", {"a b"}}}}};
}

TEST(PostProcessors, TemplateRobertaAndSequence) {
  const json bos = {{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}};
  const json eos = {{"SpecialToken", {{"id", "</s>"}, {"type_id", 0}}}};
  const json seq = {{"Sequence", {{"id", "A"}, {"type_id", 0}}}};
  const json special = {{"<s>", {{"id", "<s>"}, {"ids", {3}}, {"tokens", {"<s>"}}}},
                        {"</s>", {{"id", "</s>"}, {"ids", {4}}, {"tokens", {"</s>"}}}}};
  const json templ = {{"type", "TemplateProcessing"}, {"single", {bos, seq, eos}}, {"pair", json::array()},
                      {"special_tokens", special}};
  const auto t = load_tokenizer(write_tokenizer("template", tiny_tokenizer(templ)));
  EXPECT_EQ(t->encode("ab a", true), (Ids{3, 2, 0, 4}));
  EXPECT_EQ(t->encode("ab a", false), (Ids{2, 0}));
  const json roberta = {{"type", "RobertaProcessing"}, {"cls", {"<s>", 3}}, {"sep", {"</s>", 4}}};
  const json sequence = {{"type", "Sequence"}, {"processors", {{{"type", "ByteLevel"}}, roberta}}};
  EXPECT_EQ(load_tokenizer(write_tokenizer("roberta", tiny_tokenizer(sequence)))->encode("b", true), (Ids{3, 1, 4}));
}

TEST(TokenizerConfig, AddBosAndEosTokenRewriteThePostProcessor) {
  const json config = {{"add_bos_token", true}, {"add_eos_token", true}, {"bos_token", "<s>"}, {"eos_token", "</s>"}};
  const auto t = load_tokenizer(write_tokenizer("bos_eos", tiny_tokenizer(nullptr), config));
  EXPECT_EQ(t->encode("ab", true), (Ids{3, 2, 4}));
  // The tokenizers-library flavor ignores tokenizer_config.json.
  const auto raw = load_tokenizer(write_tokenizer("bos_eos_raw", tiny_tokenizer(nullptr), config),
                                  TokenizerFlavor::kTokenizersLibrary);
  EXPECT_EQ(raw->encode("ab", true), (Ids{2}));
}

TEST(TokenizerConfig, MissingNamedSpecialTokenIsAddedAtTheNextId) {
  const json config = {{"pad_token", "<pad>"}};
  const auto t = load_tokenizer(write_tokenizer("pad", tiny_tokenizer(nullptr), config));
  EXPECT_EQ(t->size(), 6);
  EXPECT_EQ(t->encode("a<pad>", false), (Ids{0, 5}));
}

TEST(TokenizerConfig, V5NamedExtraSpecialTokensAreAdded) {
  const json config = {{"extra_special_tokens", {{"image_token", "<image>"}}}};
  const auto t = load_tokenizer(write_tokenizer("v5_extras", tiny_tokenizer(nullptr), config));
  EXPECT_EQ(t->size(), 6);
  EXPECT_EQ(t->encode("<image>b", false), (Ids{5, 1}));
}

TEST(Tokenizer, DecodeKeepsSpecialTokensAndTailBytesSkipsTheFirstId) {
  const auto t = load_tokenizer(write_tokenizer("decode", tiny_tokenizer(nullptr)));
  EXPECT_EQ(t->decode({3, 2, 0}), "<s> ab a");  // no decoder: tokens joined by spaces
  EXPECT_EQ(tail_text_bytes(*t, {3, 2, 0}), 4);
  EXPECT_EQ(tail_text_bytes(*t, {3}), 0);
}

// A tokenizer.json with Falcon's pre_tokenizer (tiiuae/falcon-7b) loads and encodes end to end. By
// hand: "x²y 12345!" is cut into "x" "Â" "²" "y" "Ġ" "12345"->"123" "45" "!" (the byte-level spelling,
// see PreTokenizers.StepsAfterByteLevelSeeTheByteAlphabet), so the merges "Ġ 1" and "Â ²", ranked
// first, must not apply: they would join chars that Digits put in different pieces.
TEST(Tokenizer, FalconPreTokenizerSequenceEncodesEndToEnd) {
  const json falcon = json::parse(R"({"type": "Sequence", "pretokenizers": [
      {"type": "Punctuation", "behavior": "Contiguous"},
      {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
      {"type": "Digits", "individual_digits": false},
      {"type": "Split", "pattern": {"Regex": "[0-9][0-9][0-9]"}, "behavior": "Isolated", "invert": false}]})");
  const std::string G = "\xC4\xA0", A = "\xC3\x82", sup2 = "\xC2\xB2";  // U+0120 'Ġ', U+00C2 'Â', U+00B2 '²'
  json vocab = {{"x", 0}, {A, 1}, {sup2, 2}, {"y", 3}, {G, 4}, {"1", 5}, {"2", 6}, {"3", 7}, {"4", 8}, {"5", 9},
                {"!", 10}, {"12", 11}, {"123", 12}, {"45", 13}, {G + "1", 14}, {A + sup2, 15}};
  const json tokenizer = {{"version", "1.0"}, {"added_tokens", json::array()}, {"normalizer", nullptr},
                          {"pre_tokenizer", falcon}, {"post_processor", nullptr}, {"decoder", {{"type", "ByteLevel"}}},
                          {"model", {{"type", "BPE"}, {"vocab", vocab},
                                     {"merges", {G + " 1", A + " " + sup2, "1 2", "12 3", "4 5"}}}}};
  const auto t = load_tokenizer(write_tokenizer("falcon", tokenizer), TokenizerFlavor::kTokenizersLibrary);
  EXPECT_EQ(t->encode("x\xC2\xB2y 12345!", false), (Ids{0, 1, 2, 3, 4, 12, 13, 10}));
  EXPECT_EQ(t->decode({0, 1, 2, 3, 4, 12, 13, 10}), "x\xC2\xB2y 12345!");
}

// A SentencePiece ModelProto in wire format: pieces (text, score, type), trainer_spec (model_type,
// byte_fallback), normalizer_spec (empty).
std::string spm_model_bytes(const std::vector<std::pair<std::string, int>>& pieces, int model_type) {
  auto varint = [](std::string& out, uint64_t v) {
    for (; v >= 0x80; v >>= 7) out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    out.push_back(static_cast<char>(v));
  };
  auto bytes_field = [&](std::string& out, int number, const std::string& value) {
    varint(out, (number << 3) | 2);
    varint(out, value.size());
    out += value;
  };
  std::string model;
  for (const auto& [text, type] : pieces) {
    std::string piece;
    bytes_field(piece, 1, text);
    piece += std::string("\x15\0\0\0\0", 5);  // field 2 (score, fixed32): 0.0
    varint(piece, 3 << 3);
    varint(piece, type);
    bytes_field(model, 1, piece);
  }
  std::string trainer;
  varint(trainer, 3 << 3);
  varint(trainer, model_type);
  bytes_field(model, 2, trainer);
  return model;
}

// transformers 5 converts a bare BPE tokenizer.model: vocabulary = pieces by id, merges = each
// piece's splits in id order (shorter left part first), Replace(' ', '▁'), no BOS. By hand for
// "  a" -> "▁▁a": merges are (▁,▁) from "▁▁" (id 5), then (▁,a) from "▁a" (id 6), so ▁▁ forms first
// and "▁▁a" is [5, 4], where SentencePiece itself gives [▁, ▁a] = [3, 6].
TEST(Tokenizer, BareSentencePieceBpeModelIsConvertedAsTransformersDoes) {
  const std::string u = "\xE2\x96\x81";  // U+2581
  const std::string dir = testing::scratch_dir("tokenizer_spm_bpe");
  std::ofstream(dir + "/tokenizer.model", std::ios::binary)
      << spm_model_bytes({{"<unk>", 2}, {"<s>", 3}, {"</s>", 3}, {u, 1}, {"a", 1}, {u + u, 1}, {u + "a", 1}}, 2);
  const auto t = load_tokenizer(dir);
  EXPECT_EQ(t->encode("  a", true), (Ids{5, 4}));
  EXPECT_EQ(t->encode(" a<s>", false), (Ids{6, 1}));  // control pieces are special added tokens
  EXPECT_EQ(t->decode({5, 4}), "  a");
  EXPECT_EQ(t->size(), 7);
  std::ofstream(dir + "/tokenizer.model", std::ios::binary) << "not a model";
  EXPECT_THROW(load_tokenizer(dir), TokenizerError);
}

TEST(Tokenizer, UnsupportedModelAndInvalidUtf8AreErrors) {
  json unigram = tiny_tokenizer(nullptr);
  unigram["model"] = {{"type", "Unigram"}, {"vocab", json::array()}};
  try {
    load_tokenizer(write_tokenizer("unigram", unigram));
    FAIL() << "expected TokenizerError";
  } catch (const TokenizerError& e) {
    EXPECT_NE(std::string(e.what()).find("tokenizer.json"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("Unigram"), std::string::npos);
  }
  const auto t = load_tokenizer(write_tokenizer("utf8", tiny_tokenizer(nullptr)));
  EXPECT_THROW(t->encode("a\xFF", false), TokenizerError);
}

// Kimi-K2 ships only tiktoken.model and remote tokenizer code: the error says how to get a tokenizer.json.
TEST(LoadTokenizer, OnlyTiktokenModelSaysHowToConvertIt) {
  const std::string dir = testing::scratch_dir("tokenizer_tiktoken_only");
  std::ofstream(dir + "/tiktoken.model") << "IQ== 0\n";
  try {
    load_tokenizer(dir);
    ADD_FAILURE() << "a directory with only tiktoken.model loaded";
  } catch (const TokenizerError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("tiktoken.model"), std::string::npos) << what;
    EXPECT_NE(what.find("save_pretrained"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace icsweep
