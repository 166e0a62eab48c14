// PLACEHOLDER: replaced by the plugin's implementation.
#include "sluice/registry.hpp"

namespace sluice::plugins {
void register_output_elasticsearch(Registry&) {}
}  // namespace sluice::plugins
