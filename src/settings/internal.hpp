// What the files of src/settings/ share among themselves (nothing outside this folder includes it).
// Resolution is split along its seams, one file each:
//   table.cpp          the table of every known setting (type, default, pipelines.yml, use) and the
//                      lookups over it; known_settings(), describe_setting(), env_setting_name()
//   values.cpp         values as they come in (YAML, command line, environment), their validation
//                      and canonical form (normalize()), Logstash's value syntaxes (bytes, durations)
//   substitute.cpp     ${VAR} and ${VAR:default}, and Logstash's refinement of substituted values
//   store.cpp          the resolved settings map: apply() through the table, lookups with defaults,
//                      warnings given once, "did you mean"
//   host.cpp           what resolution reads from the machine: files, the host name, the CPU count
//   pipeline_spec.cpp  a PipelineSpec (and its fingerprint) from merged settings
//   pipelines_yml.cpp  pipelines.yml: its shape, allowed keys, one pipeline per entry
//   api.cpp            the monitoring API's settings: TLS and basic-auth checks, the password policy
//   resolve.cpp        resolve() and reload_pipelines(): defaults < logstash.yml < env < command line
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "settings/settings.hpp"
#include "settings/yaml.hpp"

namespace sluice::settings::detail {

// ---- table.cpp --------------------------------------------------------------------------------------

enum class Type {
  String,       // any scalar, kept as written
  Path,         // a file or directory path
  OptString,    // a string that may be absent
  Password,     // a string never echoed in messages or fingerprints
  Bool,         // true/false (YAML also yes/no/on/off)
  PositiveInt,  // > 0
  NonNegInt,    // >= 0
  Bytes,        // "64mb"; a YAML integer is a count of bytes
  Duration,     // "3s"; a YAML integer is nanoseconds (deprecated, warned)
  Enum,         // one of `options`
  Debug,        // config.debug: true, false or dot
  PortRange,    // "9600" or "9600-9700"
  StringArray,  // a list of strings, or one string
  Age,          // dead_letter_queue.retain.age: <number>d|h|m|s
  Any,          // ignored settings: not validated
};

enum class Use { Used, Ignored, Alias };

struct Def {
  const char* name;
  Type type;
  const char* default_value;  // "" = none; "<...>" = computed (see docs)
  std::vector<const char*> options;
  bool pipeline;  // allowed in pipelines.yml
  Use use;
  const char* note;  // Ignored: why; Alias: the canonical name
};

// A family accepted by prefix (xpack.*, ...), each member ignored with one warning.
struct Family {
  const char* prefix;
  const char* note;
};

// Every setting Sluice knows: used, ignored on purpose, deprecated aliases.
const std::vector<Def>& defs();
const std::vector<Family>& families();
// The table's entry for a name, or nullptr.
const Def* find_def(const std::string& name);
// The family a name belongs to (a prefix and at least one more character), or nullptr.
const Family* find_family(const std::string& name);

// ---- values.cpp -------------------------------------------------------------------------------------

// A value as it came in: YAML nodes keep their type (a plain `4` is an integer, `"4"` a string);
// the command line and the environment give strings.
struct Value {
  enum class Kind { Null, Str, Int, Float, Bool, List, Map } kind = Kind::Null;
  std::string text;  // scalars: as written (after escapes); Str after substitution
  int64_t i = 0;
  bool b = false;
  bool int_overflow = false;
  std::vector<Value> items;

  static Value str(std::string s) {
    Value v;
    v.kind = Kind::Str;
    v.text = std::move(s);
    return v;
  }
  bool scalar() const {
    return kind == Kind::Str || kind == Kind::Int || kind == Kind::Float || kind == Kind::Bool;
  }
  std::string shown() const {
    if (kind == Kind::List) {
      std::string s = "[";
      for (std::size_t k = 0; k < items.size(); ++k) s += (k ? ", " : "") + items[k].shown();
      return s + "]";
    }
    if (kind == Kind::Map) return "{...}";
    return text;
  }
};

// A YAML node as a Value, typed as Psych types it.
Value from_node(const yaml::Node& n);

// Where a value came from, for messages.
struct Origin {
  enum class Kind { Cli, File, Env } kind = Kind::Cli;
  std::string file;
  int line = 0;
  std::string variable;

  std::string suffix() const {
    switch (kind) {
      case Kind::Cli:
        return "";
      case Kind::File:
        return " (in " + file + (line > 0 ? ", line " + std::to_string(line) : std::string()) + ")";
      case Kind::Env:
        return " (from environment variable " + variable + ")";
    }
    return "";
  }
};

struct Assignment {
  std::string name;
  Value value;
  Origin origin;
};

// A validated value in canonical form.
struct Canon {
  std::string text;
  std::vector<std::string> list;
  bool is_list = false;
};

std::string trim(std::string_view s);
std::string lowercase(std::string s);
// Java's Integer.parseInt on a trimmed string (optional sign, decimal digits, 32-bit range).
bool parse_int32(const std::string& in, int64_t* out);
// "9600" or "9600-9700" within 1-65535.
bool parse_port_range(const std::string& in, int* first, int* last);

struct Normalized {
  bool ok = true;
  std::string detail;   // on failure: what was expected
  std::string warning;  // a deprecation to report (integer durations)
};

// Validates `v` for `d` and writes its canonical form.
Normalized normalize(const Def& d, const Value& v, Canon* out);

// ---- substitute.cpp ---------------------------------------------------------------------------------

// Logstash's refinement of a substituted value: enclosing '…' then "…" removed; "[a, 'b']" becomes
// a list of strings.
Value refine_value(const std::string& out);
// ${NAME} and ${NAME:default} in a value, one pass; with `refine`, a changed value is refined.
// False + *missing = the first undefined name.
bool substitute(Value* v, bool refine, const std::map<std::string, std::string>& env, std::string* missing);
// The message for an undefined variable without a default.
std::string undefined_variable(const std::string& name, const std::string& setting, const Origin& origin);

// ---- store.cpp --------------------------------------------------------------------------------------

struct Entry {
  Canon canon;
  Origin origin;
};
using Settings = std::map<std::string, Entry>;

// " Did you mean \"x\"?" for the closest candidate, or "".
std::string suggestion(const std::string& name, const std::vector<std::string>& candidates);

// The canonical value of `name` in `s`, or its table default (computed defaults are "").
Canon lookup(const Settings& s, const std::string& name);
bool is_set(const Settings& s, const std::string& name);
std::string get_text(const Settings& s, const std::string& name);
bool get_bool(const Settings& s, const std::string& name);
int64_t get_int(const Settings& s, const std::string& name);
uint64_t get_u64(const Settings& s, const std::string& name);
int clamp_int(int64_t v);

// Everything a pipeline needs from the node: derived paths and the CPU count.
struct NodeContext {
  std::string path_data;
  std::string path_queue;
  std::string path_dlq;
  int cpus = 1;
};

// Warnings given once per key (the same ignored setting in several places warns once).
struct Sink {
  std::vector<std::string>* warnings;
  std::set<std::string> seen;
  void warn_once(const std::string& key, const std::string& message) {
    if (seen.insert(key).second) warnings->push_back(message);
  }
};

struct ApplyState {
  std::set<std::string> set_directly;               // canonical names set by their own name
  std::map<std::string, std::string> set_by_alias;  // canonical -> alias used
};

// Validates one assignment and stores it. Unknown names are an error in the process scope (the
// pipeline scope checks its allow-list first).
bool apply(const Assignment& a, Settings* s, Sink* sink, ApplyState* state, std::string* error);

// ---- host.cpp ---------------------------------------------------------------------------------------

enum class ReadStatus { Ok, Missing, Error };
ReadStatus read_text(const std::string& path, std::string* out, std::string* reason);
std::string join_path(const std::string& dir, const std::string& file);
bool is_directory(const std::string& path);
bool exists(const std::string& path);
std::string hostname();
// The CPUs this process may use, capped by a cgroup CPU quota (the JVM's available processors).
int cpu_count();

// ---- pipeline_spec.cpp ------------------------------------------------------------------------------

// A pipeline from its merged settings (process settings overlaid with its pipelines.yml entry);
// `where` ends error messages.
bool build_pipeline(const Settings& m, const NodeContext& ctx, const std::string& where, PipelineSpec* spec,
                    std::string* error);

// ---- pipelines_yml.cpp ------------------------------------------------------------------------------

// Reads pipelines.yml and builds every pipeline over the process settings `base`.
bool load_pipelines_yml(const std::string& path, const Settings& base, const NodeContext& ctx,
                        const std::map<std::string, std::string>& env, Sink* sink,
                        std::vector<PipelineSpec>* out, std::string* error);

// ---- api.cpp ----------------------------------------------------------------------------------------

// Fills out->api from the resolved settings with Logstash's checks (TLS keystore, basic auth and
// its password policy); warnings for api.ssl.* / api.auth.basic.* settings that have no effect.
bool resolve_api(const Settings& s, Sink* sink, NodeSettings* out, std::string* error);

}  // namespace sluice::settings::detail
