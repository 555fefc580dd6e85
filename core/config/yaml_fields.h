// Typed, position-aware reading of yaml-cpp nodes for the sweep loader. Problems are collected (not
// thrown) so one run reports every mistake in the file; each carries the 1-based line and column of
// the offending key or value. Uses only yaml-cpp API present in 0.7 and 0.8.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace icsweep::config_detail {

struct Position {
  int line = 1;    // 1-based
  int column = 1;  // 1-based
};

Position position_of(const YAML::Node& node, Position fallback = {});

class Problems {
 public:
  explicit Problems(std::string file) : file_(std::move(file)) {}
  void add(Position where, const std::string& key, const std::string& what);
  bool empty() const { return items_.empty(); }
  // Throws ConfigError with the first problem's position and every problem in the message.
  [[noreturn]] void throw_all() const;

 private:
  struct Item {
    Position where;
    std::string text;  // "key 'x': what"
  };
  std::string file_;
  std::vector<Item> items_;
};

// Levenshtein distance, for "did you mean" suggestions.
size_t edit_distance(const std::string& a, const std::string& b);
// The closest of `candidates` to `word` if close enough to be a plausible typo, else "".
std::string closest_key(const std::string& word, const std::vector<std::string>& candidates);

// One YAML mapping being read: reports unknown and duplicate keys when constructed, then hands out
// typed values. `path` names the mapping in messages, e.g. "models[2]".
class MappingReader {
 public:
  // `elsewhere` lists (section, keys) of other sections, to say "belongs in settings" for a key
  // written in the wrong place.
  MappingReader(const YAML::Node& mapping, std::string path, const std::vector<std::string>& known_keys,
                const std::vector<std::pair<std::string, const std::vector<std::string>*>>& elsewhere,
                Problems* problems);

  bool has(const std::string& key) const;
  Position key_position(const std::string& key) const;
  Position position() const { return position_; }
  std::string key_path(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  const YAML::Node* value(const std::string& key) const;

  // Each returns nullopt when the key is absent or its value has the wrong type (then a problem
  // is recorded).
  std::optional<std::string> string(const std::string& key) const;
  std::optional<int64_t> integer(const std::string& key) const;
  std::optional<double> number(const std::string& key) const;
  std::optional<bool> boolean(const std::string& key) const;

  void require(const std::string& key) const;  // records "missing required key"
  void problem(const std::string& key, const std::string& what) const;

 private:
  struct Entry {
    std::string key;
    YAML::Node key_node;
    YAML::Node value;
  };
  const Entry* find(const std::string& key) const;
  bool scalar_or_report(const Entry& entry, const char* expected) const;

  std::string path_;
  Position position_;
  std::vector<Entry> entries_;
  Problems* problems_;
};

std::string describe_node_type(const YAML::Node& node);

}  // namespace icsweep::config_detail
