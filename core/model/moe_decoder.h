// The decoder of Mixtral and the models transformers copies it into (Qwen2-MoE, Qwen3-MoE): Llama
// attention (per-head q/k norms where the config says so), then per layer a dense SwiGLU MLP or a
// softmax top-k over SwiGLU experts, plus a sigmoid-gated shared expert where there is one.
#pragma once

#include <memory>
#include <string>

#include "core/model/decoder.h"
#include "core/model/families/mixtral.h"

namespace icsweep {

// Where a family keeps its MoE block: "<layer>mlp." with gate_proj/up_proj/down_proj experts (Qwen),
// or "<layer>block_sparse_moe." with w1/w3/w2 experts (Mixtral); the router is "<block>gate.weight".
struct SparseMoeNames {
  const char* block;
  SwigluNames experts;
};

// Builds the weight table of `config` under these names, loads it (skipping what `ignore` matches)
// and returns the model, described as `family`.
std::unique_ptr<CausalLM> load_sparse_moe_decoder(const LoadRequest& request, const SparseMoeConfig& config,
                                                  const std::string& family, const SparseMoeNames& names,
                                                  const IgnoreFn& ignore);

}  // namespace icsweep
