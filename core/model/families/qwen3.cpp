// Qwen3ForCausalLM: LlamaForCausalLM's forward and weight table with the per-head q_norm / k_norm
// (config: qwen3_config.cpp).
#include "core/model/families/qwen3.h"

#include "core/model/llama.h"

namespace icsweep {

std::unique_ptr<CausalLM> load_qwen3(const LoadRequest& request) {
  return load_llama_decoder(request, qwen3_config(request.config), "qwen3", /*qk_norm=*/true, /*ignore=*/nullptr);
}

}  // namespace icsweep
