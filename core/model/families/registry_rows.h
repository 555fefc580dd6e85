// The registry: one row per Hugging Face architecture icsweep implements. Adding a family is one
// family pair in this folder (core/model/families/<name>.{h,cpp} + <name>_config.cpp) and its rows
// here (docs/adding-a-family.md).
//
// ICSWEEP_FAMILY(architecture, model_type, family, splits, shape, loader):
//   architecture  config.json architectures[0]
//   model_type    config.json model_type (matched when a config names no architectures)
//   family        the family's name (ModelInfo::family, messages)
//   splits        whether its loader splits the layers across devices (`gpus: k`)
//   shape         its per-layer shape for the exact FLOPs profile (family_config.h FamilyShape)
//   loader        its loader (family_config.h FamilyLoader)
//
// One list, read twice: families/registry.cpp keeps every column but the loader (torch-free, so
// core/metrics can ask it without libtorch); load_causal_lm.cpp takes the loaders, row for row.
// No include guard on purpose: each reader defines ICSWEEP_FAMILY, includes this file, undefines it.
ICSWEEP_FAMILY("LlamaForCausalLM", "llama", "llama", true, llama_shape, load_llama)
ICSWEEP_FAMILY("MistralForCausalLM", "mistral", "llama", true, llama_shape, load_llama)
ICSWEEP_FAMILY("Qwen2ForCausalLM", "qwen2", "llama", true, llama_shape, load_llama)
ICSWEEP_FAMILY("SeedOssForCausalLM", "seed_oss", "llama", true, llama_shape, load_llama)
ICSWEEP_FAMILY("Qwen3ForCausalLM", "qwen3", "qwen3", true, qwen3_shape, load_qwen3)
ICSWEEP_FAMILY("Olmo2ForCausalLM", "olmo2", "olmo2", true, olmo2_shape, load_olmo2)
ICSWEEP_FAMILY("Olmo3ForCausalLM", "olmo3", "olmo3", true, olmo2_shape, load_olmo2)
ICSWEEP_FAMILY("GPT2LMHeadModel", "gpt2", "gpt2", false, gpt2_shape, load_gpt2)
ICSWEEP_FAMILY("GPTNeoXForCausalLM", "gpt_neox", "gpt_neox", false, gpt_neox_shape, load_gpt_neox)
ICSWEEP_FAMILY("Phi3ForCausalLM", "phi3", "phi3", false, phi3_shape, load_phi3)
ICSWEEP_FAMILY("Gemma3ForCausalLM", "gemma3_text", "gemma3", false, gemma3_shape, load_gemma3)
ICSWEEP_FAMILY("Gemma3ForConditionalGeneration", "gemma3", "gemma3", false, gemma3_shape, load_gemma3)
ICSWEEP_FAMILY("Glm4ForCausalLM", "glm4", "glm4", true, glm4_shape, load_glm4)
ICSWEEP_FAMILY("HunYuanDenseV1ForCausalLM", "hunyuan_v1_dense", "hunyuan_dense", false, hunyuan_dense_shape,
               load_hunyuan_dense)
ICSWEEP_FAMILY("InternLM2ForCausalLM", "internlm2", "internlm2", false, internlm2_shape, load_internlm2)
ICSWEEP_FAMILY("MixtralForCausalLM", "mixtral", "mixtral", true, mixtral_shape, load_mixtral)
ICSWEEP_FAMILY("Qwen2MoeForCausalLM", "qwen2_moe", "qwen2_moe", true, qwen2_moe_shape, load_qwen2_moe)
ICSWEEP_FAMILY("Qwen3MoeForCausalLM", "qwen3_moe", "qwen3_moe", true, qwen3_moe_shape, load_qwen3_moe)
ICSWEEP_FAMILY("DeepseekV2ForCausalLM", "deepseek_v2", "deepseek", true, deepseek_shape, load_deepseek)
ICSWEEP_FAMILY("DeepseekV3ForCausalLM", "deepseek_v3", "deepseek", true, deepseek_shape, load_deepseek)
ICSWEEP_FAMILY("Glm4MoeForCausalLM", "glm4_moe", "glm4_moe", true, glm4_moe_shape, load_glm4_moe)
ICSWEEP_FAMILY("GptOssForCausalLM", "gpt_oss", "gpt_oss", true, gpt_oss_shape, load_gpt_oss)
ICSWEEP_FAMILY("Llama4ForCausalLM", "llama4_text", "llama4", true, llama4_shape, load_llama4)
ICSWEEP_FAMILY("Llama4ForConditionalGeneration", "llama4", "llama4", true, llama4_shape, load_llama4)
ICSWEEP_FAMILY("Ministral3ForCausalLM", "ministral3", "ministral3", true, ministral3_shape, load_ministral3)
ICSWEEP_FAMILY("Mistral3ForConditionalGeneration", "mistral3", "ministral3", true, ministral3_shape, load_ministral3)
ICSWEEP_FAMILY("DeepseekV32ForCausalLM", "deepseek_v32", "deepseek", true, deepseek_shape, load_deepseek)
ICSWEEP_FAMILY("GlmMoeDsaForCausalLM", "glm_moe_dsa", "deepseek", true, deepseek_shape, load_deepseek)
// Model zoo III MoE families: ERNIE 4.5 MoE, Hunyuan-A13B, MiniMax-M2, Mistral 4.
ICSWEEP_FAMILY("Ernie4_5_MoeForCausalLM", "ernie4_5_moe", "ernie4_5_moe", true, ernie4_5_moe_shape,
               load_ernie4_5_moe)
ICSWEEP_FAMILY("HunYuanMoEV1ForCausalLM", "hunyuan_v1_moe", "hunyuan_moe", true, hunyuan_moe_shape, load_hunyuan_moe)
ICSWEEP_FAMILY("MiniMaxM2ForCausalLM", "minimax_m2", "minimax_m2", true, minimax_m2_shape, load_minimax_m2)
ICSWEEP_FAMILY("Mistral4ForCausalLM", "mistral4", "deepseek", true, deepseek_shape, load_deepseek)
// Dense 2026 families (model zoo III): Granite, ERNIE 4.5, StableLM, Falcon.
ICSWEEP_FAMILY("GraniteForCausalLM", "granite", "granite", true, granite_shape, load_granite)
ICSWEEP_FAMILY("Ernie4_5ForCausalLM", "ernie4_5", "ernie4_5", true, ernie4_5_shape, load_ernie4_5)
ICSWEEP_FAMILY("StableLmForCausalLM", "stablelm", "stablelm", true, stablelm_shape, load_stablelm)
ICSWEEP_FAMILY("FalconForCausalLM", "falcon", "falcon", false, falcon_shape, load_falcon)
ICSWEEP_FAMILY("SmolLM3ForCausalLM", "smollm3", "smollm3", true, smollm3_shape, load_smollm3)
// State-space and short-convolution hybrids: Falcon-H1, Granite 4, LFM2 (core/model/mamba2.h).
ICSWEEP_FAMILY("FalconH1ForCausalLM", "falcon_h1", "falcon_h1", true, falcon_h1_shape, load_falcon_h1)
ICSWEEP_FAMILY("GraniteMoeHybridForCausalLM", "granitemoehybrid", "granitemoehybrid", true, granitemoehybrid_shape,
               load_granitemoehybrid)
ICSWEEP_FAMILY("Lfm2ForCausalLM", "lfm2", "lfm2", true, lfm2_shape, load_lfm2)
ICSWEEP_FAMILY("Lfm2VlForConditionalGeneration", "lfm2_vl", "lfm2", true, lfm2_shape, load_lfm2)
// Gated DeltaNet hybrids: Qwen3.5 (dense and MoE, text-only and multimodal wrappers) and Qwen3-Next.
ICSWEEP_FAMILY("Qwen3_5ForCausalLM", "qwen3_5_text", "qwen3_5", true, qwen3_5_shape, load_qwen3_5)
ICSWEEP_FAMILY("Qwen3_5ForConditionalGeneration", "qwen3_5", "qwen3_5", true, qwen3_5_shape, load_qwen3_5)
ICSWEEP_FAMILY("Qwen3_5MoeForCausalLM", "qwen3_5_moe_text", "qwen3_5", true, qwen3_5_shape, load_qwen3_5)
ICSWEEP_FAMILY("Qwen3_5MoeForConditionalGeneration", "qwen3_5_moe", "qwen3_5", true, qwen3_5_shape, load_qwen3_5)
ICSWEEP_FAMILY("Qwen3NextForCausalLM", "qwen3_next", "qwen3_5", true, qwen3_5_shape, load_qwen3_5)
// Gemma 4 (model zoo III): the text model, and the multimodal wrapper scored on its text model.
ICSWEEP_FAMILY("Gemma4ForCausalLM", "gemma4_text", "gemma4", false, gemma4_shape, load_gemma4)
ICSWEEP_FAMILY("Gemma4ForConditionalGeneration", "gemma4", "gemma4", false, gemma4_shape, load_gemma4)
