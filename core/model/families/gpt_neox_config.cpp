#include "core/model/families/gpt_neox.h"

#include "core/common/errors.h"

namespace icsweep {

GptNeoxConfig GptNeoxConfig::from_hf(const HfConfig& config) {
  GptNeoxConfig c;
  c.vocab_size = config.get_int("vocab_size");
  c.hidden_size = config.get_int("hidden_size");
  c.intermediate_size = config.get_int("intermediate_size");
  c.num_layers = config.get_int("num_hidden_layers");
  c.num_heads = config.get_int("num_attention_heads");
  c.layer_norm_eps = config.get_double("layer_norm_eps", 1e-5);
  c.hidden_act = config.get_string("hidden_act", "gelu");
  c.use_parallel_residual = config.get_bool("use_parallel_residual", true);
  c.attention_bias = config.get_bool("attention_bias", true);
  c.tie_word_embeddings = config.get_bool("tie_word_embeddings", false);
  if (c.num_heads <= 0 || c.hidden_size % c.num_heads != 0)
    throw ModelError(config.source() + ": hidden_size (" + std::to_string(c.hidden_size) +
                     ") must be a multiple of num_attention_heads (" + std::to_string(c.num_heads) + ")");
  if (!activation_supported(c.hidden_act))
    throw ModelError(config.source() + ": key 'hidden_act' is '" + c.hidden_act +
                     "', which icsweep does not implement (gelu, gelu_new, gelu_fast, gelu_pytorch_tanh, silu, relu)");
  c.head_dim = c.hidden_size / c.num_heads;
  c.rotary_ndims = static_cast<int64_t>(static_cast<double>(c.head_dim) * partial_rotary_factor(config, 0.25));
  c.rope = RopeConfig::from_hf(config, c.rotary_ndims);
  // transformers 4 configs name the base rotary_emb_base (transformers 5 moves it to rope_parameters).
  if (!config.has("rope_parameters") && !config.has("rope_theta"))
    c.rope.theta = config.get_double("rotary_emb_base", c.rope.theta);
  return c;
}

ModelShape gpt_neox_shape(const HfConfig& config, const std::string&) {
  const auto c = GptNeoxConfig::from_hf(config);
  // Attention: query_key_value (3D, D) and dense (D, D); MLP: dense_h_to_4h (F, D), dense_4h_to_h (D, F).
  return ungated_decoder_shape(
      {c.hidden_size, c.num_layers, c.num_heads, c.num_heads, c.head_dim, c.intermediate_size, c.vocab_size});
}

}  // namespace icsweep
