// tokenizer.json "post_processor" for single sequences: which special-token ids surround the
// encoded text when add_special_tokens is true (TemplateProcessing, RobertaProcessing,
// BertProcessing, ByteLevel (ids unchanged), Sequence).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace icsweep {

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  // Rewrites `ids` (the encoded text) into the final sequence.
  virtual void process(std::vector<int32_t>& ids) const = 0;
  // Number of ids process() adds (for callers that budget lengths).
  virtual size_t added_count() const = 0;
};

// null JSON gives nullptr. Unknown types -> TokenizerError naming `file` and the type.
std::unique_ptr<PostProcessor> make_post_processor(const nlohmann::json& spec, const std::string& file);

// The template transformers builds from add_bos_token/add_eos_token (update_post_processor).
std::unique_ptr<PostProcessor> make_bos_eos_processor(int32_t bos_id, bool add_bos, int32_t eos_id, bool add_eos);

}  // namespace icsweep
