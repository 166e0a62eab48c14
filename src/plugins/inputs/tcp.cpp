// PLACEHOLDER: replaced by the plugin's implementation.
#include "sluice/registry.hpp"

namespace sluice::plugins {
void register_input_tcp(Registry&) {}
}  // namespace sluice::plugins
