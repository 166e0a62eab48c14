// libFuzzer target: the elasticsearch output's parsers of server bytes (_bulk responses, the root
// endpoint) and of `hosts` entries.
#include "plugins/outputs/elasticsearch/bulk.hpp"
#include "plugins/outputs/elasticsearch/pool.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<sluice::es::ItemResult> items;
  std::string err;
  const size_t expected = size % 7;
  if (sluice::es::parse_bulk_response(in, expected, items, &err) == sluice::es::ResponseParse::Ok) {
    if (items.size() != expected) __builtin_trap();
    for (const auto& r : items) (void)sluice::es::classify_item(r.status);
  }
  (void)sluice::es::parse_server_info(in, &err);
  (void)sluice::es::parse_host(in.substr(0, 256), size % 2 == 0, &err);
  return 0;
}
