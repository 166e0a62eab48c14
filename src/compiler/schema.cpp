// Names of plugin kinds and option types, the options every plugin of a kind has, and schema lookup.
// The common options mirror logstash-core's base classes (plugin.rb, inputs/base.rb,
// filters/base.rb, outputs/base.rb); they are implemented once by the framework
// (compiler/decorations.cpp and the runtime), not by each plugin.
#include "sluice/schema.hpp"

namespace sluice {

const char* to_string(PluginKind k) {
  switch (k) {
    case PluginKind::Input: return "input";
    case PluginKind::Filter: return "filter";
    case PluginKind::Output: return "output";
    case PluginKind::Codec: return "codec";
  }
  return "plugin";
}

const char* to_string(OptionType t) {
  switch (t) {
    case OptionType::String: return "string";
    case OptionType::Number: return "number";
    case OptionType::Boolean: return "boolean";
    case OptionType::Array: return "array";
    case OptionType::Hash: return "hash";
    case OptionType::Password: return "password";
    case OptionType::Path: return "path";
    case OptionType::Uri: return "uri";
    case OptionType::Bytes: return "bytes";
    case OptionType::Codec: return "codec";
    case OptionType::FieldReference: return "field_reference";
    case OptionType::OneOf: return "string, one of";
    case OptionType::Any: return "any";
  }
  return "unknown";
}

const OptionSpec* PluginSchema::find(std::string_view option) const {
  for (const OptionSpec& o : options) {
    if (o.name == option) return &o;
  }
  return nullptr;
}

namespace {

std::vector<OptionSpec> base_options() {
  return {
      opt("id", OptionType::String)
          .describe("A unique id for this plugin instance, used in logs and monitoring. Generated when absent."),
      opt("enable_metric", OptionType::Boolean)
          .def_bool(true)
          .describe("Collect metrics for this plugin instance."),
  };
}

std::vector<OptionSpec> make_common(PluginKind k) {
  std::vector<OptionSpec> v = base_options();
  switch (k) {
    case PluginKind::Input:
      v.push_back(opt("codec", OptionType::Codec)
                      .def_str("plain")
                      .describe("The codec used to decode the input's data into events."));
      v.push_back(opt("tags", OptionType::Array).describe("Tags added to every event of this input."));
      v.push_back(opt("type", OptionType::String)
                      .describe("Sets the `type` field of every event of this input that has none."));
      v.push_back(opt("add_field", OptionType::Hash)
                      .def_empty_hash()
                      .describe("Fields added to every event of this input (keys and values are sprintf templates)."));
      break;
    case PluginKind::Filter:
      v.push_back(opt("add_field", OptionType::Hash)
                      .def_empty_hash()
                      .describe("Fields added when the filter succeeds (keys and values are sprintf templates)."));
      v.push_back(opt("add_tag", OptionType::Array)
                      .def_empty_array()
                      .describe("Tags added when the filter succeeds (sprintf templates)."));
      v.push_back(opt("remove_field", OptionType::Array)
                      .def_empty_array()
                      .describe("Fields removed when the filter succeeds (sprintf templates)."));
      v.push_back(opt("remove_tag", OptionType::Array)
                      .def_empty_array()
                      .describe("Tags removed when the filter succeeds (sprintf templates)."));
      v.push_back(opt("periodic_flush", OptionType::Boolean)
                      .def_bool(false)
                      .describe("Call the filter's flush method at regular intervals."));
      break;
    case PluginKind::Output:
      v.push_back(opt("codec", OptionType::Codec)
                      .def_str("plain")
                      .describe("The codec used to encode events for the output."));
      v.push_back(opt("workers", OptionType::Number)
                      .def_int(1)
                      .describe("Accepted for compatibility; outputs are shared by all pipeline workers."));
      break;
    case PluginKind::Codec:
      break;
  }
  return v;
}

}  // namespace

const std::vector<OptionSpec>& common_options(PluginKind k) {
  static const std::vector<OptionSpec> input = make_common(PluginKind::Input);
  static const std::vector<OptionSpec> filter = make_common(PluginKind::Filter);
  static const std::vector<OptionSpec> output = make_common(PluginKind::Output);
  static const std::vector<OptionSpec> codec = make_common(PluginKind::Codec);
  switch (k) {
    case PluginKind::Input: return input;
    case PluginKind::Filter: return filter;
    case PluginKind::Output: return output;
    case PluginKind::Codec: return codec;
  }
  return codec;
}

}  // namespace sluice
