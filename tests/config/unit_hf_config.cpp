#include <gtest/gtest.h>

#include "config/model_error_of.h"
#include "core/common/errors.h"
#include "core/config/hf_config.h"

namespace icsweep {
namespace {

using testing::model_error_of;

TEST(HfConfig, TypedGettersWithDefaults) {
  auto c = HfConfig::parse(R"({"hidden_size": 64, "rms_norm_eps": 1e-5, "tie": true, "x": null, "f": 4096.0,
                               "architectures": ["LlamaForCausalLM"]})", "m/config.json");
  EXPECT_EQ(c.get_int("hidden_size"), 64);
  EXPECT_EQ(c.get_int("f"), 4096);
  EXPECT_EQ(c.get_int("missing", 7), 7);
  EXPECT_EQ(c.get_int("x", 3), 3) << "null counts as absent";
  EXPECT_DOUBLE_EQ(c.get_double("rms_norm_eps"), 1e-5);
  EXPECT_TRUE(c.get_bool("tie", false));
  EXPECT_EQ(c.architecture(), "LlamaForCausalLM");
}

TEST(HfConfig, ErrorsNameFileAndKey) {
  auto c = HfConfig::parse(R"({"hidden_size": "big"})", "m/config.json");
  std::string msg = model_error_of([&] { c.get_int("num_hidden_layers"); });
  EXPECT_NE(msg.find("m/config.json"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'num_hidden_layers' is missing"), std::string::npos) << msg;
  msg = model_error_of([&] { c.get_int("hidden_size"); });
  EXPECT_NE(msg.find("'hidden_size' should be an integer"), std::string::npos) << msg;
  EXPECT_NE(model_error_of([] { HfConfig::parse("{", "m/config.json"); }).find("not valid JSON"), std::string::npos);
  EXPECT_NE(model_error_of([] { HfConfig::load("/nonexistent/dir"); }).find("config.json"), std::string::npos);
}

TEST(HfConfig, TextConfigNestingFallsBackToTopLevel) {
  auto c = HfConfig::parse(R"({"model_type": "gemma3", "tie_word_embeddings": true,
                               "text_config": {"hidden_size": 32, "model_type": "gemma3_text"}})", "config.json");
  auto t = c.text();
  EXPECT_EQ(t.get_int("hidden_size"), 32);
  EXPECT_EQ(t.get_string("model_type"), "gemma3_text");
  EXPECT_TRUE(t.get_bool("tie_word_embeddings", false));
  EXPECT_NE(t.source().find("text_config"), std::string::npos);
  auto flat = HfConfig::parse(R"({"hidden_size": 8})", "config.json");
  EXPECT_EQ(flat.text().get_int("hidden_size"), 8);
}

}  // namespace
}  // namespace icsweep

namespace icsweep {
namespace {

// transformers' GPT2Config.attribute_map: hidden_size -> n_embd, num_hidden_layers -> n_layer,
// num_attention_heads -> n_head, max_position_embeddings -> n_positions.
TEST(HfConfigSchema, AttributeMapAliasesAsTransformersResolvesThem) {
  auto c = HfConfig::parse(R"({"model_type": "gpt2", "n_embd": 64, "n_layer": 2, "n_head": 4, "n_positions": 128,
                               "n_inner": null})", "gpt2/config.json");
  EXPECT_EQ(c.get_int("hidden_size"), 64);
  EXPECT_EQ(c.get_int("num_hidden_layers"), 2);
  EXPECT_EQ(c.get_int("num_attention_heads"), 4);
  EXPECT_EQ(c.get_int("max_position_embeddings"), 128);
  EXPECT_EQ(c.origin("hidden_size"), "n_embd (GPT2Config attribute_map)");
  EXPECT_EQ(c.origin("n_embd"), "config.json");
  EXPECT_FALSE(c.has("n_inner")) << "null is None: no default applies";
  EXPECT_EQ(c.class_name(), "GPT2Config");
}

// Gemma3TextConfig's __init__ defaults (num_attention_heads=8, num_key_value_heads=4, head_dim=256,
// num_hidden_layers=26, vocab_size=262208): published multimodal configs leave them out.
TEST(HfConfigSchema, ClassDefaultsFillOmittedKeysOfTheTextModel) {
  auto c = HfConfig::parse(R"({"model_type": "gemma3", "architectures": ["Gemma3ForConditionalGeneration"],
                               "text_config": {"hidden_size": 2560, "intermediate_size": 10240, "num_hidden_layers": 34}})",
                           "gemma-3-4b/config.json");
  const HfConfig t = c.text();
  EXPECT_EQ(t.model_type(), "gemma3_text") << "the wrapper names its text model type";
  EXPECT_EQ(t.get_int("hidden_size"), 2560);
  EXPECT_EQ(t.get_int("num_hidden_layers"), 34) << "a key the config writes wins over the default 26";
  EXPECT_EQ(t.get_int("num_attention_heads"), 8);
  EXPECT_EQ(t.get_int("num_key_value_heads"), 4);
  EXPECT_EQ(t.get_int("head_dim"), 256);
  EXPECT_EQ(t.get_int("vocab_size"), 262208);
  EXPECT_EQ(t.origin("head_dim"), "Gemma3TextConfig default");
  EXPECT_FALSE(c.has("no_such_key"));
}

// MistralConfig: sliding_window=4096 by default; a JSON null means None (no window), not the default.
TEST(HfConfigSchema, NullIsNoneAndAbsentIsTheDefault) {
  auto absent = HfConfig::parse(R"({"model_type": "mistral", "hidden_size": 64})", "config.json");
  EXPECT_EQ(absent.get_int("sliding_window", 0), 4096);
  auto none = HfConfig::parse(R"({"model_type": "mistral", "sliding_window": null})", "config.json");
  EXPECT_EQ(none.get_int("sliding_window", 0), 0);
  EXPECT_EQ(none.origin("sliding_window"), "");
  auto untyped = HfConfig::parse(R"({"hidden_size": 64})", "config.json");
  EXPECT_EQ(untyped.get_int("sliding_window", 0), 0) << "no model_type: no class, no defaults";
}

}  // namespace
}  // namespace icsweep
