// Qwen3MoeForCausalLM's weight table names (config: qwen3_moe_config.cpp; forward: core/model/moe_decoder.h).
#include "core/model/families/qwen3_moe.h"

#include "core/model/moe_decoder.h"

namespace icsweep {

std::unique_ptr<CausalLM> load_qwen3_moe(const LoadRequest& request) {
  return load_sparse_moe_decoder(request, Qwen3MoeConfig::from_hf(request.config), "qwen3_moe",
                                 {"mlp.", kProjNames}, /*ignore=*/nullptr);
}

}  // namespace icsweep
