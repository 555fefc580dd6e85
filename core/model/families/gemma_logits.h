// Gemma's output head (Gemma 3 and 4): logits = hidden · lm_head^T, then
// cap · tanh(logits / cap) with final_logit_softcapping = cap > 0.
#pragma once

#include <torch/torch.h>

namespace icsweep {

// hidden (N, D), lm_head (V, D) -> (N, V) in the model dtype; cap <= 0: no soft-capping.
inline torch::Tensor softcapped_logits(const torch::Tensor& hidden, const torch::Tensor& lm_head, double cap) {
  torch::InferenceMode guard;
  auto logits = torch::matmul(hidden, lm_head.t());  // (N, V)
  if (cap > 0) logits = torch::tanh(logits / cap) * cap;
  return logits;
}

}  // namespace icsweep
