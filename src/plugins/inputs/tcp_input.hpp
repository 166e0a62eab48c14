// What the tcp input exposes beyond the Input interface (tests and tools that bind port 0).
#pragma once

#include <cstdint>

namespace sluice::inputs {

class TcpListenerInfo {
 public:
  virtual ~TcpListenerInfo() = default;
  // The port the listener is bound to (after start()); 0 before.
  virtual uint16_t bound_port() const = 0;
};

}  // namespace sluice::inputs
