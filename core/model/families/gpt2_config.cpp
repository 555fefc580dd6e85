#include "core/model/families/gpt2.h"

#include "core/common/errors.h"

namespace icsweep {

Gpt2Config Gpt2Config::from_hf(const HfConfig& config) {
  Gpt2Config c;
  c.vocab_size = config.get_int("vocab_size");
  c.n_embd = config.get_int("n_embd");
  c.n_inner = config.get_int("n_inner", 4 * c.n_embd);
  c.n_layer = config.get_int("n_layer");
  c.n_head = config.get_int("n_head");
  c.n_positions = config.get_int("n_positions");
  c.layer_norm_epsilon = config.get_double("layer_norm_epsilon", 1e-5);
  c.activation_function = config.get_string("activation_function", "gelu_new");
  c.scale_attn_weights = config.get_bool("scale_attn_weights", true);
  c.scale_attn_by_inverse_layer_idx = config.get_bool("scale_attn_by_inverse_layer_idx", false);
  c.tie_word_embeddings = config.get_bool("tie_word_embeddings", true);
  if (c.n_head <= 0 || c.n_embd % c.n_head != 0)
    throw ModelError(config.source() + ": n_embd (" + std::to_string(c.n_embd) +
                     ") must be a multiple of n_head (" + std::to_string(c.n_head) + ")");
  if (!activation_supported(c.activation_function))
    throw ModelError(config.source() + ": key 'activation_function' is '" + c.activation_function +
                     "', which icsweep does not implement (gelu, gelu_new, gelu_fast, gelu_pytorch_tanh, silu, relu)");
  if (config.get_bool("add_cross_attention", false))
    throw ModelError(config.source() + ": add_cross_attention is true; icsweep scores decoder-only GPT-2 models");
  return c;
}

ModelShape gpt2_shape(const HfConfig& config, const std::string&) {
  const auto c = Gpt2Config::from_hf(config);
  // Attention: c_attn (D, 3D) and c_proj (D, D); MLP: c_fc (D, F) and c_proj (F, D).
  const int64_t head_dim = c.n_embd / c.n_head;
  return ungated_decoder_shape({c.n_embd, c.n_layer, c.n_head, c.n_head, head_dim, c.n_inner, c.vocab_size});
}

}  // namespace icsweep
