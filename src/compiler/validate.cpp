// Plugin option validation. The coercions follow logstash-core/lib/logstash/config/mixin.rb
// (`validate_value`, `validate_check_parameter_values`, `validate_check_required_parameter_names`);
// messages keep Logstash's key words ("Unknown setting", "Missing a required setting",
// "obsolete", "deprecated") and add what Logstash leaves out: the source location, the expected
// type, "did you mean" and the list of valid options.
#include "compiler/validate.hpp"

#include "sluice/field_ref.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <set>

namespace sluice::compiler {
namespace {

using Kind = ConfigValue::Kind;

std::string sq(const std::string& s) { return "'" + s + "'"; }

std::string join(const std::vector<std::string>& items, const char* sep = ", ") {
  std::string out;
  for (const std::string& s : items) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

// Ruby's Float#to_s for the plain (non-exponent) range: shortest round-trip digits, at least one
// decimal ("5.0", "5.5"). Used for `:number` strings, which must round-trip.
std::string ruby_float_to_s(double d) {
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, d);
  std::string s(buf, ec == std::errc() ? p : buf);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

// Ruby's String#to_i / #to_f are lenient prefix parsers; mixin.rb accepts a string for :number only
// when one of them round-trips to the same text, so it suffices to parse strictly and compare.
bool number_from_string(const std::string& s, ConfigValue* out) {
  if (s.find('.') == std::string::npos) {
    int64_t i = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), i);
    if (ec == std::errc() && p == s.data() + s.size() && std::to_string(i) == s) {
      *out = ConfigValue::make_integer(i);
      out->string = s;
      return true;
    }
    return false;
  }
  double d = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d, std::chars_format::fixed);
  if (ec == std::errc() && p == s.data() + s.size() && ruby_float_to_s(d) == s) {
    *out = ConfigValue::make_float(d);
    out->string = s;
    return true;
  }
  return false;
}

// mixin.rb `hash_or_array`: a hash stays a hash, anything else becomes an array (scalar -> [x]).
std::vector<ConfigValue> as_list(const ConfigValue& v) {
  if (v.kind == Kind::Array) return v.array;
  if (v.kind == Kind::Null) return {};
  return {v};
}

bool values_equal(const ConfigValue& a, const ConfigValue& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Kind::Null: return true;
    case Kind::Bool: return a.boolean == b.boolean;
    case Kind::Integer: return a.integer == b.integer;
    case Kind::Float: return a.number == b.number;
    case Kind::String: return a.string == b.string;
    case Kind::Array:
      return a.array.size() == b.array.size() &&
             std::equal(a.array.begin(), a.array.end(), b.array.begin(), values_equal);
    case Kind::Hash:
      return a.hash.size() == b.hash.size() &&
             std::equal(a.hash.begin(), a.hash.end(), b.hash.begin(), [](const auto& x, const auto& y) {
               return values_equal(x.first, y.first) && values_equal(x.second, y.second);
             });
    case Kind::Plugin: return a.plugin == b.plugin;
  }
  return false;
}

// LogStash::Util.hash_merge: nested hashes merge; a key present in both becomes [old, new]
// (an existing array is extended; equal scalars collapse).
void merge_into(ConfigValue& dst, const ConfigValue& src);

void merge_hash(ConfigValue& dst, const ConfigValue& src) {
  for (const auto& entry : src.hash) {
    // A named reference, not a structured binding: clang 14 cannot capture bindings in lambdas.
    const ConfigValue& k = entry.first;
    const ConfigValue& v = entry.second;
    auto it = std::find_if(dst.hash.begin(), dst.hash.end(), [&](const auto& e) { return values_equal(e.first, k); });
    if (it == dst.hash.end()) {
      dst.hash.emplace_back(k, v);
    } else if (it->second.kind == Kind::Hash && v.kind == Kind::Hash) {
      merge_hash(it->second, v);
    } else {
      merge_into(it->second, v);
    }
  }
}

// lscl.rb `map_expr_attributes` for a repeated attribute.
void merge_into(ConfigValue& dst, const ConfigValue& src) {
  if (dst.kind == Kind::Hash && src.kind == Kind::Hash) {
    merge_hash(dst, src);
  } else if (dst.kind == Kind::Array) {
    if (src.kind == Kind::Array) {
      dst.array.insert(dst.array.end(), src.array.begin(), src.array.end());
    } else {
      dst.array.push_back(src);
    }
  } else if (!values_equal(dst, src)) {
    SourceLoc loc = dst.loc;
    ConfigValue first = std::move(dst);
    dst = ConfigValue::make_array({std::move(first), src}, loc);
  }
}

std::string plugin_label(const std::string& name, PluginKind kind) {
  return "the " + name + " " + to_string(kind) + " plugin";
}

std::string type_label(const OptionSpec& spec) {
  if (spec.type == OptionType::OneOf) return "one of [" + join(spec.one_of) + "]";
  std::string t = to_string(spec.type);
  return spec.list ? "a list of " + t : t;
}

// Coerces one element (the `list` case calls this per item).
bool coerce_scalar(const OptionSpec& spec, const ConfigValue& given, ConfigValue* out, std::string* msg) {
  std::vector<ConfigValue> list = as_list(given);
  // A password's value never appears in a message, whatever its shape.
  auto shown = [&](const ConfigValue& v) {
    return spec.type == OptionType::Password ? std::string("<password redacted>") : v.to_display();
  };
  auto single = [&](const char* what) -> const ConfigValue* {
    if (given.kind == Kind::Hash || list.size() != 1) {
      *msg = std::string("expected ") + what + " (one value), got " + shown(given);
      return nullptr;
    }
    if (list[0].kind == Kind::Array || list[0].kind == Kind::Hash || list[0].kind == Kind::Plugin) {
      *msg = std::string("expected ") + what + ", got " + shown(list[0]);
      return nullptr;
    }
    return &list[0];
  };

  switch (spec.type) {
    case OptionType::Any:
      *out = given;
      return true;

    case OptionType::Array:
      if (given.kind == Kind::Hash || given.kind == Kind::Plugin) {
        *msg = "expected array, got " + given.to_display();
        return false;
      }
      *out = ConfigValue::make_array(list, given.loc);
      return true;

    case OptionType::Hash: {
      if (given.kind == Kind::Hash) {
        *out = given;
        return true;
      }
      if (given.kind == Kind::Plugin) {
        *msg = "expected hash, got a plugin";
        return false;
      }
      // The flat-array form ["k1", "v1", "k2", "v2"]; repeated keys collect their values in a list.
      if (list.size() % 2 == 1) {
        *msg = "expected hash; this field must contain an even number of items, got " + std::to_string(list.size());
        return false;
      }
      ConfigValue h = ConfigValue::make_hash({}, given.loc);
      for (std::size_t i = 0; i < list.size(); i += 2) {
        auto it = std::find_if(h.hash.begin(), h.hash.end(),
                               [&](const auto& e) { return values_equal(e.first, list[i]); });
        if (it == h.hash.end()) {
          h.hash.emplace_back(list[i], list[i + 1]);
        } else if (it->second.kind == Kind::Array) {
          it->second.array.push_back(list[i + 1]);
        } else {
          SourceLoc loc = it->second.loc;  // read before the move below: argument order is unspecified
          ConfigValue first = std::move(it->second);
          it->second = ConfigValue::make_array({std::move(first), list[i + 1]}, std::move(loc));
        }
      }
      *out = std::move(h);
      return true;
    }

    case OptionType::String: {
      const ConfigValue* v = single("string");
      if (!v) return false;
      // Logstash keeps a number given for a :string option as a number; plugins read it through
      // PluginConfig::string, which renders the source text either way.
      *out = ConfigValue::make_string(v->to_plain_string(), v->loc);
      return true;
    }

    case OptionType::Number: {
      const ConfigValue* v = single("number");
      if (!v) return false;
      if (v->is_number()) {
        *out = *v;
        return true;
      }
      if (v->kind == Kind::String && number_from_string(v->string, out)) {
        out->loc = v->loc;
        return true;
      }
      *msg = "expected number, got " + v->to_display();
      return false;
    }

    case OptionType::Boolean: {
      const ConfigValue* v = single("boolean");
      if (!v) return false;
      if (v->kind == Kind::Bool) {
        *out = *v;
        return true;
      }
      if (v->kind == Kind::String && (v->string == "true" || v->string == "false")) {
        *out = ConfigValue::make_bool(v->string == "true", v->loc);
        return true;
      }
      *msg = "expected boolean 'true' or 'false', got " + v->to_display();
      return false;
    }

    case OptionType::Password:
    case OptionType::Uri: {
      const ConfigValue* v = single(spec.type == OptionType::Password ? "password" : "uri");
      if (!v) return false;
      *out = ConfigValue::make_string(v->to_plain_string(), v->loc);
      return true;
    }

    case OptionType::Path: {
      const ConfigValue* v = single("path");
      if (!v) return false;
      std::string p = v->to_plain_string();
      std::error_code ec;
      if (!std::filesystem::exists(p, ec)) {
        *msg = "expected path; file does not exist or cannot be opened " + p;
        return false;
      }
      *out = ConfigValue::make_string(p, v->loc);
      return true;
    }

    case OptionType::Bytes: {
      const ConfigValue* v = single("bytes");
      if (!v) return false;
      if (v->kind == Kind::Integer) {
        *out = *v;
        return true;
      }
      int64_t n = 0;
      if (!parse_bytes(v->to_plain_string(), &n)) {
        *msg = "expected bytes; unparseable filesize: " + v->to_plain_string() +
               ". possible units (KiB, MiB, ...) e.g. '10 KiB'";
        return false;
      }
      *out = ConfigValue::make_integer(n, v->loc);
      out->string = std::to_string(n);
      return true;
    }

    case OptionType::FieldReference: {
      if (given.kind == Kind::Hash || list.size() > 1) {
        *msg = "expected exactly one field reference, got " + given.to_display();
        return false;
      }
      if (list.empty() || list[0].to_plain_string().empty()) {
        *out = ConfigValue{};  // nil
        return true;
      }
      std::string text = list[0].to_plain_string();
      std::string err;
      if (list[0].kind != Kind::String || !FieldRef::parse(text, &err)) {
        *msg = "expected a valid field reference, got " + list[0].to_display() + (err.empty() ? "" : " (" + err + ")");
        return false;
      }
      *out = ConfigValue::make_string(text, list[0].loc);
      return true;
    }

    case OptionType::OneOf: {
      const ConfigValue* v = single("one value");
      if (!v) {
        *msg = "expected one of [" + join(spec.one_of) + "], got " + given.to_display();
        return false;
      }
      std::string s = v->to_plain_string();
      if (std::find(spec.one_of.begin(), spec.one_of.end(), s) == spec.one_of.end()) {
        *msg = "expected one of [" + join(spec.one_of) + "], got " + v->to_display();
        return false;
      }
      *out = ConfigValue::make_string(s, v->loc);
      return true;
    }

    case OptionType::Codec: {
      // validate_plugin handles codecs (they need the registry); here only the shape.
      const ConfigValue& v = list.size() == 1 ? list[0] : given;
      if (v.kind == Kind::Plugin || v.kind == Kind::String) {
        *out = v;
        return true;
      }
      *msg = "expected a codec name or a codec plugin, got " + given.to_display();
      return false;
    }
  }
  *msg = "unknown validator";
  return false;
}

}  // namespace

bool parse_bytes(const std::string& text, int64_t* out) {
  std::string s = text;
  auto trim = [](std::string& x) {
    while (!x.empty() && std::isspace(static_cast<unsigned char>(x.back()))) x.pop_back();
    std::size_t i = 0;
    while (i < x.size() && std::isspace(static_cast<unsigned char>(x[i]))) ++i;
    x.erase(0, i);
  };
  trim(s);
  if (s.empty()) return false;
  // Plain integer (Ruby Integer(): decimal, optional sign).
  {
    int64_t i = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), i);
    if (ec == std::errc() && p == s.data() + s.size()) {
      *out = i;
      return true;
    }
  }
  // Filesize.from: <number> [space] [prefix[i]]b, case-insensitive.
  std::size_t pos = 0;
  while (pos < s.size() && (std::isdigit(static_cast<unsigned char>(s[pos])) || s[pos] == '.')) ++pos;
  if (pos == 0) return false;
  double num = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + pos, num);
  if (ec != std::errc() || p != s.data() + pos) return false;
  std::string unit = s.substr(pos);
  if (!unit.empty() && unit[0] == ' ') unit.erase(0, 1);
  for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (unit.empty() || unit.back() != 'b') return false;
  unit.pop_back();
  bool binary = false;
  if (!unit.empty() && unit.back() == 'i') {
    binary = true;
    unit.pop_back();
  }
  static const std::string prefixes = "kmgtpezy";
  double mult = 1;
  if (unit.size() > 1) return false;
  if (unit.size() == 1) {
    auto idx = prefixes.find(unit[0]);
    if (idx == std::string::npos) return false;
    mult = std::pow(binary ? 1024.0 : 1000.0, static_cast<double>(idx + 1));
  } else if (binary) {
    return false;  // "ib"
  }
  double bytes = num * mult;
  if (!(bytes < 9.2e18)) return false;
  *out = static_cast<int64_t>(bytes);
  return true;
}

bool coerce_value(const OptionSpec& spec, const ConfigValue& given, ConfigValue* out, std::string* message) {
  if (!spec.list) return coerce_scalar(spec, given, out, message);
  // `:list => true`: scalars become one-element lists; every item is validated alone. For URIs,
  // items holding several space-separated URIs are split (mixin.rb `:uri_list`).
  std::vector<ConfigValue> items = given.kind == Kind::Array ? given.array : std::vector<ConfigValue>{given};
  ConfigValue result = ConfigValue::make_array({}, given.loc);
  for (const ConfigValue& item : items) {
    if (spec.type == OptionType::Uri && item.kind == Kind::String) {
      std::string s = item.string;
      std::size_t i = 0;
      while (i < s.size()) {
        while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
        std::size_t j = i;
        while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j]))) ++j;
        if (j > i) result.array.push_back(ConfigValue::make_string(s.substr(i, j - i), item.loc));
        i = j;
      }
      continue;
    }
    ConfigValue v;
    if (!coerce_scalar(spec, item, &v, message)) return false;
    result.array.push_back(std::move(v));
  }
  *out = std::move(result);
  return true;
}

std::vector<const OptionSpec*> all_options(const PluginSchema& schema) {
  std::vector<const OptionSpec*> out;
  for (const OptionSpec& o : schema.options) out.push_back(&o);
  for (const OptionSpec& o : common_options(schema.kind)) {
    if (!schema.find(o.name)) out.push_back(&o);
  }
  return out;
}

std::vector<Attribute> merge_attributes(const PluginDecl& decl, PluginKind kind, config::Diagnostics& diags) {
  std::vector<Attribute> out;
  bool codec_reported = false;
  for (const Attribute& a : decl.attributes) {
    auto it = std::find_if(out.begin(), out.end(), [&](const Attribute& x) { return x.name == a.name; });
    if (it == out.end()) {
      out.push_back(a);
      continue;
    }
    if (a.name == "codec" && (kind == PluginKind::Input || kind == PluginKind::Output)) {
      if (!codec_reported) {
        diags.error(a.loc, "The " + std::string(to_string(kind)) + " plugin " + decl.name + " at line " +
                               std::to_string(decl.loc.line) +
                               " has multiple `codec` declarations - this is not a valid configuration, only one "
                               "top-level `codec` per " + to_string(kind) + " plugin is supported",
                    {"first `codec` at " + it->loc.describe()});
        codec_reported = true;
      }
      continue;
    }
    merge_into(it->value, a.value);
  }
  return out;
}

ValidatedPlugin validate_plugin(const PluginDecl& decl, PluginKind kind, const Registry& registry,
                                config::Diagnostics& diags) {
  ValidatedPlugin vp;
  vp.kind = kind;
  vp.name = decl.name;
  vp.loc = decl.loc;
  const std::size_t errors_before = diags.error_count();

  vp.entry = registry.find(kind, decl.name);
  if (!vp.entry) {
    std::vector<std::string> known;
    for (const RegistryEntry* e : registry.entries(kind)) known.push_back(e->schema.name);
    std::vector<std::string> notes;
    auto close = config::suggest(decl.name, known);
    if (!close.empty()) notes.push_back("did you mean " + sq(close.front()) + "?");
    notes.push_back(std::string("known ") + to_string(kind) + " plugins: " + join(known));
    diags.error(decl.loc, std::string("Unknown ") + to_string(kind) + " plugin " + sq(decl.name), std::move(notes));
    return vp;
  }

  const PluginSchema& schema = vp.entry->schema;
  const std::vector<const OptionSpec*> options = all_options(schema);
  auto find_option = [&](const std::string& name) -> const OptionSpec* {
    for (const OptionSpec* o : options) {
      if (o->name == name) return o;
    }
    return nullptr;
  };

  for (const Attribute& attr : merge_attributes(decl, kind, diags)) {
    const OptionSpec* spec = find_option(attr.name);
    if (!spec) {
      std::vector<std::string> names;
      for (const OptionSpec* o : options) {
        if (o->deprecation != Deprecation::Obsolete) names.push_back(o->name);
      }
      std::sort(names.begin(), names.end());
      std::vector<std::string> notes;
      auto close = config::suggest(attr.name, names);
      if (!close.empty()) notes.push_back("did you mean " + sq(close.front()) + "?");
      notes.push_back("valid settings for " + plugin_label(decl.name, kind) + ": " + join(names));
      diags.error(attr.loc, "Unknown setting " + sq(attr.name) + " for " + plugin_label(decl.name, kind),
                  std::move(notes));
      continue;
    }
    vp.option_locs[attr.name] = attr.loc;
    if (spec->deprecation == Deprecation::Obsolete) {
      std::vector<std::string> notes;
      if (!spec->deprecation_note.empty()) notes.push_back(spec->deprecation_note);
      diags.error(attr.loc,
                  "The setting " + sq(attr.name) + " in " + plugin_label(decl.name, kind) +
                      " is obsolete and is no longer available",
                  std::move(notes));
      continue;
    }
    if (spec->deprecation == Deprecation::Deprecated) {
      std::vector<std::string> notes;
      if (!spec->deprecation_note.empty()) notes.push_back(spec->deprecation_note);
      diags.warning(attr.loc,
                    "You are using a deprecated config setting " + sq(attr.name) + " set in " +
                        plugin_label(decl.name, kind) +
                        ". Deprecated settings will continue to work, but are scheduled for removal in the future",
                    std::move(notes));
    }

    ConfigValue coerced;
    std::string message;
    if (!coerce_value(*spec, attr.value, &coerced, &message)) {
      SourceLoc where = attr.value.loc.line ? attr.value.loc : attr.loc;
      diags.error(where,
                  "Invalid value for setting " + sq(attr.name) + " of " + plugin_label(decl.name, kind) + ": " +
                      message,
                  {"this setting must be " + type_label(*spec) + (spec->description.empty() ? "" : ": " + spec->description)});
      continue;
    }

    if (spec->type == OptionType::Codec) {
      // A codec name, or an inline codec plugin whose own options are validated recursively.
      PluginDecl codec_decl;
      if (coerced.kind == Kind::Plugin && coerced.plugin) {
        codec_decl = *coerced.plugin;
      } else {
        codec_decl.name = coerced.to_plain_string();
        codec_decl.loc = coerced.loc.line ? coerced.loc : attr.loc;
      }
      auto codec = std::make_shared<ValidatedPlugin>(validate_plugin(codec_decl, PluginKind::Codec, registry, diags));
      if (attr.name == "codec") vp.codec = std::move(codec);
    }
    vp.values[attr.name] = std::move(coerced);
  }

  // Defaults and required options.
  for (const OptionSpec* spec : options) {
    if (vp.values.count(spec->name)) continue;
    if (spec->required) {
      diags.error(decl.loc, "Missing a required setting for " + plugin_label(decl.name, kind) + ": " + sq(spec->name),
                  {std::string(to_string(kind)) + " { " + decl.name + " { " + spec->name + " => # SETTING MISSING ... } }" +
                   (spec->description.empty() ? "" : "  (" + spec->description + ")")});
      continue;
    }
    if (spec->default_value) {
      vp.values[spec->name] = *spec->default_value;
      if (spec->type == OptionType::Codec && spec->name == "codec" && !vp.codec) {
        PluginDecl codec_decl;
        codec_decl.name = spec->default_value->to_plain_string();
        codec_decl.loc = decl.loc;
        vp.codec = std::make_shared<ValidatedPlugin>(validate_plugin(codec_decl, PluginKind::Codec, registry, diags));
      }
    }
  }

  vp.ok = diags.error_count() == errors_before;
  return vp;
}

void for_each_plugin(const std::vector<config::ConfigAst>& asts,
                     const std::function<void(const PluginDecl&, PluginKind)>& fn) {
  std::function<void(const std::vector<config::Statement>&, PluginKind)> walk =
      [&](const std::vector<config::Statement>& body, PluginKind kind) {
        for (const config::Statement& st : body) {
          if (st.kind == config::Statement::Kind::Plugin) {
            fn(st.plugin, kind);
          } else if (st.branch) {
            for (const config::Clause& c : st.branch->clauses) walk(c.body, kind);
          }
        }
      };
  for (const config::ConfigAst& ast : asts) {
    for (const config::Section& s : ast.sections) walk(s.body, s.kind);
  }
}

void check_duplicate_ids(const std::vector<config::ConfigAst>& asts, config::Diagnostics& diags) {
  std::map<std::string, SourceLoc> seen;
  std::set<std::string> reported;
  for_each_plugin(asts, [&](const PluginDecl& decl, PluginKind) {
    for (const Attribute& a : decl.attributes) {
      if (a.name != "id") continue;
      std::string id = a.value.to_plain_string();
      auto [it, inserted] = seen.emplace(id, a.loc);
      if (!inserted) {
        diags.error(a.value.loc.line ? a.value.loc : a.loc, "Config has duplicate Ids: " + sq(id),
                    {"first used at " + it->second.describe(), "plugin ids must be unique within a pipeline"});
      }
    }
  });
}

void validate_pipeline(const std::vector<config::ConfigAst>& asts, const Registry& registry,
                       config::Diagnostics& diags) {
  for_each_plugin(asts, [&](const PluginDecl& decl, PluginKind kind) { (void)validate_plugin(decl, kind, registry, diags); });
  check_duplicate_ids(asts, diags);
}

}  // namespace sluice::compiler
