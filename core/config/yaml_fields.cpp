#include "core/config/yaml_fields.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "core/common/errors.h"

namespace icsweep::config_detail {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// yaml-cpp gives plain scalars the tag "?" and quoted ones "!": a quoted "1024" is a string.
bool is_quoted(const YAML::Node& node) { return node.Tag() == "!"; }

}  // namespace

Position position_of(const YAML::Node& node, Position fallback) {
  const YAML::Mark mark = node.Mark();
  if (mark.line < 0 || mark.column < 0) return fallback;
  return {mark.line + 1, mark.column + 1};
}

std::string describe_node_type(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null: return "nothing (null)";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Scalar: return is_quoted(node) ? "the string \"" + node.Scalar() + "\"" : "'" + node.Scalar() + "'";
    default: return "an undefined value";
  }
}

void Problems::add(Position where, const std::string& key, const std::string& what) {
  items_.push_back({where, key.empty() ? what : "key '" + key + "': " + what});
}

void Problems::throw_all() const {
  const Item& first = items_.front();
  std::ostringstream message;
  message << first.text;
  for (size_t i = 1; i < items_.size(); ++i) {
    message << "\n" << file_ << ":" << items_[i].where.line << ":" << items_[i].where.column << ": " << items_[i].text;
  }
  if (items_.size() > 1) message << "\n(" << items_.size() << " problems in " << file_ << ")";
  throw ConfigError(file_, first.where.line, first.where.column, message.str());
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> previous(b.size() + 1), current(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
    }
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::string closest_key(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::string::npos;
  for (const auto& candidate : candidates) {
    const size_t distance = edit_distance(lower(word), candidate);
    if (distance < best_distance) best_distance = distance, best = candidate;
  }
  // A typo changes a few characters; allow more for longer keys (max_sample_len -> max_sample_length).
  const size_t allowed = std::max<size_t>(2, best.size() / 3);
  return best_distance <= allowed ? best : "";
}

MappingReader::MappingReader(const YAML::Node& mapping, std::string path, const std::vector<std::string>& known_keys,
                             const std::vector<std::pair<std::string, const std::vector<std::string>*>>& elsewhere,
                             Problems* problems)
    : path_(std::move(path)), position_(position_of(mapping)), problems_(problems) {
  for (auto it = mapping.begin(); it != mapping.end(); ++it) {
    const YAML::Node key_node = it->first;
    const Position where = position_of(key_node, position_);
    if (!key_node.IsScalar()) {
      problems_->add(where, path_, "keys must be plain names, got " + describe_node_type(key_node));
      continue;
    }
    const std::string key = key_node.Scalar();
    if (const Entry* earlier = find(key)) {
      problems_->add(where, key_path(key), "appears twice in " + (path_.empty() ? std::string("the file") : path_) +
                                               " (first at line " + std::to_string(position_of(earlier->key_node).line) + ")");
      continue;
    }
    if (std::find(known_keys.begin(), known_keys.end(), key) == known_keys.end()) {
      std::string hint;
      const std::string suggestion = closest_key(key, known_keys);
      if (!suggestion.empty()) hint = "; did you mean '" + suggestion + "'?";
      for (const auto& [section, keys] : elsewhere) {
        if (hint.empty() && std::find(keys->begin(), keys->end(), key) != keys->end()) {
          hint = "; '" + key + "' belongs in " + section;
        }
      }
      std::string known;
      for (const auto& k : known_keys) known += (known.empty() ? "" : ", ") + k;
      problems_->add(where, key_path(key), "unknown key" + hint + " (known keys: " + known + ")");
      continue;
    }
    entries_.push_back({key, key_node, it->second});
  }
}

const MappingReader::Entry* MappingReader::find(const std::string& key) const {
  for (const auto& entry : entries_) {
    if (entry.key == key) return &entry;
  }
  return nullptr;
}

bool MappingReader::has(const std::string& key) const { return find(key) != nullptr; }

Position MappingReader::key_position(const std::string& key) const {
  const Entry* entry = find(key);
  return entry ? position_of(entry->key_node, position_) : position_;
}

const YAML::Node* MappingReader::value(const std::string& key) const {
  const Entry* entry = find(key);
  return entry ? &entry->value : nullptr;
}

void MappingReader::problem(const std::string& key, const std::string& what) const {
  const Entry* entry = find(key);
  const Position where = entry ? position_of(entry->value, position_of(entry->key_node, position_)) : position_;
  problems_->add(where, key_path(key), what);
}

void MappingReader::require(const std::string& key) const {
  if (!has(key)) problems_->add(position_, key_path(key), "missing required key");
}

bool MappingReader::scalar_or_report(const Entry& entry, const char* expected) const {
  if (entry.value.IsScalar()) return true;
  problem(entry.key, std::string("expected ") + expected + ", got " + describe_node_type(entry.value));
  return false;
}

std::optional<std::string> MappingReader::string(const std::string& key) const {
  const Entry* entry = find(key);
  if (!entry || !scalar_or_report(*entry, "a string")) return std::nullopt;
  return entry->value.Scalar();
}

std::optional<int64_t> MappingReader::integer(const std::string& key) const {
  const Entry* entry = find(key);
  if (!entry || !scalar_or_report(*entry, "an integer")) return std::nullopt;
  const std::string& text = entry->value.Scalar();
  const bool digits = !text.empty() && std::all_of(text.begin() + (text[0] == '-' || text[0] == '+'), text.end(),
                                                   [](unsigned char c) { return std::isdigit(c); });
  errno = 0;
  char* end = nullptr;
  const long long value = digits && !is_quoted(entry->value) ? std::strtoll(text.c_str(), &end, 10) : 0;
  if (!digits || is_quoted(entry->value) || errno == ERANGE || (text.size() == 1 && !std::isdigit(static_cast<unsigned char>(text[0])))) {
    problem(key, "expected an integer, got " + describe_node_type(entry->value));
    return std::nullopt;
  }
  return static_cast<int64_t>(value);
}

std::optional<double> MappingReader::number(const std::string& key) const {
  const Entry* entry = find(key);
  if (!entry || !scalar_or_report(*entry, "a number")) return std::nullopt;
  const std::string& text = entry->value.Scalar();
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (is_quoted(entry->value) || text.empty() || end != text.c_str() + text.size() || !std::isfinite(value) ||
      std::isspace(static_cast<unsigned char>(text[0]))) {
    problem(key, "expected a number, got " + describe_node_type(entry->value));
    return std::nullopt;
  }
  return value;
}

std::optional<bool> MappingReader::boolean(const std::string& key) const {
  const Entry* entry = find(key);
  if (!entry || !scalar_or_report(*entry, "true or false")) return std::nullopt;
  const std::string text = lower(entry->value.Scalar());
  if (!is_quoted(entry->value)) {
    if (text == "true" || text == "yes" || text == "on") return true;
    if (text == "false" || text == "no" || text == "off") return false;
  }
  problem(key, "expected true or false, got " + describe_node_type(entry->value));
  return std::nullopt;
}

}  // namespace icsweep::config_detail
