// PLACEHOLDER: replaced by the plugin's implementation.
#include "sluice/registry.hpp"

namespace sluice::plugins {
void register_filter_json(Registry&) {}
}  // namespace sluice::plugins
