// Values of the config language as plugins receive them, with their source locations.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace sluice {

// One config source (a file, or the -e string). Kept alive by every location pointing into it.
struct SourceFile {
  std::string path;  // "config string" for -e
  std::string text;  // the text as read (${VAR} substitution is applied to values, not here)
  // The text of 1-based line `line`, without its newline.
  std::string line_text(uint32_t line) const;
};

struct SourceLoc {
  std::shared_ptr<const SourceFile> file;
  uint32_t line = 0;    // 1-based; 0 = unknown
  uint32_t column = 0;  // 1-based, in bytes
  uint32_t offset = 0;  // 0-based byte offset
  std::string describe() const;  // "path:line:column"
};

struct PluginDecl;

struct ConfigValue {
  enum class Kind { Null, Bool, Integer, Float, String, Array, Hash, Plugin };
  Kind kind = Kind::Null;
  bool boolean = false;
  int64_t integer = 0;
  double number = 0;
  std::string string;     // String; for Integer/Float also the source text
  bool bareword = false;  // String written as a bareword
  std::vector<ConfigValue> array;
  std::vector<std::pair<ConfigValue, ConfigValue>> hash;  // keys: String or Integer, in order
  std::shared_ptr<PluginDecl> plugin;                     // Kind::Plugin (`codec => json {...}`)
  SourceLoc loc;

  // The special members are defined out of line (config_value.cpp): defined inline they would need
  // std::pair<ConfigValue, ConfigValue> (the `hash` element) complete inside this class, which clang
  // with libstdc++ rejects.
  ConfigValue();
  ~ConfigValue();
  ConfigValue(const ConfigValue&);
  ConfigValue(ConfigValue&&) noexcept;
  ConfigValue& operator=(const ConfigValue&);
  ConfigValue& operator=(ConfigValue&&) noexcept;

  static ConfigValue make_string(std::string s, SourceLoc l = {});
  static ConfigValue make_integer(int64_t i, SourceLoc l = {});
  static ConfigValue make_float(double d, SourceLoc l = {});
  static ConfigValue make_bool(bool b, SourceLoc l = {});
  static ConfigValue make_array(std::vector<ConfigValue> a, SourceLoc l = {});
  static ConfigValue make_hash(std::vector<std::pair<ConfigValue, ConfigValue>> h, SourceLoc l = {});

  bool is_string() const { return kind == Kind::String; }
  bool is_number() const { return kind == Kind::Integer || kind == Kind::Float; }
  // Logstash-ish rendering for messages and --config.debug: "x", 12, [1, 2], {"a" => 1}.
  std::string to_display() const;
  // The plain string form (string value, number text, bool text); arrays/hashes: to_display().
  std::string to_plain_string() const;
  const char* kind_name() const;
};

struct Attribute {
  std::string name;
  SourceLoc loc;  // of the name
  ConfigValue value;
};

struct PluginDecl {
  std::string name;
  SourceLoc loc;  // of the name
  std::vector<Attribute> attributes;
};

}  // namespace sluice
