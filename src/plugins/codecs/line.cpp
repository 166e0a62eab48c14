// PLACEHOLDER: replaced by the plugin's implementation.
#include "sluice/registry.hpp"

namespace sluice::plugins {
void register_codec_line(Registry&) {}
}  // namespace sluice::plugins
