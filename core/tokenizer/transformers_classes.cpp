#include "core/tokenizer/transformers_classes.h"

namespace icsweep {

ClassOverride transformers_class_override(const TokenizerConfig& config, const nlohmann::json& tokenizer_json) {
  ClassOverride result;
  if (config.tokenizer_class != "LlamaTokenizer") return result;
  const std::string model_type = tokenizer_json.at("model").value("type", std::string("BPE"));
  if (model_type != "BPE") return result;

  result.rebuilt = true;
  const bool add_prefix_space = config.add_prefix_space.value_or(true);
  const bool legacy = config.legacy.value_or(false);
  const std::string scheme = add_prefix_space ? (legacy ? "always" : "first") : "never";
  const std::string kUnderline = "\xE2\x96\x81";  // U+2581
  result.normalizer = nullptr;
  result.pre_tokenizer = {{"type", "Metaspace"}, {"replacement", kUnderline}, {"prepend_scheme", scheme}, {"split", false}};
  nlohmann::json steps = nlohmann::json::array();
  steps.push_back({{"type", "Replace"}, {"pattern", {{"String", kUnderline}}}, {"content", " "}});
  steps.push_back({{"type", "ByteFallback"}});
  steps.push_back({{"type", "Fuse"}});
  if (add_prefix_space) steps.push_back({{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}});
  result.decoder = {{"type", "Sequence"}, {"decoders", steps}};
  result.options.byte_fallback = true;
  result.options.fuse_unk = true;
  result.default_bos = "<s>";
  result.default_eos = "</s>";
  result.default_unk = "<unk>";
  return result;
}

}  // namespace icsweep
