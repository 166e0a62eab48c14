// Test helper: inflate a gzip body (what the elasticsearch output sends with http_compression).
#pragma once

#include <zlib.h>

#include <catch2/catch.hpp>

#include <cstddef>
#include <string>

namespace sluice::testutil {

// The whole decompressed text; fails the test if `in` is not one complete gzip stream of at most
// 4 MiB decompressed.
inline std::string gunzip(const std::string& in) {
  z_stream zs{};
  REQUIRE(inflateInit2(&zs, 15 + 16) == Z_OK);
  std::string out(std::size_t(1) << 22, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  REQUIRE(inflate(&zs, Z_FINISH) == Z_STREAM_END);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return out;
}

}  // namespace sluice::testutil
