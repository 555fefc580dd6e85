// MixtralForCausalLM's weight table names (config: mixtral_config.cpp; forward: core/model/moe_decoder.h).
#include "core/model/families/mixtral.h"

#include "core/model/moe_decoder.h"

namespace icsweep {

std::unique_ptr<CausalLM> load_mixtral(const LoadRequest& request) {
  return load_sparse_moe_decoder(request, MixtralConfig::from_hf(request.config), "mixtral",
                                 {"block_sparse_moe.", kMixtralExpertNames}, is_saved_rotary_buffer);
}

}  // namespace icsweep
