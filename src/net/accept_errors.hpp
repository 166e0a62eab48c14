// Errors accept() reports for one pending connection that failed (Linux passes pending network
// errors of the new socket this way): the server can accept the next connection right away. Any
// other error (out of descriptors, ENOBUFS) is the listener's: back off before accepting again.
#pragma once

#include <boost/asio/error.hpp>
#include <boost/system/error_code.hpp>

#include <cerrno>

namespace sluice::net {

inline bool per_connection_accept_error(const boost::system::error_code& ec) {
  if (ec == boost::asio::error::connection_aborted) return true;
  if (ec.category() != boost::system::system_category()) return false;
  switch (ec.value()) {
    case EPROTO: case ENOPROTOOPT: case EHOSTDOWN: case ENONET: case EHOSTUNREACH: case EOPNOTSUPP:
    case ENETUNREACH: case ENETDOWN: case EPERM:
      return true;
    default:
      return false;
  }
}

}  // namespace sluice::net
