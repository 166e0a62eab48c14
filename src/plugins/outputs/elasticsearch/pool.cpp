#include "plugins/outputs/elasticsearch/pool.hpp"

#include "event/json_internal.hpp"

#include <rapidjson/document.h>

#include <cctype>
#include <charconv>

namespace sluice::es {

namespace {

std::string percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int v = 0;
      auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      if (ec == std::errc() && p == s.data() + i + 3) {
        out.push_back(static_cast<char>(v));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

}  // namespace

std::string HostUrl::base() const {
  std::string out = scheme + "://";
  if (host.find(':') != std::string::npos) out += "[" + host + "]";
  else out += host;
  out += ":" + std::to_string(port);
  out += path;
  return out;
}

std::optional<HostUrl> parse_host(std::string_view s, bool ssl, std::string* error) {
  HostUrl u;
  u.scheme = ssl ? "https" : "http";
  auto fail = [&](std::string msg) -> std::optional<HostUrl> {
    if (error) *error = std::move(msg);
    return std::nullopt;
  };
  std::string_view rest = s;
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
  if (rest.empty()) return fail("empty host");
  if (auto p = rest.find("://"); p != std::string_view::npos) {
    u.scheme = std::string(rest.substr(0, p));
    for (auto& c : u.scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (u.scheme != "http" && u.scheme != "https") return fail("unsupported scheme '" + u.scheme + "'");
    rest.remove_prefix(p + 3);
  } else if (rest.starts_with("//")) {
    rest.remove_prefix(2);
  }
  std::string_view authority = rest;
  if (auto p = rest.find('/'); p != std::string_view::npos) {
    authority = rest.substr(0, p);
    std::string_view path = rest.substr(p);
    if (auto q = path.find_first_of("?#"); q != std::string_view::npos) path = path.substr(0, q);
    while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
    if (path != "/") u.path = std::string(path);
  }
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority.remove_prefix(at + 1);
    auto colon = userinfo.find(':');
    u.user = percent_decode(userinfo.substr(0, colon));
    if (colon != std::string_view::npos) u.password = percent_decode(userinfo.substr(colon + 1));
  }
  std::string_view port;
  if (authority.starts_with("[")) {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return fail("unterminated IPv6 address in '" + std::string(s) + "'");
    u.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (after.starts_with(":")) port = after.substr(1);
    else if (!after.empty()) return fail("unexpected text after the IPv6 address in '" + std::string(s) + "'");
  } else {
    auto colon = authority.find(':');
    if (colon != std::string_view::npos && authority.find(':', colon + 1) != std::string_view::npos) {
      u.host = std::string(authority);  // a bare IPv6 address
    } else {
      u.host = std::string(authority.substr(0, colon));
      if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    }
  }
  if (u.host.empty()) return fail("no host name in '" + std::string(s) + "'");
  if (!port.empty()) {
    int p = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || ptr != port.data() + port.size() || p <= 0 || p > 65535)
      return fail("invalid port in '" + std::string(s) + "'");
    u.port = p;
  }
  return u;
}

std::string ServerInfo::describe() const {
  return std::string(distribution == Distribution::OpenSearch ? "OpenSearch " : "Elasticsearch ") + number;
}

std::optional<ServerInfo> parse_server_info(std::string_view body, std::string* error) {
  rapidjson::Document doc;
  if (!parse_json_document(body, doc) || !doc.IsObject()) {
    if (error) *error = "the root endpoint did not return a JSON object";
    return std::nullopt;
  }
  auto ver = doc.FindMember("version");
  if (ver == doc.MemberEnd() || !ver->value.IsObject()) {
    if (error) *error = "the root endpoint has no version";
    return std::nullopt;
  }
  auto num = ver->value.FindMember("number");
  if (num == ver->value.MemberEnd() || !num->value.IsString()) {
    if (error) *error = "the root endpoint has no version number";
    return std::nullopt;
  }
  ServerInfo info;
  info.number = num->value.GetString();
  const char* p = info.number.data();
  const char* end = p + info.number.size();
  auto r = std::from_chars(p, end, info.major);
  if (r.ec != std::errc()) {
    if (error) *error = "unparseable version number '" + info.number + "'";
    return std::nullopt;
  }
  if (r.ptr < end && *r.ptr == '.') (void)std::from_chars(r.ptr + 1, end, info.minor);
  auto dist = ver->value.FindMember("distribution");
  if (dist != ver->value.MemberEnd() && dist->value.IsString() && std::string_view(dist->value.GetString()) == "opensearch")
    info.distribution = Distribution::OpenSearch;
  auto flavor = ver->value.FindMember("build_flavor");
  if (flavor != ver->value.MemberEnd() && flavor->value.IsString()) info.build_flavor = flavor->value.GetString();
  auto uuid = doc.FindMember("cluster_uuid");
  if (uuid != doc.MemberEnd() && uuid->value.IsString()) info.cluster_uuid = uuid->value.GetString();
  return info;
}

int choose_host(const std::vector<HostView>& hosts, size_t cursor) {
  int best = -1;
  const size_t n = hosts.size();
  for (size_t k = 0; k < n; ++k) {
    const size_t i = (cursor + k) % n;
    if (!hosts[i].alive) continue;
    if (best < 0 || hosts[i].in_use < hosts[static_cast<size_t>(best)].in_use) best = static_cast<int>(i);
  }
  return best;
}

HostPool::HostPool(std::vector<HostUrl> urls, net::TlsOptions tls) : tls_(std::move(tls)) {
  for (auto& u : urls) {
    auto h = std::make_unique<Host>();
    h->url = std::move(u);
    hosts_.push_back(std::move(h));
  }
}

size_t HostPool::alive_count() const {
  size_t n = 0;
  for (const auto& h : hosts_) n += h->alive.load() ? 1 : 0;
  return n;
}

HostPool::Lease& HostPool::Lease::operator=(Lease&& o) noexcept {
  if (this != &o) {
    if (pool_) pool_->release(host_, std::move(conn_));
    pool_ = o.pool_;
    host_ = o.host_;
    conn_ = std::move(o.conn_);
    o.pool_ = nullptr;
  }
  return *this;
}

HostPool::Lease::~Lease() {
  if (pool_) pool_->release(host_, std::move(conn_));
}

HostPool::Lease HostPool::acquire() {
  std::vector<HostView> views(hosts_.size());
  for (size_t i = 0; i < hosts_.size(); ++i) views[i] = {hosts_[i]->alive.load(), hosts_[i]->in_use.load()};
  const int i = choose_host(views, cursor_.fetch_add(1));
  if (i < 0) return {};
  return acquire_host(static_cast<size_t>(i));
}

HostPool::Lease HostPool::acquire_host(size_t i) {
  Host& h = *hosts_[i];
  Lease l;
  {
    std::lock_guard lk(h.mu);
    if (!h.idle.empty()) {
      l.conn_ = std::move(h.idle.back());
      h.idle.pop_back();
    }
  }
  if (!l.conn_) l.conn_ = std::make_unique<net::HttpConnection>(tls_);
  h.in_use.fetch_add(1);
  l.pool_ = this;
  l.host_ = i;
  return l;
}

void HostPool::release(size_t i, std::unique_ptr<net::HttpConnection> conn) {
  Host& h = *hosts_[i];
  h.in_use.fetch_sub(1);
  if (!conn) return;
  std::lock_guard lk(h.mu);
  if (h.alive.load()) h.idle.push_back(std::move(conn));  // a dead host's connections are closed
}

bool HostPool::mark_dead(size_t i) {
  Host& h = *hosts_[i];
  const bool was = h.alive.exchange(false);
  std::lock_guard lk(h.mu);
  h.idle.clear();
  return was;
}

void HostPool::mark_alive(size_t i, ServerInfo info) {
  Host& h = *hosts_[i];
  {
    std::lock_guard lk(h.mu);
    h.info = std::move(info);
  }
  h.alive.store(true);
  wake();
}

std::optional<ServerInfo> HostPool::info(size_t i) const {
  Host& h = *hosts_[i];
  std::lock_guard lk(h.mu);
  return h.info;
}

void HostPool::wait_for_alive(std::chrono::milliseconds timeout) {
  std::unique_lock lk(state_mu_);
  const uint64_t seq = wake_seq_;
  state_cv_.wait_for(lk, timeout, [&] { return wake_seq_ != seq || alive_count() > 0; });
}

void HostPool::wake() {
  {
    std::lock_guard lk(state_mu_);
    ++wake_seq_;
  }
  state_cv_.notify_all();
}

}  // namespace sluice::es
