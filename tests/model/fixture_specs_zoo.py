"""Fixture specs for model zoo I (the remaining dense families) and model zoo II (MoE and latent
attention), imported by gen_parity_fixtures.py.

Each spec: build(seed) -> (config, model class); lengths; batch_invariant; optional after(path, model)
that rewrites the saved checkpoint into the layout published checkpoints use and returns the
model transformers reloads from it (so the reference numbers come from what is on disk), or
None when transformers cannot load the rewritten form (InternLM2, see below).
"""
import json
import os

import torch
from safetensors.torch import load_file, save_file
import transformers as tf

LENGTHS = [24, 9, 16, 2]
DENSE = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
             num_key_value_heads=2, vocab_size=256, max_position_embeddings=256, rms_norm_eps=1e-6,
             initializer_range=0.1, tie_word_embeddings=False)


def rope(theta, **scaling):
    return {"rope_type": scaling.pop("rope_type", "default"), "rope_theta": theta, **scaling}


def cfg(cls, base=DENSE, **kw):
    merged = dict(base)
    merged.update(kw)
    return cls(**merged)


# ---- Gemma 3 ------------------------------------------------------------------------------------
def gemma3_text_config(**kw):
    base = dict(DENSE, num_hidden_layers=3, head_dim=32, query_pre_attn_scalar=24, sliding_window=6,
                layer_types=["sliding_attention", "sliding_attention", "full_attention"],
                hidden_activation="gelu_pytorch_tanh", tie_word_embeddings=True,
                pad_token_id=0, bos_token_id=2, eos_token_id=1,
                rope_parameters={"sliding_attention": rope(10000.0),
                                 "full_attention": rope(1000000.0, rope_type="linear", factor=8.0)})
    base.update(kw)
    return tf.Gemma3TextConfig(**base)


def gemma3_multimodal(seed):
    vision = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2, image_size=28,
                  patch_size=14, model_type="siglip_vision_model")
    text = gemma3_text_config(final_logit_softcapping=None).to_dict()
    return tf.Gemma3Config(text_config=text, vision_config=vision, mm_tokens_per_image=4), \
        tf.Gemma3ForConditionalGeneration


def published_wrapper_names(model_cls):
    """transformers 5 saves a multimodal wrapper as model.language_model.* + lm_head.*; the published
    checkpoints written by 4.x (Gemma 3, some Mistral 3) hold language_model.model.* +
    language_model.lm_head.*: an `after` that renames, then reloads through transformers' own key mapping."""
    def after(path, model):
        f = os.path.join(path, "model.safetensors")
        renamed = {}
        for k, v in load_file(f).items():
            for old, new in (("model.language_model.", "language_model.model."),
                             ("model.vision_tower.", "vision_tower."),
                             ("model.multi_modal_projector.", "multi_modal_projector."),
                             ("lm_head.", "language_model.lm_head.")):
                if k.startswith(old):
                    k = new + k[len(old):]
                    break
            renamed[k] = v.contiguous()
        save_file(renamed, f, metadata={"format": "pt"})
        return model_cls.from_pretrained(path, attn_implementation="eager").float().eval()
    return after


# ---- InternLM2 (not in transformers: remote code) -----------------------------------------------
def internlm2_from_llama(path, model):
    """InternLM2 is Llama with other tensor names and one fused wqkv whose rows are grouped per
    kv head: [q heads of group h..., k_h, v_h] (InternLM2Attention's rearrange
    "(h gs d)" with gs = q_per_kv + 2). Reference numbers stay those of the Llama model."""
    c = model.config
    hd = c.hidden_size // c.num_attention_heads
    g = c.num_attention_heads // c.num_key_value_heads
    src = load_file(os.path.join(path, "model.safetensors"))
    out = {"model.tok_embeddings.weight": src["model.embed_tokens.weight"], "model.norm.weight": src["model.norm.weight"],
           "output.weight": src["lm_head.weight"]}
    for i in range(c.num_hidden_layers):
        p, q = f"model.layers.{i}.", f"model.layers.{i}."
        for kind in ("weight", "bias"):
            qw = src.get(f"{p}self_attn.q_proj.{kind}")
            if qw is None:
                continue
            kw, vw = src[f"{p}self_attn.k_proj.{kind}"], src[f"{p}self_attn.v_proj.{kind}"]
            tail = qw.shape[1:]
            qh = qw.reshape(c.num_key_value_heads, g, hd, *tail)
            kh = kw.reshape(c.num_key_value_heads, 1, hd, *tail)
            vh = vw.reshape(c.num_key_value_heads, 1, hd, *tail)
            out[f"{q}attention.wqkv.{kind}"] = torch.cat([qh, kh, vh], 1).reshape(-1, *tail).contiguous()
            out[f"{q}attention.wo.{kind}"] = src[f"{p}self_attn.o_proj.{kind}"]
        out[f"{q}feed_forward.w1.weight"] = src[f"{p}mlp.gate_proj.weight"]
        out[f"{q}feed_forward.w3.weight"] = src[f"{p}mlp.up_proj.weight"]
        out[f"{q}feed_forward.w2.weight"] = src[f"{p}mlp.down_proj.weight"]
        out[f"{q}attention_norm.weight"] = src[f"{p}input_layernorm.weight"]
        out[f"{q}ffn_norm.weight"] = src[f"{p}post_attention_layernorm.weight"]
    save_file(out, os.path.join(path, "model.safetensors"), metadata={"format": "pt"})
    rp = c.rope_parameters
    scaling = None if rp.get("rope_type", "default") == "default" else {"type": rp["rope_type"], "factor": rp["factor"]}
    config = {"architectures": ["InternLM2ForCausalLM"], "model_type": "internlm2", "bias": bool(c.attention_bias),
              "hidden_act": "silu", "hidden_size": c.hidden_size, "initializer_range": c.initializer_range,
              "intermediate_size": c.intermediate_size, "max_position_embeddings": c.max_position_embeddings,
              "num_attention_heads": c.num_attention_heads, "num_hidden_layers": c.num_hidden_layers,
              "num_key_value_heads": c.num_key_value_heads, "rms_norm_eps": c.rms_norm_eps,
              "rope_theta": rp["rope_theta"], "rope_scaling": scaling, "tie_word_embeddings": False,
              "vocab_size": c.vocab_size, "pad_token_id": 0, "bos_token_id": 1, "eos_token_id": 2,
              "torch_dtype": "float32", "auto_map": {"AutoModelForCausalLM": "modeling_internlm2.InternLM2ForCausalLM"}}
    with open(os.path.join(path, "config.json"), "w") as fh:
        json.dump(config, fh, indent=1)
    return model  # transformers has no internlm2; the Llama model holds the same function


# ---- gpt-oss MXFP4 ------------------------------------------------------------------------------
FP4_VALUES = torch.tensor([0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, -0.0, -0.5, -1.0, -1.5, -2.0, -3.0, -4.0, -6.0])


def mxfp4_quantize(w):
    """w (..., rows, cols) fp32 with cols % 32 == 0 -> (blocks uint8 (..., rows, cols/32, 16), scales
    uint8 (..., rows, cols/32)): e2m1 nibbles, low nibble first, one e8m0 exponent per 32 values."""
    *lead, rows, cols = w.shape
    g = w.reshape(*lead, rows, cols // 32, 32)
    amax = g.abs().amax(-1).clamp_min(1e-30)
    exp = torch.floor(torch.log2(amax / 6.0)).clamp(-127, 127)  # 6 = largest e2m1 magnitude
    scaled = g / torch.pow(2.0, exp)[..., None]
    idx = (scaled[..., None] - FP4_VALUES).abs().argmin(-1).to(torch.uint8)  # nearest code
    blocks = (idx[..., 0::2] | (idx[..., 1::2] << 4)).to(torch.uint8)
    return blocks.contiguous(), (exp + 127).to(torch.uint8).contiguous()


def gpt_oss_mxfp4(path, model):
    """Published gpt-oss stores expert matrices as MXFP4 *_blocks/*_scales, transposed to (E, out, in)."""
    f = os.path.join(path, "model.safetensors")
    tensors = load_file(f)
    out = {}
    for k, v in tensors.items():
        if k.endswith("mlp.experts.gate_up_proj") or k.endswith("mlp.experts.down_proj"):
            blocks, scales = mxfp4_quantize(v.transpose(1, 2).contiguous())  # (E, in, out) -> (E, out, in)
            out[k + "_blocks"], out[k + "_scales"] = blocks, scales
        else:
            out[k] = v
    save_file(out, f, metadata={"format": "pt"})
    with open(os.path.join(path, "config.json")) as fh:
        config = json.load(fh)
    config["quantization_config"] = {"quant_method": "mxfp4",
                                     "modules_to_not_convert": ["model.layers.*.self_attn", "model.layers.*.mlp.router",
                                                                "model.embed_tokens", "lm_head"]}
    with open(os.path.join(path, "config.json"), "w") as fh:
        json.dump(config, fh, indent=1)
    return tf.GptOssForCausalLM.from_pretrained(path, attn_implementation="eager",
                                                quantization_config=tf.Mxfp4Config(dequantize=True)).float().eval()


def spec(build, lengths=LENGTHS, batch_invariant=True, after=None, attn="eager", seed=None):
    """attn: the attention implementation the reference numbers come from (eager unless transformers'
    eager path of that family is wrong, as Falcon's ALiBi in 5.17, which adds the bias twice).
    seed: pinned where a spec left its place in the lists and came back elsewhere (it keeps the fixture
    it made); None: 1000 + the spec's place in the lists."""
    return dict(build=build, lengths=lengths, batch_invariant=batch_invariant, after=after, attn=attn, seed=seed)


MOE = dict(DENSE, intermediate_size=96)
DS = dict(MOE, num_key_value_heads=4, kv_lora_rank=16, q_lora_rank=24, qk_nope_head_dim=16, qk_rope_head_dim=8,
          v_head_dim=16, head_dim=8, n_routed_experts=4, num_experts_per_tok=2, n_shared_experts=1,
          moe_intermediate_size=32, first_k_dense_replace=1, pad_token_id=0, bos_token_id=1, eos_token_id=2)
DS_YARN = rope(10000.0, rope_type="yarn", factor=4.0, original_max_position_embeddings=16, beta_fast=32.0,
               beta_slow=1.0, mscale=0.707, mscale_all_dim=0.707)

FIXTURES = {
    # zoo I
    "gemma3_text_gqa_tied": spec(lambda s: (gemma3_text_config(), tf.Gemma3ForCausalLM)),
    "gemma3_text_mha_softcap": spec(lambda s: (gemma3_text_config(
        hidden_size=48, num_key_value_heads=4, head_dim=16, query_pre_attn_scalar=16, intermediate_size=96,
        vocab_size=200, tie_word_embeddings=False, final_logit_softcapping=30.0, attn_logit_softcapping=50.0,
        layer_types=["full_attention", "sliding_attention", "full_attention"],
        rope_parameters={"sliding_attention": rope(10000.0), "full_attention": rope(1000000.0)}),
        tf.Gemma3ForCausalLM)),
    "gemma3_multimodal_text": spec(gemma3_multimodal, after=published_wrapper_names(tf.Gemma3ForConditionalGeneration)),
    "glm4_gqa_bias": spec(lambda s: (cfg(tf.Glm4Config, head_dim=16, attention_bias=True, partial_rotary_factor=0.5,
                                         pad_token_id=0, eos_token_id=2,
                                         rope_parameters=rope(10000.0, partial_rotary_factor=0.5)),
                                     tf.Glm4ForCausalLM)),
    "glm4_mha_tied_quarter": spec(lambda s: (cfg(tf.Glm4Config, hidden_size=48, num_key_value_heads=4, head_dim=24,
                                                 intermediate_size=96, vocab_size=200, tie_word_embeddings=True,
                                                 attention_bias=False, partial_rotary_factor=0.25, pad_token_id=0,
                                                 eos_token_id=2,
                                                 rope_parameters=rope(500000.0, partial_rotary_factor=0.25)),
                                             tf.Glm4ForCausalLM)),
    "hunyuan_dense_gqa": spec(lambda s: (cfg(tf.HunYuanDenseV1Config, head_dim=16, use_qk_norm=True,
                                             rope_parameters=rope(10000.0)), tf.HunYuanDenseV1ForCausalLM)),
    "hunyuan_dense_alpha_tied": spec(lambda s: (cfg(tf.HunYuanDenseV1Config, hidden_size=48, num_key_value_heads=4,
                                                    head_dim=12,
                                                    intermediate_size=96, vocab_size=200, tie_word_embeddings=True,
                                                    attention_bias=True, use_qk_norm=True,
                                                    rope_parameters=rope(10000.0, rope_type="dynamic", alpha=1000.0,
                                                                         factor=1.0)),
                                                tf.HunYuanDenseV1ForCausalLM)),
    "seed_oss_gqa_bias": spec(lambda s: (cfg(tf.SeedOssConfig, head_dim=32, attention_bias=True,
                                             attention_out_bias=True, attention_dropout=0.0, residual_dropout=0.0,
                                             rope_parameters=rope(10000000.0)), tf.SeedOssForCausalLM)),
    "seed_oss_mha_tied": spec(lambda s: (cfg(tf.SeedOssConfig, hidden_size=48, num_key_value_heads=4, head_dim=12,
                                             intermediate_size=96, vocab_size=200, tie_word_embeddings=True,
                                             attention_bias=False, attention_out_bias=False, attention_dropout=0.0,
                                             residual_dropout=0.0, rope_parameters=rope(10000.0)),
                                         tf.SeedOssForCausalLM)),
    "internlm2_gqa": spec(lambda s: (cfg(tf.LlamaConfig, rope_parameters=rope(1000000.0)), tf.LlamaForCausalLM),
                          after=internlm2_from_llama),
    "internlm2_mha_bias_dynamic": spec(lambda s: (cfg(tf.LlamaConfig, num_key_value_heads=4, attention_bias=True,
                                                      max_position_embeddings=16,
                                                      rope_parameters=rope(10000.0, rope_type="dynamic", factor=2.0)),
                                                  tf.LlamaForCausalLM),
                                       lengths=[24, 12], batch_invariant=False, after=internlm2_from_llama),
    # zoo II
    "mixtral_top2": spec(lambda s: (cfg(tf.MixtralConfig, MOE, num_local_experts=4, num_experts_per_tok=2,
                                        rope_parameters=rope(1000000.0)), tf.MixtralForCausalLM)),
    "mixtral_top1_window": spec(lambda s: (cfg(tf.MixtralConfig, MOE, num_local_experts=3, num_experts_per_tok=1,
                                               sliding_window=8, head_dim=32, rope_parameters=rope(10000.0)),
                                           tf.MixtralForCausalLM)),
    "qwen2_moe_top2": spec(lambda s: (cfg(tf.Qwen2MoeConfig, MOE, num_experts=4, num_experts_per_tok=2,
                                          moe_intermediate_size=32, shared_expert_intermediate_size=48,
                                          norm_topk_prob=False, qkv_bias=True, rope_parameters=rope(1000000.0)),
                                      tf.Qwen2MoeForCausalLM)),
    "qwen2_moe_top1_sparse_step": spec(lambda s: (cfg(tf.Qwen2MoeConfig, MOE, num_hidden_layers=3, num_experts=3,
                                                      num_experts_per_tok=1, moe_intermediate_size=32,
                                                      shared_expert_intermediate_size=40, norm_topk_prob=True,
                                                      decoder_sparse_step=2, mlp_only_layers=[2],
                                                      tie_word_embeddings=True, rope_parameters=rope(10000.0)),
                                                  tf.Qwen2MoeForCausalLM)),
    "qwen3_moe_top2": spec(lambda s: (cfg(tf.Qwen3MoeConfig, MOE, head_dim=32, num_local_experts=4,
                                          num_experts_per_tok=2, moe_intermediate_size=32, norm_topk_prob=True,
                                          rope_parameters=rope(1000000.0)), tf.Qwen3MoeForCausalLM)),
    "qwen3_moe_top1_dense_layer": spec(lambda s: (cfg(tf.Qwen3MoeConfig, MOE, head_dim=16, num_local_experts=3,
                                                      num_experts_per_tok=1, moe_intermediate_size=32,
                                                      norm_topk_prob=False, mlp_only_layers=[0],
                                                      rope_parameters=rope(10000.0)), tf.Qwen3MoeForCausalLM)),
    "deepseek_v2_qlora_greedy": spec(lambda s: (cfg(tf.DeepseekV2Config, DS, topk_method="greedy",
                                                    routed_scaling_factor=1.0, rope_parameters=rope(10000.0)),
                                                tf.DeepseekV2ForCausalLM)),
    "deepseek_v2_lite_yarn_group": spec(lambda s: (cfg(tf.DeepseekV2Config, DS, q_lora_rank=None,
                                                       topk_method="group_limited_greedy", n_group=2, topk_group=1,
                                                       routed_scaling_factor=16.0, num_experts_per_tok=1,
                                                       n_shared_experts=2, max_position_embeddings=64,
                                                       rope_parameters=DS_YARN), tf.DeepseekV2ForCausalLM)),
    "deepseek_v3_group_bias": spec(lambda s: (cfg(tf.DeepseekV3Config, DS, n_routed_experts=8, n_group=2,
                                                  topk_group=1, norm_topk_prob=True, routed_scaling_factor=2.5,
                                                  rope_interleave=True, rope_parameters=rope(10000.0)),
                                              tf.DeepseekV3ForCausalLM)),
    "deepseek_v3_nolora_yarn": spec(lambda s: (cfg(tf.DeepseekV3Config, DS, q_lora_rank=None,
                                                            n_routed_experts=4, n_group=1, topk_group=1,
                                                            num_experts_per_tok=1,
                                                            norm_topk_prob=False, routed_scaling_factor=1.0,
                                                            max_position_embeddings=64, rope_parameters=DS_YARN),
                                                        tf.DeepseekV3ForCausalLM)),
    "glm4_moe_shared": spec(lambda s: (cfg(tf.Glm4MoeConfig, MOE, head_dim=16, n_routed_experts=4,
                                           num_experts_per_tok=2, n_shared_experts=1, moe_intermediate_size=32,
                                           first_k_dense_replace=1, routed_scaling_factor=2.5, n_group=1,
                                           topk_group=1, norm_topk_prob=True, attention_bias=True,
                                           partial_rotary_factor=0.5,
                                           rope_parameters=rope(1000000.0, partial_rotary_factor=0.5)),
                                       tf.Glm4MoeForCausalLM)),
    "glm4_moe_qk_norm_top1": spec(lambda s: (cfg(tf.Glm4MoeConfig, MOE, num_hidden_layers=3, head_dim=16,
                                                 n_routed_experts=4, num_experts_per_tok=1, n_shared_experts=1,
                                                 moe_intermediate_size=32, first_k_dense_replace=1,
                                                 routed_scaling_factor=1.0, n_group=2, topk_group=1,
                                                 norm_topk_prob=False, use_qk_norm=True, partial_rotary_factor=0.5,
                                                 rope_parameters=rope(10000.0, partial_rotary_factor=0.5)),
                                             tf.Glm4MoeForCausalLM)),
    "gpt_oss_top2": spec(lambda s: (cfg(tf.GptOssConfig, MOE, intermediate_size=64, head_dim=16,
                                        num_local_experts=4, num_experts_per_tok=2, sliding_window=6,
                                        layer_types=["sliding_attention", "full_attention"], attention_bias=True,
                                        rope_parameters=rope(150000.0, rope_type="yarn", factor=4.0, beta_fast=32.0,
                                                             beta_slow=1.0, truncate=False,
                                                             original_max_position_embeddings=16)),
                                    tf.GptOssForCausalLM), batch_invariant=True),
    "gpt_oss_mxfp4": spec(lambda s: (cfg(tf.GptOssConfig, MOE, intermediate_size=64, head_dim=16,
                                         num_local_experts=4, num_experts_per_tok=2, sliding_window=6,
                                         layer_types=["sliding_attention", "full_attention"], attention_bias=True,
                                         rope_parameters=rope(150000.0)), tf.GptOssForCausalLM),
                          after=gpt_oss_mxfp4),
    "llama4_text_chunked_nope": spec(lambda s: (cfg(tf.Llama4TextConfig, MOE, num_hidden_layers=4, head_dim=16,
                                                    intermediate_size=32, intermediate_size_mlp=96,
                                                    num_local_experts=4, num_experts_per_tok=1,
                                                    interleave_moe_layer_step=2, no_rope_layer_interval=2,
                                                    attention_chunk_size=8, use_qk_norm=True,
                                                    attn_temperature_tuning=True, floor_scale=4, attn_scale=0.1,
                                                    pad_token_id=0, bos_token_id=1, eos_token_id=2,
                                                    rope_parameters=rope(500000.0, rope_type="llama3", factor=8.0,
                                                                         low_freq_factor=1.0, high_freq_factor=4.0,
                                                                         original_max_position_embeddings=32)),
                                                tf.Llama4ForCausalLM)),
}
