// model.safetensors.index.json of a sharded checkpoint, read without torch: the planner (dtype auto)
// and the weights loader (core/model/safetensors.h) read it through this one function.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>

namespace icsweep {

struct SafetensorsIndex {
  nlohmann::json metadata = nlohmann::json::object();  // "metadata" (e.g. total_size, dtype); {} when absent
  std::map<std::string, std::string> weight_map;       // tensor name -> shard file name
};

// ModelError naming the file when it is not JSON, has no object 'weight_map', or maps a tensor to
// something other than a file name.
SafetensorsIndex read_safetensors_index(const std::string& path);

}  // namespace icsweep
