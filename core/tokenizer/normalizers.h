// tokenizer.json "normalizer": text -> text transforms applied before pre-tokenization.
// Offsets are not tracked: icsweep only needs ids.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace icsweep {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void normalize(std::string& text) const = 0;
};

// Builds a normalizer from its JSON; null JSON gives nullptr. `file` names the tokenizer file
// in errors (unknown type -> TokenizerError "FILE: normalizer X is not supported").
std::unique_ptr<Normalizer> make_normalizer(const nlohmann::json& spec, const std::string& file);

}  // namespace icsweep
