// Thread-safe cache: pre-tokenized piece -> ids, shared by all threads using one tokenizer.
// Sharded by hash so that concurrent encoders rarely contend; each shard is bounded and simply
// cleared when full (pieces repeat heavily, so a cold shard refills fast).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace icsweep {

class PieceCache {
 public:
  static constexpr size_t kMaxPieceBytes = 64;  // longer pieces are rare and cheap to skip

  bool lookup(std::string_view piece, std::vector<int32_t>* ids) const {
    if (piece.size() > kMaxPieceBytes) return false;
    const size_t h = std::hash<std::string_view>()(piece);
    Shard& shard = shards_[h % kShards];
    std::lock_guard<std::mutex> lock(shard.mutex);
    const auto it = shard.map.find(std::string(piece));
    if (it == shard.map.end()) return false;
    ids->insert(ids->end(), it->second.begin(), it->second.end());
    return true;
  }

  void insert(std::string_view piece, const int32_t* ids, size_t count) const {
    if (piece.size() > kMaxPieceBytes) return;
    const size_t h = std::hash<std::string_view>()(piece);
    Shard& shard = shards_[h % kShards];
    std::lock_guard<std::mutex> lock(shard.mutex);
    if (shard.map.size() >= kShardCapacity) shard.map.clear();
    shard.map.emplace(std::string(piece), std::vector<int32_t>(ids, ids + count));
  }

 private:
  static constexpr size_t kShards = 64;
  static constexpr size_t kShardCapacity = 4096;
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, std::vector<int32_t>> map;
  };
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace icsweep
