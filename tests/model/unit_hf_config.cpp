#include <gtest/gtest.h>

#include "core/common/errors.h"
#include "core/model/hf_config.h"

namespace icsweep {
namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ModelError& e) {
    return e.what();
  }
  return "";
}

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
  std::string msg = error_of([&] { c.get_int("num_hidden_layers"); });
  EXPECT_NE(msg.find("m/config.json"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'num_hidden_layers' is missing"), std::string::npos) << msg;
  msg = error_of([&] { c.get_int("hidden_size"); });
  EXPECT_NE(msg.find("'hidden_size' should be an integer"), std::string::npos) << msg;
  EXPECT_NE(error_of([] { HfConfig::parse("{", "m/config.json"); }).find("not valid JSON"), std::string::npos);
  EXPECT_NE(error_of([] { HfConfig::load("/nonexistent/dir"); }).find("config.json"), std::string::npos);
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
