#include "core/tokenizer/json_tokenizer.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "core/common/errors.h"
#include "core/tokenizer/added_tokens.h"
#include "core/tokenizer/bpe_model.h"
#include "core/tokenizer/decoders.h"
#include "core/tokenizer/normalizers.h"
#include "core/tokenizer/post_processors.h"
#include "core/tokenizer/pre_tokenizers.h"
#include "core/tokenizer/tokenizer_config.h"
#include "core/tokenizer/transformers_classes.h"
#include "core/tokenizer/unicode_text.h"

namespace icsweep {
namespace {

class JsonTokenizer : public Tokenizer {
 public:
  // `json` is tokenizer.json's content; `file` names it in errors; `dir` holds tokenizer_config.json.
  JsonTokenizer(const nlohmann::json& json, const std::string& dir, const std::string& file, std::string fingerprint,
                TokenizerFlavor flavor);

  std::vector<int32_t> encode(std::string_view text, bool add_special_tokens) const override;
  std::string decode(const std::vector<int32_t>& ids) const override;
  int64_t size() const override { return size_; }
  std::string fingerprint() const override { return fingerprint_; }
  const std::string& source() const override { return source_; }

 private:
  void encode_text(std::string_view segment, bool at_origin, std::vector<int32_t>* ids) const;
  void build_added_tokens(const nlohmann::json& json, const TokenizerConfig& config, bool rebuilt);

  std::string source_;
  std::string fingerprint_;
  std::unique_ptr<Normalizer> normalizer_;
  PreTokenizerSpec pre_tokenizer_;
  std::unique_ptr<BpeModel> model_;
  AddedVocabulary added_;
  std::unique_ptr<PostProcessor> post_processor_;
  std::unique_ptr<Decoder> decoder_;
  bool clean_up_spaces_ = false;
  int64_t size_ = 0;
};

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw TokenizerError(path + ": cannot open");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw TokenizerError(path + ": invalid JSON: " + e.what());
  }
}

AddedToken parse_added_token(const nlohmann::json& spec) {
  AddedToken token;
  token.id = spec.at("id").get<int32_t>();
  token.content = spec.at("content").get<std::string>();
  token.special = spec.value("special", false);
  token.lstrip = spec.value("lstrip", false);
  token.rstrip = spec.value("rstrip", false);
  token.single_word = spec.value("single_word", false);
  token.normalized = spec.value("normalized", !token.special);
  return token;
}

JsonTokenizer::JsonTokenizer(const nlohmann::json& json, const std::string& dir, const std::string& file,
                             std::string fingerprint, TokenizerFlavor flavor)
    : source_(dir), fingerprint_(std::move(fingerprint)) {
  TokenizerConfig config;
  if (flavor == TokenizerFlavor::kTransformers) config = read_tokenizer_config(dir);
  try {
    const nlohmann::json& model = json.at("model");
    const std::string model_type = model.value("type", std::string("BPE"));
    if (model_type != "BPE") {
      throw TokenizerError(file + ": model '" + model_type + "' is not supported (supported: BPE)");
    }
    // Classes whose transformers __init__ rebuilds the pipeline replace parts of tokenizer.json.
    const ClassOverride override_spec = transformers_class_override(config, json);
    if (override_spec.rebuilt) {
      // The class's keyword defaults apply where the config names no token.
      if (!config.bos_token) config.bos_token = override_spec.default_bos;
      if (!config.eos_token) config.eos_token = override_spec.default_eos;
      if (!config.unk_token) config.unk_token = override_spec.default_unk;
    }
    normalizer_ = make_normalizer(override_spec.rebuilt ? override_spec.normalizer : json.value("normalizer", nlohmann::json()), file);
    pre_tokenizer_ =
        make_pre_tokenizer(override_spec.rebuilt ? override_spec.pre_tokenizer : json.value("pre_tokenizer", nlohmann::json()), file);
    decoder_ = make_decoder(override_spec.rebuilt ? override_spec.decoder : json.value("decoder", nlohmann::json()), file);
    BpeOptions options = parse_bpe_options(model, pre_tokenizer_.byte_level);
    if (override_spec.rebuilt) options = override_spec.bpe_options(pre_tokenizer_.byte_level);
    model_ = std::make_unique<BpeModel>(model, file, options);
    post_processor_ = make_post_processor(json.value("post_processor", nlohmann::json()), file);
    build_added_tokens(json, config, override_spec.rebuilt);

    // transformers rewrites the post-processor from add_bos_token/add_eos_token when the config
    // states either, or when tokenizer.json has none (update_post_processor).
    if (config.add_bos_token.has_value() || config.add_eos_token.has_value() || post_processor_ == nullptr) {
      auto id_of = [&](const std::optional<std::string>& token, const char* name) -> int32_t {
        if (!token) return -1;
        if (const AddedToken* added = added_.by_content(*token)) return added->id;
        if (auto id = model_->token_to_id(*token)) return *id;
        throw TokenizerError(config.file + ": " + name + " '" + *token + "' is not in the vocabulary");
      };
      const std::optional<std::string>& bos = config.bos_token;
      const std::optional<std::string>& eos = config.eos_token;
      const bool add_bos = config.add_bos_token.value_or(false) && bos.has_value();
      const bool add_eos = config.add_eos_token.value_or(false) && eos.has_value();
      post_processor_ = make_bos_eos_processor(add_bos ? id_of(bos, "bos_token") : -1, add_bos,
                                               add_eos ? id_of(eos, "eos_token") : -1, add_eos);
    }
    // transformers 5 skips the clean-up for BPE models unless forced (TokenizersBackend._decode).
    clean_up_spaces_ = config.clean_up_tokenization_spaces && config.force_clean_up_for_bpe;
  } catch (const nlohmann::json::exception& e) {
    throw TokenizerError(file + ": malformed component: " + e.what());
  }
}

void JsonTokenizer::build_added_tokens(const nlohmann::json& json, const TokenizerConfig& config, bool rebuilt) {
  // Start from tokenizer.json's added tokens; tokenizer_config.json's added_tokens_decoder states
  // the properties transformers registers them with (and is the only source when it rebuilt).
  std::map<int32_t, AddedToken> by_id;
  if (!rebuilt || config.added_tokens_decoder.empty()) {
    for (const auto& spec : json.value("added_tokens", nlohmann::json::array())) {
      AddedToken token = parse_added_token(spec);
      by_id[token.id] = token;
    }
  }
  for (const auto& [id, token] : config.added_tokens_decoder) by_id[id] = token;
  std::vector<AddedToken> tokens;
  std::set<std::string> contents;
  for (auto& [id, token] : by_id) {
    contents.insert(token.content);
    tokens.push_back(token);
  }
  // Named special tokens missing from the added vocabulary are added as special tokens, with
  // their vocabulary id when they have one, else the next free id (TokenizersBackend.__init__).
  std::set<std::string> base_and_added;
  int64_t next_id = model_->vocab_size();
  for (const AddedToken& token : tokens) next_id = std::max<int64_t>(next_id, token.id + 1);
  std::vector<std::string> named;
  for (const auto* value : {&config.bos_token, &config.eos_token, &config.unk_token, &config.pad_token}) {
    if (value->has_value()) named.push_back(**value);
  }
  named.insert(named.end(), config.extra_special_tokens.begin(), config.extra_special_tokens.end());
  for (const std::string& content : named) {
    if (contents.count(content)) continue;
    AddedToken token;
    token.content = content;
    token.special = true;
    const auto id = model_->token_to_id(content);
    token.id = id ? *id : static_cast<int32_t>(next_id++);
    contents.insert(content);
    tokens.push_back(token);
  }
  // len(tokenizer): distinct token strings of the vocabulary and the added tokens.
  int64_t extra = 0;
  for (const AddedToken& token : tokens) {
    if (!model_->token_to_id(token.content)) ++extra;
  }
  size_ = model_->vocab_size() + extra;
  added_ = AddedVocabulary(std::move(tokens), normalizer_.get());
}

void JsonTokenizer::encode_text(std::string_view segment, bool at_origin, std::vector<int32_t>* ids) const {
  thread_local std::vector<PreToken> pieces;
  thread_local PreTokenArena arena;
  pieces.clear();
  pieces.push_back({segment, at_origin});
  if (pre_tokenizer_.pre_tokenizer) pre_tokenizer_.pre_tokenizer->pre_tokenize(pieces, arena);
  for (const PreToken& piece : pieces) model_->encode_piece(piece.text, ids);
  arena.clear();
}

std::vector<int32_t> JsonTokenizer::encode(std::string_view text, bool add_special_tokens) const {
  const size_t bad = unicode::find_invalid_utf8(text);
  if (bad != std::string_view::npos) {
    throw TokenizerError("invalid UTF-8 at byte " + std::to_string(bad) + " of the text to encode");
  }
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  std::vector<AddedTokenSplit> raw_splits, normalized_splits;
  added_.split(text, false, &raw_splits);
  if (raw_splits.empty() && !text.empty()) raw_splits.push_back({0, text.size(), -1});
  std::string normalized;
  for (const AddedTokenSplit& split : raw_splits) {
    if (split.token_id >= 0) {
      ids.push_back(split.token_id);
      continue;
    }
    std::string_view segment = text.substr(split.begin, split.end - split.begin);
    const bool at_origin = split.begin == 0;
    if (normalizer_) {
      normalized.assign(segment);
      normalizer_->normalize(normalized);
      segment = normalized;
    }
    if (!added_.has_normalized_tokens()) {
      if (!segment.empty()) encode_text(segment, at_origin, &ids);
      continue;
    }
    added_.split(segment, true, &normalized_splits);
    for (const AddedTokenSplit& inner : normalized_splits) {
      if (inner.token_id >= 0) {
        ids.push_back(inner.token_id);
      } else {
        encode_text(segment.substr(inner.begin, inner.end - inner.begin), at_origin && inner.begin == 0, &ids);
      }
    }
  }
  if (add_special_tokens && post_processor_) post_processor_->process(ids);
  return ids;
}

std::string JsonTokenizer::decode(const std::vector<int32_t>& ids) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int32_t id : ids) {
    if (const AddedToken* added = added_.by_id(id)) {
      tokens.push_back(added->content);
    } else if (const std::string* token = model_->id_to_token(id)) {
      tokens.push_back(*token);
    }  // unknown ids are skipped, as tokenizers does
  }
  std::string text = run_decoder(decoder_.get(), std::move(tokens));
  if (clean_up_spaces_) text = clean_up_tokenization(text);
  return text;
}

}  // namespace

std::shared_ptr<const Tokenizer> load_json_tokenizer(const std::string& dir, const std::string& fingerprint,
                                                     TokenizerFlavor flavor) {
  const std::string file = (std::filesystem::path(dir) / "tokenizer.json").string();
  return std::make_shared<JsonTokenizer>(read_json(file), dir, file, fingerprint, flavor);
}

std::shared_ptr<const Tokenizer> load_json_tokenizer(const nlohmann::json& tokenizer_json, const std::string& dir,
                                                     const std::string& file, const std::string& fingerprint,
                                                     TokenizerFlavor flavor) {
  return std::make_shared<JsonTokenizer>(tokenizer_json, dir, file, fingerprint, flavor);
}

}  // namespace icsweep
