#include "core/tokenizer/post_processors.h"

#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/tokenizer/tokenizer_json_util.h"

namespace icsweep {
namespace {

// Ids before and after the sequence: covers TemplateProcessing's single template ("$A" with
// special tokens around it), RobertaProcessing (<s> $A </s>) and BertProcessing ([CLS] $A [SEP]).
class AffixProcessor : public PostProcessor {
 public:
  AffixProcessor(std::vector<int32_t> prefix, std::vector<int32_t> suffix)
      : prefix_(std::move(prefix)), suffix_(std::move(suffix)) {}
  void process(std::vector<int32_t>& ids) const override {
    ids.insert(ids.begin(), prefix_.begin(), prefix_.end());
    ids.insert(ids.end(), suffix_.begin(), suffix_.end());
  }
  size_t added_count() const override { return prefix_.size() + suffix_.size(); }

 private:
  std::vector<int32_t> prefix_, suffix_;
};

class SequenceProcessor : public PostProcessor {
 public:
  explicit SequenceProcessor(std::vector<std::unique_ptr<PostProcessor>> steps) : steps_(std::move(steps)) {}
  void process(std::vector<int32_t>& ids) const override {
    for (const auto& step : steps_) step->process(ids);
  }
  size_t added_count() const override {
    size_t n = 0;
    for (const auto& step : steps_) n += step->added_count();
    return n;
  }

 private:
  std::vector<std::unique_ptr<PostProcessor>> steps_;
};

std::unique_ptr<PostProcessor> make_template(const nlohmann::json& spec, const std::string& file) {
  const std::string where = "post_processor TemplateProcessing";
  const auto& single = spec.at("single");
  if (!single.is_array()) {
    throw TokenizerError(file + ": " + where + ": 'single' must be a list of pieces");
  }
  std::vector<int32_t> prefix, suffix;
  bool seen_sequence = false;
  for (const auto& piece : single) {
    if (piece.contains("Sequence")) {
      if (piece.at("Sequence").value("id", std::string("A")) != "A" || seen_sequence) {
        throw TokenizerError(file + ": " + where + ": single template must contain $A exactly once");
      }
      seen_sequence = true;
    } else if (piece.contains("SpecialToken")) {
      const std::string name = json_string(piece.at("SpecialToken"), "id", file, where);
      const auto& table = spec.at("special_tokens");
      if (!table.contains(name)) {
        throw TokenizerError(file + ": " + where + ": special token '" + name + "' missing from special_tokens");
      }
      for (const auto& id : table.at(name).at("ids")) (seen_sequence ? suffix : prefix).push_back(id.get<int32_t>());
    } else {
      throw TokenizerError(file + ": " + where + ": unknown template piece " + piece.dump());
    }
  }
  return std::make_unique<AffixProcessor>(std::move(prefix), std::move(suffix));
}

int32_t pair_id(const nlohmann::json& spec, const char* key, const std::string& file, const std::string& where) {
  const auto& pair = spec.at(key);  // ["<s>", 0]
  if (!pair.is_array() || pair.size() != 2) throw TokenizerError(file + ": " + where + ": '" + key + "' must be [token, id]");
  return pair[1].get<int32_t>();
}

}  // namespace

std::unique_ptr<PostProcessor> make_post_processor(const nlohmann::json& spec, const std::string& file) {
  if (spec.is_null()) return nullptr;
  const std::string type = json_string(spec, "type", file, "post_processor");
  const std::string where = "post_processor " + type;
  if (type == "TemplateProcessing") return make_template(spec, file);
  if (type == "ByteLevel") return std::make_unique<AffixProcessor>(std::vector<int32_t>{}, std::vector<int32_t>{});
  if (type == "RobertaProcessing" || type == "BertProcessing") {
    return std::make_unique<AffixProcessor>(std::vector<int32_t>{pair_id(spec, "cls", file, where)},
                                            std::vector<int32_t>{pair_id(spec, "sep", file, where)});
  }
  if (type == "Sequence") {
    std::vector<std::unique_ptr<PostProcessor>> steps;
    for (const auto& step : spec.at("processors")) {
      if (auto p = make_post_processor(step, file)) steps.push_back(std::move(p));
    }
    return std::make_unique<SequenceProcessor>(std::move(steps));
  }
  throw TokenizerError(file + ": post_processor '" + type +
                       "' is not supported (supported: TemplateProcessing, ByteLevel, RobertaProcessing, "
                       "BertProcessing, Sequence)");
}

std::unique_ptr<PostProcessor> make_bos_eos_processor(int32_t bos_id, bool add_bos, int32_t eos_id, bool add_eos) {
  std::vector<int32_t> prefix, suffix;
  if (add_bos) prefix.push_back(bos_id);
  if (add_eos) suffix.push_back(eos_id);
  return std::make_unique<AffixProcessor>(std::move(prefix), std::move(suffix));
}

}  // namespace icsweep
