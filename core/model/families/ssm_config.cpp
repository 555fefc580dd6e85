#include "core/model/families/ssm_config.h"

#include <nlohmann/json.hpp>

#include "core/common/errors.h"

namespace icsweep {
namespace {

// One time_step_limit bound: a number, or transformers 5's spelling of a float JSON has no literal
// for ({"__float__": "Infinity"}; also a bare string "Infinity", "-Infinity", "NaN").
double json_float(const HfConfig& config, const nlohmann::json& v) {
  if (v.is_number()) return v.get<double>();
  const nlohmann::json* text = &v;
  if (v.is_object() && v.contains("__float__")) text = &v["__float__"];
  if (text->is_string()) {
    const std::string s = text->get<std::string>();
    if (s == "Infinity" || s == "inf") return std::numeric_limits<double>::infinity();
    if (s == "-Infinity" || s == "-inf") return -std::numeric_limits<double>::infinity();
  }
  throw ModelError(config.source() + ": time_step_limit should hold two numbers, got " + v.dump());
}

}  // namespace

Mamba2Dims Mamba2Dims::from_hf(const HfConfig& config, int64_t intermediate) {
  Mamba2Dims d;
  d.heads = config.get_int("mamba_n_heads");
  if (d.heads <= 0) throw ModelError(config.source() + ": mamba_n_heads must be positive");
  // The config classes replace "auto" by intermediate // heads in __post_init__ (and save the number).
  // Absent or "auto" (the class default): that quotient.
  const auto written = config.json().find("mamba_d_head");
  const bool number = written != config.json().end() && written->is_number_integer();
  d.head_dim = number ? config.get_int("mamba_d_head") : intermediate / d.heads;
  d.groups = config.get_int("mamba_n_groups");
  d.state = config.get_int("mamba_d_state");
  d.conv_kernel = config.get_int("mamba_d_conv");
  d.chunk = config.get_int("mamba_chunk_size");
  // time_step_limit (default (0, inf)); null: no clamp (transformers' torch fallback fails on None).
  const auto limit = config.json().find("time_step_limit");
  if (limit != config.json().end() && !limit->is_null()) {
    if (!limit->is_array() || limit->size() != 2)
      throw ModelError(config.source() + ": time_step_limit should hold two numbers, got " + limit->dump());
    d.dt_min = json_float(config, (*limit)[0]), d.dt_max = json_float(config, (*limit)[1]);
  }
  if (d.heads * d.head_dim != intermediate)
    throw ModelError(config.source() + ": mamba_n_heads (" + std::to_string(d.heads) + ") × mamba_d_head (" +
                     std::to_string(d.head_dim) + ") must equal the Mamba intermediate size " +
                     std::to_string(intermediate) + " (transformers refuses it too)");
  if (d.groups <= 0 || d.heads % d.groups != 0 || d.state <= 0 || d.conv_kernel <= 0 || d.chunk <= 0)
    throw ModelError(config.source() + ": mamba_n_groups (" + std::to_string(d.groups) +
                     ") must divide mamba_n_heads, and mamba_d_state, mamba_d_conv, mamba_chunk_size be positive");
  return d;
}

LayerShape mamba2_layer(int64_t hidden, const Mamba2Dims& dims, LayerShape l) {
  l.ssm_proj_weights = hidden * dims.in_proj_dim() + dims.intermediate() * hidden;
  l.conv_channels = dims.conv_dim();
  l.conv_kernel = dims.conv_kernel;
  l.ssd_heads = dims.heads;
  l.ssd_head_dim = dims.head_dim;
  l.ssd_groups = dims.groups;
  l.ssd_state = dims.state;
  l.ssd_chunk = dims.chunk;
  return l;
}

LayerShape short_conv_layer(int64_t hidden, int64_t kernel) {
  LayerShape l;
  l.ssm_proj_weights = hidden * 3 * hidden + hidden * hidden;
  l.conv_channels = hidden;
  l.conv_kernel = kernel;
  return l;
}

}  // namespace icsweep
