// FalconForCausalLM (transformers' modeling_falcon.py; Falcon-7B/40B/180B, Falcon2-11B, Falcon-RW):
// LayerNorm blocks with biases, one fused query_key_value projection, an ungated MLP of
// `activation` (dense_h_to_4h, dense_4h_to_h, ffn_hidden_size wide), head_dim = hidden_size /
// num_attention_heads, optional biases on every linear (`bias`), and either rotary embeddings over
// the whole head or ALiBi (`alibi`). Three attention layouts of query_key_value:
//   new_decoder_architecture  per kv head [q_1 .. q_G | k | v], num_kv_heads kv heads (G = H / Hkv);
//   multi_query               [q (H heads) | k | v], one kv head;
//   otherwise                 per head [q | k | v].
// The blocks: parallel_attn reads attention and MLP from the same input, x + (mlp(ln_mlp(x)) +
// attn(ln_attn(x))), with two LayerNorms (ln_attn, ln_mlp: the new decoder's num_ln_in_parallel_attn
// 2, its default) or one (input_layernorm); otherwise sequential as GPT-2 (input_layernorm,
// post_attention_layernorm).
#pragma once

#include <string>

#include "core/model/families/family_config.h"

namespace icsweep {

// FalconConfig: heads.num_kv_heads is the layout's (num_kv_heads, 1 or H), intermediate_size is
// ffn_hidden_size (default 4 * hidden_size); DecoderConfig's rms_norm_eps is unused.
struct FalconConfig : DecoderConfig {
  enum class Norms { kShared, kTwo, kSequential };  // input_layernorm | ln_attn + ln_mlp | input + post_attention
  bool new_decoder_architecture = false;
  bool multi_query = true;
  Norms norms = Norms::kShared;
  bool bias = false;   // every linear of the layer carries a bias
  bool alibi = false;  // ALiBi instead of rotary embeddings
  double layer_norm_epsilon = 1e-5;
  std::string activation = "gelu";

  // ModelError naming config.json for layouts transformers' FalconDecoderLayer cannot run
  // (new_decoder_architecture without parallel_attn; num_ln_in_parallel_attn other than 1 or 2 on
  // the new decoder, or 2 on the old one).
  static FalconConfig from_hf(const HfConfig& config);
};

ModelShape falcon_shape(const HfConfig& config, const std::string& model_type);
std::unique_ptr<CausalLM> load_falcon(const LoadRequest& request);

}  // namespace icsweep
