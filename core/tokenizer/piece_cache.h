// Thread-safe cache: pre-tokenized piece -> ids, shared by all threads using one tokenizer.
// Direct-mapped slots grouped in mutex-guarded shards: a lookup hashes the bytes once, takes one
// uncontended lock in the common case, and never allocates; an insert simply replaces whatever
// piece held the slot (pieces repeat heavily, so hot ones stay resident).
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace icsweep {

class PieceCache {
 public:
  static constexpr size_t kMaxPieceBytes = 48;  // longer pieces are rare; skipping them bounds memory
  static constexpr size_t kMaxIds = 12;         // pieces producing more ids are not cached

  PieceCache() : shards_(kShards) {}

  bool lookup(std::string_view piece, std::vector<int32_t>* ids) const {
    if (piece.size() > kMaxPieceBytes) return false;
    const uint64_t h = hash(piece);
    Shard& shard = shards_[h % kShards];
    std::lock_guard<std::mutex> lock(shard.mutex);
    const Slot& slot = shard.slots[(h / kShards) % kSlotsPerShard];
    if (slot.hash != h || slot.key_length != piece.size() || std::memcmp(slot.key, piece.data(), piece.size()) != 0) {
      return false;
    }
    ids->insert(ids->end(), slot.ids, slot.ids + slot.id_count);
    return true;
  }

  void insert(std::string_view piece, const int32_t* ids, size_t count) const {
    if (piece.size() > kMaxPieceBytes || count > kMaxIds) return;
    const uint64_t h = hash(piece);
    Shard& shard = shards_[h % kShards];
    std::lock_guard<std::mutex> lock(shard.mutex);
    Slot& slot = shard.slots[(h / kShards) % kSlotsPerShard];
    slot.hash = h;
    slot.key_length = static_cast<uint8_t>(piece.size());
    slot.id_count = static_cast<uint8_t>(count);
    std::memcpy(slot.key, piece.data(), piece.size());
    std::memcpy(slot.ids, ids, count * sizeof(int32_t));
  }

 private:
  static constexpr size_t kShards = 64;
  static constexpr size_t kSlotsPerShard = 2048;  // 128 Ki slots, ~13 MB per tokenizer

  struct Slot {
    uint64_t hash = 0;
    uint8_t key_length = 0xFF;  // never equals a cached length: the slot starts empty
    uint8_t id_count = 0;
    char key[kMaxPieceBytes];
    int32_t ids[kMaxIds];
  };
  struct Shard {
    std::mutex mutex;
    std::array<Slot, kSlotsPerShard> slots;
  };

  // FNV-1a with a final mix: cheap for short pieces, well spread over shards and slots.
  static uint64_t hash(std::string_view piece) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : piece) h = (h ^ c) * 0x100000001b3ULL;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    return h ^ (h >> 32);
  }

  mutable std::vector<Shard> shards_;
};

}  // namespace icsweep
