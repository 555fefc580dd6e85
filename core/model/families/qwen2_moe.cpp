// Qwen2MoeForCausalLM's weight table names (config: qwen2_moe_config.cpp; forward: core/model/moe_decoder.h).
#include "core/model/families/qwen2_moe.h"

#include "core/model/moe_decoder.h"

namespace icsweep {

std::unique_ptr<CausalLM> load_qwen2_moe(const LoadRequest& request) {
  return load_sparse_moe_decoder(request, Qwen2MoeConfig::from_hf(request.config), "qwen2_moe",
                                 {"mlp.", kProjNames}, is_saved_rotary_buffer);
}

}  // namespace icsweep
