"""Fixture specs for model zoo III (Ministral 3 and the 2026 open base families), imported by
gen_parity_fixtures.py after fixture_specs_zoo.py (seeds follow the order of the two lists, so new
specs go at the end). Same spec format as fixture_specs_zoo.py.
"""
import transformers as tf

from fixture_specs_zoo import DENSE, DS, MOE, LENGTHS, cfg, published_wrapper_names, rope, spec  # noqa: F401


# ---- Ministral 3 / Mistral 3 --------------------------------------------------------------------
def ministral3_rope(factor=4.0, original=8, beta=0.1, mscale=1.0, mscale_all_dim=1.0):
    """YaRN as the published Ministral 3 configs write it, with the Llama-4 query scale; `original`
    below the scored lengths so both the YaRN ramp and the position-dependent q scale matter."""
    return {"rope_type": "yarn", "rope_theta": 1000000.0, "factor": factor,
            "original_max_position_embeddings": original, "beta_fast": 32.0, "beta_slow": 1.0,
            "mscale": mscale, "mscale_all_dim": mscale_all_dim, "llama_4_scaling_beta": beta}


def ministral3_text(**kw):
    base = dict(DENSE, head_dim=32, max_position_embeddings=256, rope_parameters=ministral3_rope(),
                pad_token_id=0, bos_token_id=1, eos_token_id=2)
    base.update(kw)
    return tf.Ministral3Config(**base)


PIXTRAL = dict(model_type="pixtral", hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
               head_dim=16, image_size=28, patch_size=14, num_channels=3)


def mistral3(tied):
    def build(seed):
        text = ministral3_text(tie_word_embeddings=tied).to_dict()
        return tf.Mistral3Config(text_config=text, vision_config=PIXTRAL, tie_word_embeddings=tied,
                                 image_token_index=5, spatial_merge_size=2), tf.Mistral3ForConditionalGeneration
    return build


# ---- Falcon -------------------------------------------------------------------------------------
FALCON = dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, vocab_size=256, layer_norm_epsilon=1e-5,
              initializer_range=0.1, max_position_embeddings=256, bos_token_id=1, eos_token_id=2)

# ---- MLA + MoE (Mistral 4) and sparse-attention MLA (DeepSeek-V3.2) ------------------------------
DSA = dict(DS, n_routed_experts=4, n_group=1, topk_group=1, norm_topk_prob=True, routed_scaling_factor=2.5,
           index_topk=6, index_n_heads=2, index_head_dim=16)

FIXTURES = {
    "ministral3_yarn_qscale": spec(lambda s: (ministral3_text(), tf.Ministral3ForCausalLM)),
    "ministral3_tied_mscale": spec(lambda s: (ministral3_text(
        hidden_size=48, head_dim=16, intermediate_size=96, num_key_value_heads=4, vocab_size=200,
        tie_word_embeddings=True, rope_parameters=ministral3_rope(factor=2.0, original=12, beta=0.3, mscale=0.9,
                                                                  mscale_all_dim=0.7)), tf.Ministral3ForCausalLM)),
    "mistral3_ministral3_published": spec(mistral3(tied=False), after=published_wrapper_names(tf.Mistral3ForConditionalGeneration)),
    "mistral3_ministral3_tied_v5": spec(mistral3(tied=True)),
    "olmo3_window": spec(lambda s: (cfg(tf.Olmo3Config, num_hidden_layers=4, sliding_window=6,
                                        layer_types=["sliding_attention"] * 3 + ["full_attention"],
                                        rope_parameters={"sliding_attention": rope(500000.0),
                                                         "full_attention": rope(500000.0)}),
                                    tf.Olmo3ForCausalLM)),
    "olmo3_yarn_tied": spec(lambda s: (cfg(tf.Olmo3Config, num_hidden_layers=2, num_key_value_heads=4,
                                           sliding_window=5, tie_word_embeddings=True,
                                           layer_types=["sliding_attention", "full_attention"],
                                           rope_parameters={"sliding_attention": rope(500000.0),
                                                            "full_attention": rope(
                                                                500000.0, rope_type="yarn", factor=4.0,
                                                                original_max_position_embeddings=8,
                                                                attention_factor=1.2, beta_fast=32.0,
                                                                beta_slow=1.0)}),
                                       tf.Olmo3ForCausalLM)),
    "smollm3_nope_interval": spec(lambda s: (cfg(tf.SmolLM3Config, num_hidden_layers=4, no_rope_layer_interval=4, pad_token_id=0,
                                                 tie_word_embeddings=True, rope_parameters=rope(5000000.0)),
                                             tf.SmolLM3ForCausalLM)),
    "smollm3_nope_list_bias": spec(lambda s: (cfg(tf.SmolLM3Config, num_hidden_layers=3, no_rope_layers=[0, 1, 1], pad_token_id=0,
                                                  attention_bias=True, mlp_bias=True, rope_parameters=rope(10000.0)),
                                              tf.SmolLM3ForCausalLM)),
    "granite_multipliers": spec(lambda s: (cfg(tf.GraniteConfig, embedding_multiplier=12.0, logits_scaling=8.0,
                                               residual_multiplier=0.22, attention_multiplier=0.0625,
                                               tie_word_embeddings=True, rope_parameters=rope(10000000.0)),
                                           tf.GraniteForCausalLM)),
    "granite_bias_untied": spec(lambda s: (cfg(tf.GraniteConfig, num_key_value_heads=4, embedding_multiplier=6.0,
                                               logits_scaling=4.0, residual_multiplier=0.5, attention_multiplier=0.2,
                                               attention_bias=True, mlp_bias=True, rope_parameters=rope(10000.0)),
                                           tf.GraniteForCausalLM)),
    "stablelm_partial_qk_layernorm": spec(lambda s: (cfg(tf.StableLmConfig, layer_norm_eps=1e-5, use_qkv_bias=True,
                                                         qk_layernorm=True, use_parallel_residual=False,
                                                         rope_parameters=rope(10000.0, partial_rotary_factor=0.25)),
                                                     tf.StableLmForCausalLM)),
    "stablelm_parallel_tied": spec(lambda s: (cfg(tf.StableLmConfig, num_key_value_heads=4, layer_norm_eps=1e-5,
                                                  use_parallel_residual=True, tie_word_embeddings=True,
                                                  rope_parameters=rope(10000.0, partial_rotary_factor=0.5)),
                                              tf.StableLmForCausalLM)),
    "ernie4_5_tied": spec(lambda s: (cfg(tf.Ernie4_5Config, head_dim=32, tie_word_embeddings=True, use_bias=False,
                                         rope_parameters=rope(500000.0)), tf.Ernie4_5ForCausalLM)),
    "ernie4_5_bias": spec(lambda s: (cfg(tf.Ernie4_5Config, head_dim=16, num_key_value_heads=4, use_bias=True,
                                         rope_parameters=rope(10000.0)), tf.Ernie4_5ForCausalLM)),
    "ernie4_5_moe_shared": spec(lambda s: (cfg(tf.Ernie4_5_MoeConfig, MOE, num_hidden_layers=3, head_dim=16,
                                               moe_num_experts=4, moe_k=2, moe_num_shared_experts=1,
                                               moe_intermediate_size=32, moe_layer_start_index=1,
                                               moe_layer_end_index=-1, moe_layer_interval=1,
                                               tie_word_embeddings=True, rope_parameters=rope(500000.0)),
                                           tf.Ernie4_5_MoeForCausalLM)),
    "ernie4_5_moe_interval": spec(lambda s: (cfg(tf.Ernie4_5_MoeConfig, MOE, num_hidden_layers=4, head_dim=16,
                                                 moe_num_experts=3, moe_k=1, moe_num_shared_experts=0,
                                                 moe_intermediate_size=32, moe_layer_start_index=0,
                                                 moe_layer_end_index=2, moe_layer_interval=2, use_bias=True,
                                                 tie_word_embeddings=False, rope_parameters=rope(10000.0)),
                                             tf.Ernie4_5_MoeForCausalLM)),
    "hunyuan_moe_top2": spec(lambda s: (cfg(tf.HunYuanMoEV1Config, MOE, head_dim=16, num_experts=4, moe_topk=2,
                                            rope_parameters=rope(10000.0)), tf.HunYuanMoEV1ForCausalLM)),
    "hunyuan_moe_top1_alpha_tied": spec(lambda s: (cfg(tf.HunYuanMoEV1Config, MOE, head_dim=16, num_experts=3,
                                                       moe_topk=1, attention_bias=True, tie_word_embeddings=True,
                                                       rope_parameters=rope(10000.0, rope_type="dynamic",
                                                                            alpha=1000.0, factor=1.0)),
                                                   tf.HunYuanMoEV1ForCausalLM)),
    "minimax_m2_top2": spec(lambda s: (cfg(tf.MiniMaxM2Config, MOE, head_dim=16, intermediate_size=32,
                                           num_local_experts=4, num_experts_per_tok=2,
                                           rope_parameters=rope(5000000.0, partial_rotary_factor=0.5)),
                                       tf.MiniMaxM2ForCausalLM)),
    "mistral4_mla_moe": spec(lambda s: (cfg(tf.Mistral4Config, DS, head_dim=24, n_routed_experts=4, n_group=1, topk_group=1,
                                            norm_topk_prob=True, routed_scaling_factor=1.0, rope_interleave=True,
                                            max_position_embeddings=256,
                                            rope_parameters=dict(ministral3_rope(), mscale=1.0, mscale_all_dim=1.0)),
                                        tf.Mistral4ForCausalLM)),
    "falcon_7b_multi_query": spec(lambda s: (cfg(tf.FalconConfig, FALCON, multi_query=True, parallel_attn=True,
                                                 bias=False, alibi=False, new_decoder_architecture=False,
                                                 rope_parameters=rope(10000.0)), tf.FalconForCausalLM)),
    "falcon_new_decoder_gqa": spec(lambda s: (cfg(tf.FalconConfig, FALCON, new_decoder_architecture=True,
                                                  num_kv_heads=2, num_ln_in_parallel_attn=2, bias=False, alibi=False,
                                                  ffn_hidden_size=96, tie_word_embeddings=False,
                                                  rope_parameters=rope(10000.0)), tf.FalconForCausalLM)),
    "falcon_rw_alibi_sequential": spec(lambda s: (cfg(tf.FalconConfig, FALCON, multi_query=False,
                                                      parallel_attn=False, bias=True, alibi=True,
                                                      new_decoder_architecture=False), tf.FalconForCausalLM),
                                       attn="sdpa"),
    "deepseek_v32_indexer": spec(lambda s: (cfg(tf.DeepseekV32Config, DSA, rope_interleave=True,
                                                rope_parameters=rope(10000.0)), tf.DeepseekV32ForCausalLM)),
}
