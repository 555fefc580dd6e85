// The llama family's layer weights and model, for the families that reuse them (internlm2) and for
// the tiny trainer (demo_tools/tiny_trainer.h), which trains exactly what load_llama() scores. The
// family itself lives in core/model/families/llama.{h,cpp}.
#pragma once

#include <memory>
#include <vector>

#include "core/model/decoder.h"
#include "core/model/families/llama.h"

namespace icsweep {

struct LlamaLayerWeights : AttentionMlpWeights {  // attn: self_attn.*, mlp: mlp.*; fused by the model
  torch::Tensor input_layernorm;           // (D)
  torch::Tensor post_attention_layernorm;  // (D)
};

// The whole checkpoint as one struct (the tiny trainer's view).
struct LlamaWeights {
  torch::Tensor embed_tokens;  // (V, D)
  std::vector<LlamaLayerWeights> layers;
  torch::Tensor norm;     // (D)
  torch::Tensor lm_head;  // (V, D); the embedding itself when tied
};

// LlamaForCausalLM's forward over loaded weights (q/k/v and gate/up still separate: it fuses them;
// attn.q_norm/k_norm when loaded, as Qwen3).
std::unique_ptr<CausalLM> make_llama_model(LlamaConfig config, std::vector<LlamaLayerWeights> layers,
                                           LoadedDecoder loaded, DecoderEnds ends);

// load_llama()'s table (model.layers.<i>.{input_layernorm, self_attn.{q,k,v,o}_proj,
// post_attention_layernorm, mlp.{gate,up,down}_proj}, plus self_attn.{q,k}_norm when `qk_norm`),
// loaded as `family`, tensors matched by `ignore` skipped.
std::unique_ptr<CausalLM> load_llama_decoder(const LoadRequest& request, const LlamaConfig& config,
                                             const std::string& family, bool qk_norm, const IgnoreFn& ignore);

}  // namespace icsweep
