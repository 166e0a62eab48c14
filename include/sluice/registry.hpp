// The explicit plugin registry (CMakeLists.txt SLUICE_PLUGINS lists every built-in plugin).
#pragma once

#include "sluice/plugin.hpp"
#include "sluice/schema.hpp"

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

namespace sluice {

struct RegistryEntry {
  PluginSchema schema;
  // Builds an instance from validated options; throws PluginConfigError for bad values.
  std::function<std::unique_ptr<Plugin>(const PluginConfig&)> factory;
};

class Registry {
 public:
  void add(PluginSchema schema, std::function<std::unique_ptr<Plugin>(const PluginConfig&)> factory);
  const RegistryEntry* find(PluginKind kind, std::string_view name) const;
  std::vector<const RegistryEntry*> entries(PluginKind kind) const;  // sorted by name
  std::vector<const RegistryEntry*> all() const;

  // The built-in plugins.
  static const Registry& builtin();

 private:
  std::vector<RegistryEntry> entries_;
};

namespace plugins {
void register_all(Registry& r);  // generated
}

}  // namespace sluice
