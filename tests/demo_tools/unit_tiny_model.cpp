#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/common/errors.h"
#include "core/model/safetensors.h"
#include "demo_tools/tiny_model.h"
#include "test_paths.h"

namespace icsweep {
namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(TinyModel, SameSeedGivesIdenticalFiles) {
  TinyModelOptions o;
  o.out_dir = testing::scratch_dir("tiny_a");
  o.seed = 11;
  make_tiny_model(o);
  TinyModelOptions p = o;
  p.out_dir = testing::scratch_dir("tiny_b");
  make_tiny_model(p);
  for (const char* f : {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"})
    EXPECT_EQ(slurp(std::filesystem::path(o.out_dir) / f), slurp(std::filesystem::path(p.out_dir) / f)) << f;
  p.seed = 12;
  make_tiny_model(p);
  EXPECT_NE(slurp(std::filesystem::path(o.out_dir) / "model.safetensors"),
            slurp(std::filesystem::path(p.out_dir) / "model.safetensors"));
}

TEST(TinyModel, VocabCoversTokenizerAndIsPaddedTo64) {
  TinyModelOptions o;
  o.family = "qwen2";
  o.out_dir = testing::scratch_dir("tiny_qwen2");
  make_tiny_model(o);
  auto config = nlohmann::json::parse(slurp(std::filesystem::path(o.out_dir) / "config.json"));
  auto tok = nlohmann::json::parse(slurp(std::filesystem::path(o.out_dir) / "tokenizer.json"));
  const int64_t tokenizer_size = tok["model"]["vocab"].size();
  const int64_t vocab = config["vocab_size"];
  EXPECT_GE(vocab, tokenizer_size);
  EXPECT_EQ(vocab % 64, 0);
  EXPECT_EQ(config["architectures"][0], "Qwen2ForCausalLM");
  EXPECT_EQ(tok["added_tokens"][0]["id"], tokenizer_size - 1);
  SafetensorsCheckpoint ckpt(o.out_dir);
  ASSERT_NE(ckpt.find("model.layers.0.self_attn.q_proj.bias"), nullptr);
  EXPECT_EQ(ckpt.find("model.embed_tokens.weight")->shape, (std::vector<int64_t>{vocab, 64}));
}

TEST(TinyModel, RejectsBadSizes) {
  TinyModelOptions o;
  o.out_dir = testing::scratch_dir("tiny_bad");
  o.heads = 3;  // 64 is not a multiple of 3
  EXPECT_THROW(make_tiny_model(o), UsageError);
  o.heads = 4;
  o.vocab = 10;
  EXPECT_THROW(make_tiny_model(o), UsageError);
}

TEST(ByteLevel, Gpt2ByteAlphabet) {
  EXPECT_EQ(byte_level_char('A'), "A");
  EXPECT_EQ(byte_level_char(' '), "\xC4\xA0");   // U+0120 'Ġ'
  EXPECT_EQ(byte_level_char(0), "\xC4\x80");     // U+0100
  EXPECT_EQ(byte_level_char('\n'), "\xC4\x8A");  // U+010A 'Ċ'
  EXPECT_EQ(byte_level_char(0xE9), "\xC3\xA9");  // printable Latin-1 stands for itself
}

TEST(ByteLevel, TrainerMergesMostFrequentPairFirst) {
  // Chunks "ab", " ab", " ab": (a,b) occurs 3 times, (' ',a) twice.
  auto bpe = train_byte_level_bpe("ab ab ab", 10);
  ASSERT_GE(bpe.merges.size(), 2u);
  EXPECT_EQ(bpe.merges[0], std::make_pair(std::string("a"), std::string("b")));
  EXPECT_EQ(bpe.merges[1], std::make_pair(std::string("\xC4\xA0"), std::string("ab")));
  EXPECT_EQ(bpe.vocab.size(), 258u);
  EXPECT_EQ(bpe.vocab[257], "\xC4\xA0" "ab");
}

TEST(TinyRng, SplitMix64KnownValues) {
  // splitmix64 with seed 0: first output 0xe220a8397b1dcdaf (Vigna's reference generator).
  TinyRng rng(0);
  EXPECT_EQ(rng.next_u64(), 0xe220a8397b1dcdafull);
}

}  // namespace
}  // namespace icsweep
