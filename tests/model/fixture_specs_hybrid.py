"""Fixture specs for the hybrid linear-attention and state-space families (Qwen3.5, Qwen3-Next,
Falcon-H1, Granite 4, LFM2) and for Gemma 4 and GLM-5, imported by gen_parity_fixtures.py after
fixture_specs_2026.py (seeds follow the order of the lists, so new specs go at the end). Same spec
format as fixture_specs_zoo.py.

The linear layers of these families run chunked (Gated DeltaNet: chunks of 64 tokens; Mamba-2:
`mamba_chunk_size`, set to 16 here), so every fixture scores a sequence longer than one chunk next
to short ones; the C++ parity test scores them as one padded batch.
"""
import os

import torch
from safetensors.torch import load_file, save_file
import transformers as tf

from fixture_specs_2026 import DSA
from fixture_specs_zoo import DENSE, MOE, cfg, rope, spec  # noqa: F401

HYBRID_LENGTHS = [80, 9, 70, 2]


def with_extra_tensors(model_cls, extra):
    """An `after` that appends tensors the published checkpoints carry but scoring never reads (the
    multi-token-prediction head `mtp.*`), then reloads: transformers ignores them by name, and so
    must icsweep."""
    def after(path, model):
        f = os.path.join(path, "model.safetensors")
        tensors = load_file(f)
        g = torch.Generator().manual_seed(7)
        for name, shape in extra.items():
            tensors[name] = torch.randn(shape, generator=g)
        save_file(tensors, f, metadata={"format": "pt"})
        return model_cls.from_pretrained(path, attn_implementation="eager").float().eval()
    return after


MTP = {"mtp.fc.weight": (64, 128), "mtp.pre_fc_norm_embedding.weight": (64,),
       "mtp.layers.0.mlp.down_proj.weight": (64, 32)}

# ---- Qwen3.5 / Qwen3-Next: Gated DeltaNet on three of four layers --------------------------------
QWEN35_ROPE = {"rope_type": "default", "rope_theta": 10000000.0, "partial_rotary_factor": 0.25,
               "mrope_section": [2, 1, 1], "mrope_interleaved": True}
GDN = dict(DENSE, num_hidden_layers=4, head_dim=32, num_key_value_heads=2, linear_conv_kernel_dim=4,
           linear_key_head_dim=16, linear_value_head_dim=16, linear_num_key_heads=2, linear_num_value_heads=4,
           pad_token_id=0, bos_token_id=1, eos_token_id=2)
GDN_MOE = dict(GDN, intermediate_size=96, moe_intermediate_size=32, shared_expert_intermediate_size=48,
               num_experts=4, num_experts_per_tok=2)
QWEN35_VISION = dict(depth=1, hidden_size=32, intermediate_size=64, num_heads=2, out_hidden_size=64, patch_size=4,
                     spatial_merge_size=2, temporal_patch_size=2, num_position_embeddings=16)


def qwen3_5_wrapper(text_cls, config_cls, model_cls, base):
    def build(seed):
        text = cfg(text_cls, base, rope_parameters=QWEN35_ROPE).to_dict()
        return config_cls(text_config=text, vision_config=QWEN35_VISION), model_cls
    return build


# ---- Mamba-2 hybrids ----------------------------------------------------------------------------
MAMBA = dict(mamba_n_heads=8, mamba_d_head="auto", mamba_n_groups=2, mamba_d_state=16, mamba_d_conv=4,
             mamba_expand=2, mamba_chunk_size=16, mamba_conv_bias=True, mamba_proj_bias=False)

# ---- Gemma 4 --------------------------------------------------------------------------------------
GEMMA4 = dict(DENSE, num_hidden_layers=4, head_dim=16, hidden_activation="gelu_pytorch_tanh", sliding_window=6,
              layer_types=["sliding_attention", "full_attention", "sliding_attention", "full_attention"],
              tie_word_embeddings=True, pad_token_id=0, bos_token_id=2, eos_token_id=1,
              rope_parameters={"sliding_attention": rope(10000.0),
                               "full_attention": rope(1000000.0, rope_type="proportional",
                                                      partial_rotary_factor=0.25)})


def with_scales_off_one(model_cls, suffixes=("layer_scalar", "router.scale", "router.per_expert_scale")):
    """An `after` for Gemma 4: the scales transformers initialises to ones and perturb() leaves alone
    (no "norm" in their names) become 1 + 0.1·N(0, 1), then the model reloads, so that the published
    checkpoints' non-unit layer_scalar and router scales are exercised."""
    def after(path, model):
        f = os.path.join(path, "model.safetensors")
        tensors = load_file(f)
        g = torch.Generator().manual_seed(11)
        for name in sorted(tensors):
            if name.endswith(suffixes):
                tensors[name] = 1.0 + 0.1 * torch.randn(tensors[name].shape, generator=g)
        save_file(tensors, f, metadata={"format": "pt"})
        return model_cls.from_pretrained(path, attn_implementation="eager").float().eval()
    return after


def gemma4_text(**kw):
    base = dict(GEMMA4)
    base.update(kw)
    return tf.Gemma4TextConfig(**base)


GEMMA4_VISION = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                     num_key_value_heads=2, head_dim=16, patch_size=4, pooling_kernel_size=2,
                     position_embedding_size=64)

FIXTURES = {
    "qwen3_5_text_gdn": spec(lambda s: (cfg(tf.Qwen3_5TextConfig, GDN, rope_parameters=QWEN35_ROPE),
                                        tf.Qwen3_5ForCausalLM), lengths=HYBRID_LENGTHS),
    "qwen3_5_wrapper_mtp": spec(qwen3_5_wrapper(tf.Qwen3_5TextConfig, tf.Qwen3_5Config, tf.Qwen3_5ForConditionalGeneration,
                                                dict(GDN, num_hidden_layers=2,
                                                     layer_types=["linear_attention", "full_attention"])),
                                lengths=HYBRID_LENGTHS,
                                after=with_extra_tensors(tf.Qwen3_5ForConditionalGeneration, MTP)),
    "qwen3_5_moe_wrapper": spec(qwen3_5_wrapper(tf.Qwen3_5MoeTextConfig, tf.Qwen3_5MoeConfig,
                                                tf.Qwen3_5MoeForConditionalGeneration, GDN_MOE),
                                lengths=HYBRID_LENGTHS),
    "qwen3_next_moe": spec(lambda s: (cfg(tf.Qwen3NextConfig, GDN_MOE, mlp_only_layers=[1], norm_topk_prob=True,
                                          rope_parameters=rope(10000000.0, partial_rotary_factor=0.25)),
                                      tf.Qwen3NextForCausalLM), lengths=HYBRID_LENGTHS,
                           after=with_extra_tensors(tf.Qwen3NextForCausalLM, MTP)),
    "falcon_h1_multipliers": spec(lambda s: (cfg(tf.FalconH1Config, dict(DENSE, **MAMBA), num_hidden_layers=3, mamba_d_ssm=128,
                                                 mamba_rms_norm=True, mamba_norm_before_gate=False,
                                                 embedding_multiplier=5.6, lm_head_multiplier=0.03,
                                                 key_multiplier=0.7, attention_in_multiplier=1.3,
                                                 attention_out_multiplier=0.8, ssm_in_multiplier=1.2,
                                                 ssm_out_multiplier=0.9, mlp_multipliers=[0.9, 1.1],
                                                 ssm_multipliers=[0.5, 0.7, 1.3, 0.6, 1.4],
                                                 rope_parameters=rope(100000.0)),
                                             tf.FalconH1ForCausalLM), lengths=HYBRID_LENGTHS),
    "falcon_h1_plain_tied": spec(lambda s: (cfg(tf.FalconH1Config, dict(DENSE, **MAMBA), num_hidden_layers=2, mamba_d_ssm=None,
                                                mamba_n_groups=1, mamba_rms_norm=False, tie_word_embeddings=True,
                                                attention_bias=True, projectors_bias=True,
                                                rope_parameters=rope(10000.0)),
                                            tf.FalconH1ForCausalLM), lengths=HYBRID_LENGTHS),
    "granite4_hybrid_moe": spec(lambda s: (cfg(tf.GraniteMoeHybridConfig, dict(MOE, **MAMBA), num_hidden_layers=4,
                                               layer_types=["mamba", "attention", "mamba", "mamba"],
                                               num_local_experts=4, num_experts_per_tok=2,
                                               shared_intermediate_size=48, position_embedding_type="nope",
                                               embedding_multiplier=12.0, logits_scaling=6.0,
                                               residual_multiplier=0.22, attention_multiplier=0.0625),
                                           tf.GraniteMoeHybridForCausalLM), lengths=HYBRID_LENGTHS),
    "granite4_dense_rope": spec(lambda s: (cfg(tf.GraniteMoeHybridConfig, dict(DENSE, **MAMBA), num_hidden_layers=3,
                                               layer_types=["mamba", "attention", "mamba"], num_local_experts=0,
                                               shared_intermediate_size=96, position_embedding_type="rope",
                                               tie_word_embeddings=True, embedding_multiplier=4.0,
                                               logits_scaling=2.0, residual_multiplier=0.5,
                                               attention_multiplier=0.2, rope_parameters=rope(10000.0)),
                                           tf.GraniteMoeHybridForCausalLM), lengths=HYBRID_LENGTHS),
    "lfm2_conv_attention": spec(lambda s: (cfg(tf.Lfm2Config, DENSE, num_hidden_layers=4, norm_eps=1e-5,
                                               layer_types=["conv", "conv", "full_attention", "conv"],
                                               block_multiple_of=32, block_ffn_dim_multiplier=1.0,
                                               block_auto_adjust_ff_dim=True, conv_L_cache=3,
                                               rope_parameters=rope(1000000.0)),
                                           tf.Lfm2ForCausalLM), lengths=HYBRID_LENGTHS),
    "gemma4_ple_kv_shared": spec(lambda s: (gemma4_text(hidden_size_per_layer_input=8, vocab_size_per_layer_input=256,
                                                        num_kv_shared_layers=2, use_double_wide_mlp=True,
                                                        global_head_dim=32, final_logit_softcapping=30.0),
                                            tf.Gemma4ForCausalLM), after=with_scales_off_one(tf.Gemma4ForCausalLM)),
    "gemma4_k_eq_v": spec(lambda s: (gemma4_text(hidden_size_per_layer_input=0, attention_k_eq_v=True,
                                                 global_head_dim=32, num_global_key_value_heads=1),
                                     tf.Gemma4ForCausalLM)),
    "gemma4_moe_wrapper": spec(lambda s: (tf.Gemma4Config(
        text_config=gemma4_text(hidden_size_per_layer_input=0, enable_moe_block=True, num_experts=4, top_k_experts=2,
                                moe_intermediate_size=32, global_head_dim=32).to_dict(),
        vision_config=GEMMA4_VISION, audio_config=None), tf.Gemma4ForConditionalGeneration),
                               after=with_scales_off_one(tf.Gemma4ForConditionalGeneration)),
    # GLM-5: DeepSeek-V3.2's sparse attention with an interleaved-rope indexer and "shared" layers that
    # reuse the previous layer's top-k. Not batch invariant: the indexer's scores tie (every head's relu
    # 0) at the top-k boundary, and torch.topk's CPU choice among equal scores depends on the row's
    # length, so right padding changes the picked keys (glm_moe_dsa_indexer's padded batch through the
    # same topk is 0.45 bits off its sequences alone). That fixture keeps seed 1070, its place in the
    # lists when it was made, before this file's specs.
    "glm_moe_dsa_indexer": spec(lambda s: (cfg(tf.GlmMoeDsaConfig, DSA, rope_parameters=rope(10000.0)),
                                           tf.GlmMoeDsaForCausalLM), batch_invariant=False, seed=1070),
    "glm_moe_dsa_shared_indexer": spec(lambda s: (cfg(tf.GlmMoeDsaConfig, DSA, num_hidden_layers=4,
                                                      indexer_types=["full", "shared", "shared", "full"],
                                                      rope_parameters=rope(10000.0)), tf.GlmMoeDsaForCausalLM),
                                       batch_invariant=False),
}
