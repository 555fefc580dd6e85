#include "core/model/fp8_store.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <unordered_map>

#include "core/common/errors.h"

namespace icsweep {

// One placeholder: the tensors whose rows it concatenates (one, unless fused) and its storage.
struct Fp8Store::Slot {
  struct Part {
    Fp8Weight fp8;        // codes defined: an FP8 weight
    torch::Tensor plain;  // else a weight loaded as stored (a fused group mixing both)
    int64_t row = 0;      // first row in the slot
  };
  std::vector<Part> parts;
  c10::Storage storage;                          // the placeholder's; null data until materialized
  torch::ScalarType dtype = torch::kFloat32;
  torch::Device device = torch::kCPU;
  int64_t rows = 0, cols = 0, layer = -1;
  int users = 0;                                 // open materialize() scopes
  bool quantize_input = false;                   // w8a8 and every part FP8
  Fp8InputQuant quant;
  Fp8Store* store = nullptr;
};

namespace {

// Every live placeholder storage -> its slot; linear() reads it, loads write it.
std::mutex registry_mutex;
std::unordered_map<const c10::StorageImpl*, Fp8Store::Slot*>& registry() {
  static std::unordered_map<const c10::StorageImpl*, Fp8Store::Slot*> slots;
  return slots;
}
std::atomic<int64_t> w8a8_slots{0};  // registered slots that quantize their input (linear()'s fast path)

void register_slot(Fp8Store::Slot* slot) {
  std::lock_guard<std::mutex> lock(registry_mutex);
  registry()[slot->storage.unsafeGetStorageImpl()] = slot;
  if (slot->quantize_input) ++w8a8_slots;
}

void unregister_slot(Fp8Store::Slot* slot) {
  std::lock_guard<std::mutex> lock(registry_mutex);
  if (registry().erase(slot->storage.unsafeGetStorageImpl()) && slot->quantize_input) --w8a8_slots;
}

Fp8Store::Slot* find_slot(const torch::Tensor& t) {
  if (!t.defined() || !t.has_storage()) return nullptr;
  std::lock_guard<std::mutex> lock(registry_mutex);
  auto it = registry().find(t.storage().unsafeGetStorageImpl());
  return it == registry().end() ? nullptr : it->second;
}

// (rows, cols) of `dtype` on `device` whose storage claims the bytes but holds none.
torch::Tensor make_placeholder(int64_t rows, int64_t cols, torch::ScalarType dtype, torch::Device device) {
  auto t = torch::empty({0}, torch::TensorOptions().dtype(dtype).device(device));
  const size_t nbytes = static_cast<size_t>(rows * cols) * torch::elementSize(dtype);
  c10::Storage storage(c10::Storage::use_byte_size_t(), nbytes, c10::DataPtr(nullptr, device), nullptr, false);
  t.unsafeGetTensorImpl()->set_storage_keep_dtype(std::move(storage));
  t.unsafeGetTensorImpl()->set_sizes_contiguous({rows, cols});
  return t;
}

// How the slot's input is quantized in w8a8 mode: the format's way; static scales: the parts' largest.
void set_quantization(Fp8Store::Slot& slot, const Fp8Format& format, Fp8Mode mode) {
  slot.quantize_input = mode == Fp8Mode::kW8a8 && format.activations != Fp8Activations::kNone;
  slot.quant.how = format.activations;
  slot.quant.group = format.act_group;
  for (const auto& p : slot.parts) {
    if (!p.fp8.codes.defined()) slot.quantize_input = false;  // a plain part: no FP8 GEMM for the group
    else if (p.fp8.activation_scale.defined())
      slot.quant.static_scale = slot.quant.static_scale.defined()
                                    ? torch::maximum(slot.quant.static_scale, p.fp8.activation_scale)
                                    : p.fp8.activation_scale;
  }
}

}  // namespace

Fp8Store::Fp8Store(Fp8Format format, Fp8Mode mode) : format_(std::move(format)), mode_(mode) {
  if (mode_ == Fp8Mode::kAuto) throw std::logic_error("Fp8Store: resolve the fp8 mode before loading");
}

Fp8Store::~Fp8Store() {
  for (auto& s : slots_) unregister_slot(s.get());
}

torch::Tensor Fp8Store::add(Fp8Weight w, torch::ScalarType dtype) {
  auto slot = std::make_unique<Slot>();
  slot->dtype = dtype;
  slot->device = w.codes.device();
  slot->rows = w.rows(), slot->cols = w.cols();
  slot->layer = layer_of_tensor(w.name);
  slot->store = this;
  auto placeholder = make_placeholder(slot->rows, slot->cols, dtype, slot->device);
  slot->storage = placeholder.storage();
  slot->parts.push_back({std::move(w), {}, 0});
  set_quantization(*slot, format_, mode_);
  register_slot(slot.get());
  slots_.push_back(std::move(slot));
  return placeholder;
}

bool Fp8Store::fuse(std::initializer_list<torch::Tensor*> parts, torch::Tensor& fused) {
  Slot* first = nullptr;
  for (auto* p : parts)
    if (Slot* s = find_slot(*p); s && !first) first = s;
  if (!first) return false;
  Fp8Store& store = *first->store;
  auto slot = std::make_unique<Slot>();
  slot->dtype = first->dtype, slot->device = first->device, slot->cols = first->cols, slot->layer = first->layer;
  slot->store = &store;
  for (auto* p : parts) {
    if (p->dim() != 2 || p->size(1) != slot->cols)
      throw ModelError("fusing FP8 weights of layer " + std::to_string(slot->layer) + ": parts of " +
                       std::to_string(slot->cols) + " and " + std::to_string(p->size(-1)) + " columns");
    if (Slot* s = find_slot(*p)) {
      for (auto& part : s->parts) slot->parts.push_back({std::move(part.fp8), {}, slot->rows + part.row});
      unregister_slot(s);
      store.slots_.erase(std::find_if(store.slots_.begin(), store.slots_.end(),
                                      [s](const std::unique_ptr<Slot>& u) { return u.get() == s; }));
    } else {
      slot->parts.push_back({{}, p->to(slot->dtype), slot->rows});
    }
    slot->rows += p->size(0);
    *p = torch::Tensor();
  }
  fused = make_placeholder(slot->rows, slot->cols, slot->dtype, slot->device);
  slot->storage = fused.storage();
  set_quantization(*slot, store.format_, store.mode_);
  register_slot(slot.get());
  store.slots_.push_back(std::move(slot));
  return true;
}

void Fp8Store::finish_loading() {
  by_layer_.clear();
  for (auto& s : slots_) by_layer_[s->layer].push_back(s.get());
  if (by_layer_.count(-1)) materialize(-1);
}

void Fp8Store::materialize(int64_t layer) {
  auto it = by_layer_.find(layer);
  if (it == by_layer_.end()) return;
  for (Slot* s : it->second) {
    if (s->users++ > 0) continue;
    auto full = torch::empty({s->rows, s->cols}, torch::TensorOptions().dtype(s->dtype).device(s->device));
    for (const auto& p : s->parts) {
      auto rows = full.narrow(0, p.row, p.fp8.codes.defined() ? p.fp8.rows() : p.plain.size(0));
      rows.copy_(p.fp8.codes.defined() ? dequantize_fp8(p.fp8, s->dtype) : p.plain);
    }
    // The placeholder's storage takes full's memory; full is left without any.
    auto memory = full.storage().unsafeGetStorageImpl()->set_data_ptr(c10::DataPtr(nullptr, s->device));
    s->storage.set_data_ptr_noswap(std::move(memory));
  }
}

void Fp8Store::release(int64_t layer) {
  auto it = by_layer_.find(layer);
  if (it == by_layer_.end()) return;
  for (Slot* s : it->second)
    if (s->users > 0 && --s->users == 0) s->storage.set_data_ptr_noswap(c10::DataPtr(nullptr, s->device));
}

int64_t Fp8Store::resident_bytes() const {
  int64_t bytes = 0;
  for (const auto& s : slots_)
    for (const auto& p : s->parts)
      if (p.fp8.codes.defined()) bytes += p.fp8.resident_bytes();
  return bytes;
}

int64_t Fp8Store::num_weights() const {
  int64_t n = 0;
  for (const auto& s : slots_)
    for (const auto& p : s->parts) n += p.fp8.codes.defined() ? 1 : 0;
  return n;
}

bool Fp8Store::is_placeholder(const torch::Tensor& t) { return find_slot(t) != nullptr; }

const Fp8InputQuant* Fp8Store::input_quantization(const torch::Tensor& weight) {
  if (w8a8_slots.load(std::memory_order_relaxed) == 0) return nullptr;
  const Slot* s = find_slot(weight);
  return s && s->quantize_input ? &s->quant : nullptr;
}

}  // namespace icsweep
