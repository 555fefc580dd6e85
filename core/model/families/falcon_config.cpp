#include "core/model/families/falcon.h"

#include "core/common/errors.h"

namespace icsweep {
namespace {

// Which LayerNorms a FalconDecoderLayer builds and reads.
FalconConfig::Norms falcon_norms(const HfConfig& config, bool new_decoder) {
  const bool parallel = config.get_bool("parallel_attn", true);
  // FalconDecoderLayer: num_ln_in_parallel_attn None becomes 2 on the new decoder.
  const int64_t num_ln = config.get_int("num_ln_in_parallel_attn", new_decoder ? 2 : 1);
  if (!parallel) {
    if (new_decoder)
      throw ModelError(config.source() + ": key 'parallel_attn' is false with new_decoder_architecture, which "
                       "transformers' FalconDecoderLayer cannot run (it reads ln_attn, built only for parallel_attn)");
    return FalconConfig::Norms::kSequential;
  }
  if (num_ln == 2 && !new_decoder)
    throw ModelError(config.source() + ": key 'num_ln_in_parallel_attn' is 2 without new_decoder_architecture, "
                     "which transformers' FalconDecoderLayer cannot run (it builds ln_attn/ln_mlp but reads "
                     "input_layernorm)");
  if (new_decoder && num_ln != 1 && num_ln != 2)
    throw ModelError(config.source() + ": key 'num_ln_in_parallel_attn' is " + std::to_string(num_ln) +
                     "; the new decoder architecture has 1 or 2 LayerNorms");
  return num_ln == 2 ? FalconConfig::Norms::kTwo : FalconConfig::Norms::kShared;
}

}  // namespace

FalconConfig FalconConfig::from_hf(const HfConfig& config) {
  FalconConfig c;
  c.vocab_size = config.get_int("vocab_size");
  // FalconConfig.__post_init__: n_embed (older configs) wins over hidden_size.
  c.hidden_size = config.has("n_embed") ? config.get_int("n_embed") : config.get_int("hidden_size");
  c.num_layers = config.get_int("num_hidden_layers");
  c.intermediate_size = config.get_int("ffn_hidden_size", 4 * c.hidden_size);
  c.tie_word_embeddings = config.get_bool("tie_word_embeddings", true);
  c.new_decoder_architecture = config.get_bool("new_decoder_architecture", false);
  c.multi_query = config.get_bool("multi_query", true);
  const int64_t h = config.get_int("num_attention_heads");
  const int64_t kv = c.new_decoder_architecture ? config.get_int("num_kv_heads", h) : (c.multi_query ? 1 : h);
  if (h <= 0 || kv <= 0 || h % kv != 0 || c.hidden_size % h != 0)
    throw ModelError(config.source() + ": num_attention_heads (" + std::to_string(h) + ") must divide hidden_size (" +
                     std::to_string(c.hidden_size) + ") and be a multiple of the kv heads (" + std::to_string(kv) +
                     ")");
  c.heads = {h, kv, c.hidden_size / h};
  c.norms = falcon_norms(config, c.new_decoder_architecture);
  c.bias = config.get_bool("bias", false);
  c.alibi = config.get_bool("alibi", false);
  c.layer_norm_epsilon = config.get_double("layer_norm_epsilon", 1e-5);
  c.activation = config.get_string("activation", "gelu");
  if (!activation_supported(c.activation))
    throw ModelError(config.source() + ": key 'activation' is '" + c.activation + "', which icsweep does not implement");
  c.rope = RopeConfig::from_hf(config, c.heads.head_dim);
  return c;
}

// Per layer: query_key_value d·(H + 2·Hkv)·Dh and dense d·d (attention_weights' q/k/v/o with Dh =
// d / H), the MLP 2·d·F.
ModelShape falcon_shape(const HfConfig& config, const std::string&) {
  return ungated_decoder_shape(FalconConfig::from_hf(config).dims());
}

}  // namespace icsweep
