// The plugin registry. Built-in plugins come from the generated list (CMakeLists.txt
// SLUICE_PLUGINS -> plugins::register_all); there is no static self-registration.
#include "sluice/registry.hpp"

#include <algorithm>

namespace sluice {

void Registry::add(PluginSchema schema, std::function<std::unique_ptr<Plugin>(const PluginConfig&)> factory) {
  // A later registration of the same kind/name replaces the earlier one (tests register fakes).
  for (RegistryEntry& e : entries_) {
    if (e.schema.kind == schema.kind && e.schema.name == schema.name) {
      e.schema = std::move(schema);
      e.factory = std::move(factory);
      return;
    }
  }
  entries_.push_back(RegistryEntry{std::move(schema), std::move(factory)});
}

const RegistryEntry* Registry::find(PluginKind kind, std::string_view name) const {
  for (const RegistryEntry& e : entries_) {
    if (e.schema.kind == kind && e.schema.name == name) return &e;
  }
  return nullptr;
}

std::vector<const RegistryEntry*> Registry::entries(PluginKind kind) const {
  std::vector<const RegistryEntry*> out;
  for (const RegistryEntry& e : entries_) {
    if (e.schema.kind == kind) out.push_back(&e);
  }
  std::sort(out.begin(), out.end(),
            [](const RegistryEntry* a, const RegistryEntry* b) { return a->schema.name < b->schema.name; });
  return out;
}

std::vector<const RegistryEntry*> Registry::all() const {
  std::vector<const RegistryEntry*> out;
  for (PluginKind k : {PluginKind::Input, PluginKind::Filter, PluginKind::Output, PluginKind::Codec}) {
    auto part = entries(k);
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

const Registry& Registry::builtin() {
  // Function-local static: initialised once, thread-safe (C++11 magic statics).
  static const Registry instance = [] {
    Registry r;
    plugins::register_all(r);
    return r;
  }();
  return instance;
}

}  // namespace sluice
