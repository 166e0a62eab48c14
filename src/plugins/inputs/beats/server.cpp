// Threading and acknowledgement model of the beats input
// ======================================================
//
// Threads
//  - One I/O thread (the input's own thread, in Server::run) runs a Boost.Asio io_context: the
//    accept loop, every socket read and write, TLS handshakes and all timers. It never blocks: it
//    only decodes frames (FrameDecoder, incremental) and queues work.
//  - `executor_threads` executor threads (Logstash's option of the same name). Each connection is
//    pinned to one executor (round robin at accept), so the windows of a connection are handled in
//    arrival order by one thread. An executor takes a complete window, builds every event of it
//    (JSON parsed straight into each event's allocator; the whole window is validated before the
//    first push), then calls the blocking InputContext::push_decorated for each event.
//
// Acknowledgements
//  - Once every event of a window was accepted by the queue, the executor posts the ACK to the I/O
//    thread, which writes `A <highest seq of the window>` with the window's version byte. ACKs of a
//    connection go out in window order (one executor per connection, FIFO). W(0) gets A(0).
//  - A window that is not complete, or not completely pushed (shutdown), is never acknowledged:
//    the client resends it (at-least-once; Filebeat resends whole windows).
//
// Stopping (shutdown, pipeline reload)
//  - stop() drains rather than cuts: the acceptor closes, connections stop reading, windows already
//    handed to the executors are pushed and acknowledged, then each connection closes once its
//    ACKs are written. A client therefore resends nothing that reached the queue, and a reload
//    produces no duplicates. Windows still arriving are not read (the client resends them to the
//    next pipeline). The drain is bounded by kDrainTimeout (a queue that cannot move, e.g. outputs
//    down, must not hold the shutdown forever): after it, connections are cut as before.
//  - A window whose connection is already gone when its executor reaches it is skipped (its ACK
//    could not be delivered, the client resends it anyway); one that is being pushed when the
//    connection drops is pushed completely (Logstash does the same).
//
// Backpressure
//  - While the queue is full, push blocks the executor. Complete windows of a connection pile up
//    to `max_pending_windows`; the connection then stops reading its socket, so the client's
//    window (and TCP) stalls. Other connections, the accept loop and all timers keep running on
//    the I/O thread.
//  - While a connection has windows waiting for their ACK, the I/O thread writes a keep-alive
//    `A 0` (version byte of the connection's windows) whenever nothing was written to it, and a
//    window has been waiting, for `keepalive_interval` (5 s, Logstash's writer-idle period), so
//    Filebeat's 30 s ACK timeout does not fire while we are blocked.
//  - `client_inactivity_timeout` closes a connection that sent nothing for that long and has no
//    window waiting for the executor (a connection we stopped reading is never idle-closed).
//
// Memory per connection is bounded by the decoder limits: one partial frame (max_frame_bytes),
// plus `max_pending_windows` windows of at most max_window_bytes each.
#include "plugins/inputs/beats/server.hpp"

#include "sluice/log.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <type_traits>
#include <thread>
#include <unordered_set>
#include <vector>

namespace sluice::beats {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kServerLogger = "org.logstash.beats.Server";
constexpr std::string_view kHandlerLogger = "org.logstash.beats.BeatsHandler";
constexpr size_t kReadChunk = 64 * 1024;
constexpr std::chrono::seconds kDrainTimeout{10};

}  // namespace

class ConnBase;

// One executor thread and its FIFO of jobs.
struct Executor {
  struct Job {
    std::shared_ptr<ConnBase> conn;
    Window window;
    bool flush = false;  // the connection ended: flush its codec
  };
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Job> jobs;
  bool stopping = false;
  std::thread thread;

  void submit(Job j) {
    {
      std::lock_guard lock(mu);
      jobs.push_back(std::move(j));
    }
    cv.notify_one();
  }
};

struct Server::Impl {
  Impl(ServerSettings s, TransformSettings t, std::function<std::unique_ptr<Codec>()> cf, SslCtxPtr ssl_ctx)
      : settings(std::move(s)), transform(std::move(t)), codec_factory(std::move(cf)), acceptor(io) {
    if (ssl_ctx) ssl.emplace(ssl_ctx.release());  // the asio context owns the SSL_CTX from here
  }

  void log(log::Level l, std::string_view component, const std::string& msg) const {
    log::write(l, component, msg, settings.pipeline_id, settings.plugin_id);
  }

  void accept_loop();
  void executor_loop(Executor& ex);
  void close_all();
  void begin_drain();
  void connection_closed();  // I/O thread: ends the drain once the last connection is gone

  ServerSettings settings;
  TransformSettings transform;
  std::function<std::unique_ptr<Codec>()> codec_factory;
  asio::io_context io;
  std::optional<asio::ssl::context> ssl;
  tcp::acceptor acceptor;
  InputContext* ctx = nullptr;
  std::vector<std::unique_ptr<Executor>> executors;
  size_t next_executor = 0;
  std::unordered_set<std::shared_ptr<ConnBase>> connections;  // I/O thread only
  std::atomic<bool> stopping{false};
  std::atomic<bool> abort_pushes{false};  // the drain timed out: a window being pushed is abandoned
  bool draining = false;                  // I/O thread only
  std::optional<asio::steady_timer> drain_timer;
  std::atomic<uint64_t> accepted{0}, windows_acked{0}, events_pushed{0}, keepalives{0}, protocol_errors{0};
  log::RateLimited skipped_warning{10'000};
};

// The part of a connection the executor sees. Everything else is touched on the I/O thread only.
class ConnBase : public std::enable_shared_from_this<ConnBase> {
 public:
  ConnBase(Server::Impl& server, Executor& ex, std::string peer, std::string ip)
      : server_(server),
        executor_(ex),
        peer_(std::move(peer)),
        builder_(server.transform, server.transform.plain_fast_path || !server.codec_factory ? nullptr
                                                                                              : server.codec_factory(),
                 std::move(ip)) {}
  virtual ~ConnBase() = default;

  virtual void start() = 0;
  virtual void close() = 0;                                   // I/O thread
  virtual void window_done(uint32_t seq, int version) = 0;    // I/O thread
  virtual void window_failed(const std::string& reason) = 0;  // I/O thread
  virtual void drain() = 0;                                   // I/O thread

  bool gone() const { return gone_.load(std::memory_order_acquire); }
  EventBuilder& builder() { return builder_; }  // executor thread only
  const std::string& peer() const { return peer_; }

 protected:
  Server::Impl& server_;
  Executor& executor_;
  std::string peer_;
  std::atomic<bool> gone_{false};

 private:
  EventBuilder builder_;
};

namespace {

template <class Stream>
tcp::socket& lowest(Stream& s) {
  if constexpr (std::is_same_v<Stream, tcp::socket>) {
    return s;
  } else {
    return s.next_layer();
  }
}

template <class Stream>
class Connection final : public ConnBase {
 public:
  Connection(Server::Impl& server, Executor& ex, Stream stream, std::string peer, std::string ip)
      : ConnBase(server, ex, std::move(peer), std::move(ip)),
        stream_(std::move(stream)),
        timer_(server.io),
        decoder_(server.settings.limits) {}

  void start() override {
    last_read_ = last_write_ = Clock::now();
    if constexpr (std::is_same_v<Stream, tcp::socket>) {
      read();
      arm_timer();
    } else {
      // The handshake has its own deadline; a client that never finishes it is cut off.
      handshaking_ = true;
      arm_timer();
      auto self = std::static_pointer_cast<Connection>(shared_from_this());
      stream_.async_handshake(asio::ssl::stream_base::server, [self](const error_code& ec) {
        self->handshaking_ = false;
        if (self->closed_) return;
        if (ec) {
          self->server_.log(log::Level::Warn, kServerLogger,
                            "TLS handshake with " + self->peer_ + " failed, closing the connection: " + ec.message());
          self->close();
          return;
        }
        self->last_read_ = Clock::now();
        self->read();
        self->arm_timer();
      });
    }
  }

  void close() override {
    if (closed_) return;
    closed_ = true;
    gone_.store(true, std::memory_order_release);
    timer_.cancel();
    error_code ignored;
    lowest(stream_).shutdown(tcp::socket::shutdown_both, ignored);
    lowest(stream_).close(ignored);
    if (!server_.transform.plain_fast_path) executor_.submit({shared_from_this(), Window{}, true});
    server_.connections.erase(shared_from_this());
    server_.connection_closed();
  }

  // Stop reading; close once the windows handed to the executor are acknowledged.
  void drain() override {
    if (closed_) return;
    if (pending_ == 0) close_after_writes();
  }

  void window_done(uint32_t seq, int version) override {
    if (--pending_ == 0) arm_timer();  // back to the idle deadline
    if (closed_) return;
    server_.windows_acked.fetch_add(1, std::memory_order_relaxed);
    send(ack_frame(version, seq));
    if (server_.draining) {
      if (pending_ == 0) close_after_writes();
      return;
    }
    resume();
  }

  void window_failed(const std::string& reason) override {
    --pending_;
    if (closed_) return;
    server_.protocol_errors.fetch_add(1, std::memory_order_relaxed);
    server_.log(log::Level::Warn, kHandlerLogger,
                "Closing the connection from " + peer_ + ", its window cannot be processed: " + reason);
    close();
  }

 private:
  void read() {
    if (closed_ || reading_ || server_.draining) return;
    reading_ = true;
    auto area = decoder_.prepare(kReadChunk);
    auto self = std::static_pointer_cast<Connection>(shared_from_this());
    stream_.async_read_some(asio::buffer(area.data(), area.size()), [self](const error_code& ec, size_t n) {
      self->reading_ = false;
      self->decoder_.commit(n);
      if (self->closed_) return;
      if (ec) {
        self->on_read_end(ec);
        return;
      }
      self->last_read_ = Clock::now();
      self->resume();
    });
  }

  void on_read_end(const error_code& ec) {
    const bool eof = ec == asio::error::eof || ec == asio::ssl::error::stream_truncated;
    if (decoder_.mid_window()) {
      server_.log(log::Level::Debug, kHandlerLogger,
                  "Connection from " + peer_ + " ended in the middle of a window (" + ec.message() +
                      "); its events were not acknowledged and will be resent by the client");
    }
    if (eof) {
      // The client finished sending: complete windows still buffered are processed and their ACKs
      // written before the connection is closed.
      read_eof_ = true;
      resume();
      return;
    }
    if (ec != asio::error::operation_aborted)
      server_.log(log::Level::Debug, kHandlerLogger, "Connection from " + peer_ + " closed: " + ec.message());
    close();
  }

  // Decodes what is buffered, hands complete windows to the executor, and reads on while fewer
  // than max_pending_windows windows are waiting.
  void resume() {
    if (closed_) return;
    if (server_.draining) {  // nothing new is handed to the executor
      if (pending_ == 0) close_after_writes();
      return;
    }
    while (pending_ < server_.settings.max_pending_windows) {
      Window w;
      const DecodeStatus s = decoder_.next(w);
      if (s == DecodeStatus::NeedMore) {
        if (!read_eof_) {
          read();
        } else if (pending_ == 0) {
          close_after_writes();
        }
        return;
      }
      if (s == DecodeStatus::Error) {
        server_.protocol_errors.fetch_add(1, std::memory_order_relaxed);
        server_.log(log::Level::Warn, kHandlerLogger,
                    "Closing the connection from " + peer_ + " after a protocol error (" +
                        to_string(decoder_.error()) + "): " + decoder_.error_message());
        close();
        return;
      }
      version_ = w.version;
      if (++pending_ == 1) {
        waiting_since_ = Clock::now();  // keep-alives are due from now on
        arm_timer();
      }
      executor_.submit({shared_from_this(), std::move(w), false});
    }
    // Backpressure: max_pending_windows windows wait for the queue; stop reading until one is done.
  }

  void send(std::string bytes) {
    last_write_ = Clock::now();
    wbuf_ += bytes;
    flush_writes();
  }

  void flush_writes() {
    if (writing_ || wbuf_.empty() || closed_) return;
    writing_ = true;
    inflight_.swap(wbuf_);
    wbuf_.clear();
    auto self = std::static_pointer_cast<Connection>(shared_from_this());
    asio::async_write(stream_, asio::buffer(inflight_), [self](const error_code& ec, size_t) {
      self->writing_ = false;
      self->inflight_.clear();
      if (self->closed_) return;
      if (ec) {
        self->server_.log(log::Level::Debug, kHandlerLogger,
                          "Cannot write to " + self->peer_ + ", closing the connection: " + ec.message());
        self->close();
        return;
      }
      if (self->wbuf_.empty() && self->close_when_written_) {
        self->close();
        return;
      }
      self->flush_writes();
    });
  }

  void close_after_writes() {
    if (!writing_ && wbuf_.empty()) {
      close();
    } else {
      close_when_written_ = true;
    }
  }

  // One timer per connection, set to the earliest of: handshake deadline, keep-alive due, idle
  // deadline. When it fires, whatever is due is done and the timer is set again.
  void arm_timer() {
    if (closed_) return;
    const auto& st = server_.settings;
    Clock::time_point due;
    if (handshaking_) {
      due = last_read_ + st.handshake_timeout;
    } else if (pending_ > 0) {
      due = std::max(last_write_, waiting_since_) + st.keepalive_interval;
    } else {
      due = last_read_ + st.client_inactivity_timeout;
    }
    timer_.expires_at(due);
    auto self = std::static_pointer_cast<Connection>(shared_from_this());
    timer_.async_wait([self](const error_code& ec) {
      if (ec || self->closed_) return;
      self->on_timer();
    });
  }

  void on_timer() {
    const auto& st = server_.settings;
    const auto now = Clock::now();
    if (handshaking_) {
      if (now >= last_read_ + st.handshake_timeout) {
        server_.log(log::Level::Warn, kServerLogger,
                    "TLS handshake with " + peer_ + " did not complete within " +
                        std::to_string(st.handshake_timeout.count()) + " ms, closing the connection");
        close();
        return;
      }
    } else if (pending_ > 0) {
      if (now >= std::max(last_write_, waiting_since_) + st.keepalive_interval) {
        server_.keepalives.fetch_add(1, std::memory_order_relaxed);
        send(ack_frame(version_, 0));
      }
    } else if (now >= last_read_ + st.client_inactivity_timeout) {
      const auto secs = std::chrono::duration_cast<std::chrono::milliseconds>(st.client_inactivity_timeout).count() / 1000.0;
      if (decoder_.mid_window()) {
        server_.log(log::Level::Warn, kHandlerLogger,
                    "Closing the connection from " + peer_ + ": no data for " + std::to_string(secs).substr(0, 5) +
                        " s in the middle of a window (client_inactivity_timeout)");
      } else {
        server_.log(log::Level::Debug, kHandlerLogger,
                    "Closing the idle connection from " + peer_ + " (client_inactivity_timeout)");
      }
      close();
      return;
    }
    arm_timer();
  }

  Stream stream_;
  asio::steady_timer timer_;
  FrameDecoder decoder_;
  std::string wbuf_, inflight_;
  Clock::time_point last_read_, last_write_;
  Clock::time_point waiting_since_;  // when windows started waiting (pending_ went from 0 to 1)
  int pending_ = 0;  // windows handed to the executor, not acknowledged yet
  int version_ = 2;  // of the connection's latest window: keep-alives use it
  bool reading_ = false, writing_ = false, closed_ = false, read_eof_ = false, handshaking_ = false;
  bool close_when_written_ = false;
};

std::string peer_ip(const tcp::endpoint& ep) {
  auto a = ep.address();
  if (a.is_v6() && a.to_v6().is_v4_mapped()) a = asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  return a.to_string();
}

std::string peer_name(const tcp::endpoint& ep) {
  const std::string ip = peer_ip(ep);
  return (ep.address().is_v6() && ip.find(':') != std::string::npos ? "[" + ip + "]" : ip) + ":" +
         std::to_string(ep.port());
}

}  // namespace

void Server::Impl::accept_loop() {
  acceptor.async_accept([this](const error_code& ec, tcp::socket sock) {
    if (stopping) return;
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      log(log::Level::Warn, kServerLogger, "Cannot accept a connection: " + ec.message());
      if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space) {
        // Out of file descriptors: wait a little instead of spinning.
        auto t = std::make_shared<asio::steady_timer>(io, std::chrono::milliseconds(100));
        t->async_wait([this, t](const error_code&) { accept_loop(); });
        return;
      }
      accept_loop();
      return;
    }
    error_code e2;
    const tcp::endpoint remote = sock.remote_endpoint(e2);
    const std::string peer = e2 ? std::string("unknown peer") : peer_name(remote);
    const std::string ip = e2 ? std::string() : peer_ip(remote);
    sock.set_option(tcp::no_delay(true), e2);
    accepted.fetch_add(1, std::memory_order_relaxed);
    Executor& ex = *executors[next_executor++ % executors.size()];
    std::shared_ptr<ConnBase> conn;
    if (ssl) {
      conn = std::make_shared<Connection<asio::ssl::stream<tcp::socket>>>(
          *this, ex, asio::ssl::stream<tcp::socket>(std::move(sock), *ssl), peer, ip);
    } else {
      conn = std::make_shared<Connection<tcp::socket>>(*this, ex, std::move(sock), peer, ip);
    }
    log(log::Level::Debug, kServerLogger, "New connection from " + peer);
    connections.insert(conn);
    conn->start();
    accept_loop();
  });
}

void Server::Impl::executor_loop(Executor& ex) {
  std::vector<std::unique_ptr<Event>> events;
  std::string error;
  for (;;) {
    Executor::Job job;
    {
      std::unique_lock lock(ex.mu);
      ex.cv.wait(lock, [&] { return ex.stopping || !ex.jobs.empty(); });
      if (ex.stopping) return;  // queued windows are not acknowledged: the clients resend them
      job = std::move(ex.jobs.front());
      ex.jobs.pop_front();
    }
    ConnBase& conn = *job.conn;
    events.clear();
    if (job.flush) {
      conn.builder().flush(*ctx, events);
      for (auto& e : events) (void)ctx->push_decorated(std::move(e));
      continue;
    }
    const Window& w = job.window;
    if (conn.gone()) {
      skipped_warning.warn("logstash.inputs.beats",
                           "Dropping a window of " + std::to_string(w.count) + " events from " + conn.peer() +
                               ": the connection closed before it was processed; the client resends it",
                           settings.plugin_id);
      asio::post(io, [c = job.conn, seq = w.last_seq, v = w.version] { c->window_done(seq, v); });
      continue;
    }
    // Build the whole window first: an invalid payload fails the window before anything is queued.
    bool ok = true;
    for (size_t i = 0; i < w.messages.size() && ok; ++i) {
      const Message& m = w.messages[i];
      error.clear();
      if (w.version == 2) {
        ok = conn.builder().build_json(w.payload(m), *ctx, events, &error);
      } else {
        ok = conn.builder().build_pairs(w.payload(m), m.pairs, *ctx, events, &error);
      }
      if (!ok) error = "invalid JSON in the data frame with sequence number " + std::to_string(m.seq) + ": " + error;
    }
    if (!ok) {
      events.clear();
      asio::post(io, [c = job.conn, error] { c->window_failed(error); });
      continue;
    }
    // pipeline.end_to_end_acks: the ACK waits until every event of the window was delivered (the
    // group fires on the worker that finishes the last one); otherwise it goes once all are queued.
    std::shared_ptr<AckGroup> group;
    if (ctx->acks_on_delivery()) {
      group = std::make_shared<AckGroup>(events.size(), [this, c = job.conn, seq = w.last_seq, v = w.version] {
        asio::post(io, [c, seq, v] { c->window_done(seq, v); });
      });
      for (auto& e : events) e->attach_ack(group);
    }
    bool complete = true;
    for (auto& e : events) {
      if (abort_pushes.load(std::memory_order_relaxed) || !ctx->push_decorated(std::move(e))) {
        complete = false;
        break;
      }
      events_pushed.fetch_add(1, std::memory_order_relaxed);
    }
    if (group && !complete) group->cancel();
    events.clear();  // (events not pushed release their share here; a cancelled group never fires)
    if (group) group->release_hold();
    if (!complete) return;  // shutting down: this window is not acknowledged
    if (!group) asio::post(io, [c = job.conn, seq = w.last_seq, v = w.version] { c->window_done(seq, v); });
  }
}

void Server::Impl::begin_drain() {
  draining = true;
  error_code ignored;
  acceptor.close(ignored);
  if (connections.empty()) {
    io.stop();
    return;
  }
  log(log::Level::Info, kServerLogger,
      "Stopping: acknowledging the windows of " + std::to_string(connections.size()) +
          " connection(s) already being processed, then closing them");
  drain_timer.emplace(io, kDrainTimeout);
  drain_timer->async_wait([this](const error_code& ec) {
    if (ec) return;
    log(log::Level::Warn, kServerLogger,
        "Windows still not acknowledged after " + std::to_string(kDrainTimeout.count()) +
            " s (the queue is not moving); closing the connections, the clients resend them");
    abort_pushes = true;
    close_all();
    io.stop();
  });
  auto copy = connections;  // drain() may close, which erases from the set
  for (auto& c : copy) c->drain();
}

void Server::Impl::connection_closed() {
  if (!draining || !connections.empty()) return;
  if (drain_timer) drain_timer->cancel();
  io.stop();
}

void Server::Impl::close_all() {
  error_code ignored;
  acceptor.close(ignored);
  auto copy = connections;  // close() erases from the set
  for (auto& c : copy) c->close();
  connections.clear();
}

Server::Server(ServerSettings settings, TransformSettings transform,
               std::function<std::unique_ptr<Codec>()> codec_factory, SslCtxPtr ssl)
    : impl_(std::make_unique<Impl>(std::move(settings), std::move(transform), std::move(codec_factory),
                                   std::move(ssl))) {}

Server::~Server() {
  for (auto& ex : impl_->executors) {
    {
      std::lock_guard lock(ex->mu);
      ex->stopping = true;
    }
    ex->cv.notify_all();
    if (ex->thread.joinable()) ex->thread.join();
  }
}

void Server::bind() {
  Impl& s = *impl_;
  error_code ec;
  asio::ip::address addr = asio::ip::make_address(s.settings.host, ec);
  if (ec) {
    tcp::resolver resolver(s.io);
    auto results = resolver.resolve(s.settings.host, std::to_string(s.settings.port), ec);
    if (ec || results.empty())
      throw std::runtime_error("Cannot resolve the beats input host '" + s.settings.host + "': " + ec.message());
    addr = results.begin()->endpoint().address();
  }
  const tcp::endpoint ep(addr, static_cast<uint16_t>(s.settings.port));
  s.acceptor.open(ep.protocol(), ec);
  if (!ec) s.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(ep, ec);
  if (!ec) s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::runtime_error("Cannot listen on " + s.settings.host + ":" + std::to_string(s.settings.port) + ": " +
                             ec.message());
  s.log(log::Level::Info, kServerLogger, "Starting server on port: " + std::to_string(port()));
}

uint16_t Server::port() const {
  error_code ec;
  auto ep = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

void Server::run(InputContext& ctx) {
  Impl& s = *impl_;
  s.ctx = &ctx;
  const int n = std::max(1, s.settings.executor_threads);
  for (int i = 0; i < n; ++i) {
    s.executors.push_back(std::make_unique<Executor>());
    Executor* ex = s.executors.back().get();
    ex->thread = std::thread([&s, ex] { s.executor_loop(*ex); });
  }
  if (!s.stopping) s.accept_loop();
  s.io.run();
  // Stopped: let the executors finish the window they are pushing, drop the rest.
  for (auto& ex : s.executors) {
    {
      std::lock_guard lock(ex->mu);
      ex->stopping = true;
      ex->jobs.clear();
    }
    ex->cv.notify_all();
  }
  for (auto& ex : s.executors)
    if (ex->thread.joinable()) ex->thread.join();
  // Connections and pending handlers go with the io_context.
  s.io.restart();
  s.io.poll();
  s.log(log::Level::Info, kServerLogger, "Beats input stopped");
}

void Server::stop() {
  Impl& s = *impl_;
  if (s.stopping.exchange(true)) return;
  asio::post(s.io, [&s] {
    s.begin_drain();
  });
}

Server::Stats Server::stats() const {
  const Impl& s = *impl_;
  Stats st;
  st.connections_accepted = s.accepted.load();
  st.windows_acked = s.windows_acked.load();
  st.events_pushed = s.events_pushed.load();
  st.keepalives_sent = s.keepalives.load();
  st.protocol_errors = s.protocol_errors.load();
  return st;
}

}  // namespace sluice::beats
