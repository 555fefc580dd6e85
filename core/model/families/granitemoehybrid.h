// GraniteMoeHybridForCausalLM (transformers' modeling_granitemoehybrid.py; IBM Granite 4): per
// layer_types a Mamba-2 mixer (core/model/mamba2.h; gated RMSNorm over all its channels) or Granite
// attention (attention_multiplier as the softmax scale, rotary only with position_embedding_type
// "rope"), then the shared MLP plus, with num_local_experts > 0, the routed experts (softmax over
// the top-k logits). Granite's multipliers (families/granite.h): embeddings times
// embedding_multiplier, each sub-block's output times residual_multiplier, logits / logits_scaling.
#pragma once

#include <string>
#include <vector>

#include "core/model/families/granite.h"
#include "core/model/families/ssm_config.h"

namespace icsweep {

struct GraniteMoeHybridConfig : GraniteConfig {
  std::vector<bool> mamba_layers;  // (L): layer_types "mamba" / "linear_attention"; attention otherwise
  bool use_rope = false;           // position_embedding_type "rope" (else no position embedding)
  int64_t num_experts = 0;         // num_local_experts; 0: the shared MLP alone
  int64_t top_k = 0;               // num_experts_per_tok
  int64_t shared_intermediate_size = 0;
  Mamba2Dims mamba;                // intermediate = mamba_expand · hidden_size
  bool mamba_proj_bias = false;    // in_proj and out_proj biases
  bool mamba_conv_bias = true;

  static GraniteMoeHybridConfig from_hf(const HfConfig& config);
};

ModelShape granitemoehybrid_shape(const HfConfig& config, const std::string& model_type);
std::unique_ptr<CausalLM> load_granitemoehybrid(const LoadRequest& request);

}  // namespace icsweep
