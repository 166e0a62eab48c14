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
// Memory (memory.hpp, decoder.hpp)
//  - Every byte a connection holds is charged to its MemoryAccount and to the input's MemoryPool:
//    the receive buffer, the inflated chunks and arenas of its open window, and of its complete
//    windows until the executor has turned them into events (the executor drops a window's bytes
//    before pushing its events, and before posting its ACK). C frames are inflated in 64 KiB steps
//    as their bytes arrive; decoding stops at each complete window.
//  - When a charge is refused the decoder reports Blocked and changes nothing. With windows of its
//    own in flight, the connection stops reading and waits: each finished window gives memory
//    back and resumes it (keep-alives go out meanwhile). A connection under its floor refused by
//    the pool closes the connection that has held memory longest without completing a window
//    (for at least kStuckBeforeReclaim, and longer than the requester), and retries: open windows
//    parked by many connections cannot starve ordinary clients. Otherwise nothing would ever give
//    memory back to it: it is closed with one WARN line naming the peer, the limit and the option
//    (`connection_memory_limit` for its own limit, `memory_limit` for the pool).
//  - Reads allocate nothing while a connection is idle: plain TCP waits for readability and then
//    reads what the socket holds into a receive buffer grown on demand (and freed or shrunk once
//    decoded); TLS reads one byte, then the rest of the record OpenSSL has decrypted.
//
// Connections
//  - At most `max_connections` per input. A new connection beyond it evicts the connection that
//    has gone longest without completing a window (connections are kept in that order; those
//    with windows in flight are skipped: they are waiting for us, not the other way round); if
//    none can be evicted, the new connection is closed. One rate-limited WARN line either way.
//    A client trickling bytes never completes a window, so it goes first.
//  - Accept errors (EMFILE, ENFILE, ENOBUFS...) are logged at most once per 10 s and accepting
//    resumes after `accept_backoff` (100 ms): the loop never spins.
//  - Slow clients hold no thread: reads are asynchronous on the I/O thread, and a window reaches an
//    executor only once complete.
#include "plugins/inputs/beats/server.hpp"

#include "net/accept_errors.hpp"

#include "sluice/log.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <list>
#include <mutex>
#include <optional>
#include <type_traits>
#include <thread>
#include <vector>

namespace sluice::beats {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kServerLogger = "org.logstash.beats.Server";
constexpr std::string_view kHandlerLogger = "org.logstash.beats.BeatsHandler";
constexpr size_t kMaxRead = 64 * 1024;  // bytes taken from a socket per read
constexpr std::chrono::seconds kDrainTimeout{10};
// A connection holding memory without completing a window for this long may be closed to give its
// memory to a connection under its floor when the input's pool is used up.
constexpr std::chrono::seconds kStuckBeforeReclaim{1};

std::string seconds_text(Clock::duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", std::chrono::duration<double>(d).count());
  return buf;
}

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
      : settings(std::move(s)),
        transform(std::move(t)),
        codec_factory(std::move(cf)),
        acceptor(io),
        pool(std::make_shared<MemoryPool>(settings.memory_limit, settings.memory_limit / 4)) {
    if (ssl_ctx) ssl.emplace(ssl_ctx.release());  // the asio context owns the SSL_CTX from here
  }

  void log(log::Level l, std::string_view component, const std::string& msg) const {
    log::write(l, component, msg, settings.pipeline_id, settings.plugin_id);
  }

  void accept_loop();
  void accept_later();
  void executor_loop(Executor& ex);
  void close_all();
  void begin_drain();
  void connection_closed();  // I/O thread: ends the drain once the last connection is gone
  // I/O thread: room for one more connection under max_connections (evicting one if needed).
  bool make_room_for(const std::string& newcomer);
  // I/O thread: the pool refused `requester` (under its floor) memory; closes the connection that
  // has held memory longest without completing a window, if there is one. True if one was closed.
  bool reclaim_memory(ConnBase& requester);

  ServerSettings settings;
  TransformSettings transform;
  std::function<std::unique_ptr<Codec>()> codec_factory;
  asio::io_context io;
  std::optional<asio::ssl::context> ssl;
  tcp::acceptor acceptor;
  InputContext* ctx = nullptr;
  std::vector<std::unique_ptr<Executor>> executors;
  size_t next_executor = 0;
  // I/O thread only. Ordered by the last completed window (or the connection's start): the front
  // has gone longest without completing one.
  std::list<std::shared_ptr<ConnBase>> connections;
  std::shared_ptr<MemoryPool> pool;
  std::atomic<bool> stopping{false};
  std::atomic<bool> abort_pushes{false};  // the drain timed out: a window being pushed is abandoned
  bool draining = false;                  // I/O thread only
  std::optional<asio::steady_timer> drain_timer;
  asio::steady_timer accept_timer{io};  // back-off after an accept error
  std::atomic<uint64_t> accepted{0}, windows_acked{0}, events_pushed{0}, keepalives{0}, protocol_errors{0};
  std::atomic<uint64_t> memory_closes{0}, memory_evictions{0}, evicted{0}, refused{0}, accept_errors{0},
      open_connections{0};
  log::RateLimited skipped_warning{10'000};
  log::RateLimited eviction_warning{10'000};
  log::RateLimited memory_warning{10'000};
  log::RateLimited accept_warning{10'000};
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
  virtual bool has_windows_in_flight() const = 0;             // I/O thread
  virtual uint64_t memory_held() const = 0;                   // bytes charged to its account

  bool gone() const { return gone_.load(std::memory_order_acquire); }
  EventBuilder& builder() { return builder_; }  // executor thread only
  const std::string& peer() const { return peer_; }

  // The connection's place in Server::Impl::connections (I/O thread only).
  std::list<std::shared_ptr<ConnBase>>::iterator slot;
  bool listed = false;
  Clock::time_point progress = Clock::now();  // start, then each completed window

  // I/O thread: a window was completed; the connection moves to the back of the eviction order.
  void touch() {
    progress = Clock::now();
    if (listed) server_.connections.splice(server_.connections.end(), server_.connections, slot);
  }
  void unlist() {
    if (!listed) return;
    listed = false;
    server_.connections.erase(slot);
    server_.open_connections.fetch_sub(1, std::memory_order_relaxed);
  }

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
  static constexpr bool kPlain = std::is_same_v<Stream, tcp::socket>;

 public:
  Connection(Server::Impl& server, Executor& ex, Stream stream, std::string peer, std::string ip)
      : ConnBase(server, ex, std::move(peer), std::move(ip)),
        stream_(std::move(stream)),
        timer_(server.io),
        account_(std::make_shared<MemoryAccount>(server.pool, server.settings.connection_memory_limit,
                                                 server.settings.connection_memory_floor)),
        decoder_(server.settings.limits, account_) {}

  void start() override {
    last_read_ = last_write_ = Clock::now();
    if constexpr (kPlain) {
      error_code ignored;
      stream_.non_blocking(true, ignored);  // reads after readability never block the I/O thread
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
    auto keep = shared_from_this();  // unlist() drops the server's reference
    closed_ = true;
    gone_.store(true, std::memory_order_release);
    timer_.cancel();
    error_code ignored;
    lowest(stream_).shutdown(tcp::socket::shutdown_both, ignored);
    lowest(stream_).close(ignored);
    // Give the decoder's memory back now (windows in flight keep theirs); a TLS read still
    // pointing into the receive buffer keeps that buffer until it ends.
    decoder_.release(/*keep_buffer=*/!kPlain && reading_);
    if (!server_.transform.plain_fast_path) executor_.submit({keep, Window{}, true});
    unlist();
    server_.connection_closed();
  }

  // Stop reading; close once the windows handed to the executor are acknowledged.
  void drain() override {
    if (closed_) return;
    if (pending_ == 0) close_after_writes();
  }

  bool has_windows_in_flight() const override { return pending_ > 0; }
  uint64_t memory_held() const override { return account_->used(); }

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
    auto self = std::static_pointer_cast<Connection>(shared_from_this());
    if constexpr (kPlain) {
      // Nothing is allocated while waiting: the bytes are read once the socket has some.
      stream_.async_wait(tcp::socket::wait_read, [self](const error_code& ec) {
        self->reading_ = false;
        if (self->closed_) return;
        if (ec) {
          self->on_read_end(ec);
          return;
        }
        self->read_ready();
      });
    } else {
      // TLS: one byte first, into the (small) receive buffer; then what OpenSSL has decrypted of
      // that record (read_tls_record). An idle connection holds no read area of its own.
      auto area = decoder_.prepare(1);
      if (area.empty()) {
        reading_ = false;
        if (memory_refused()) read();
        return;
      }
      stream_.async_read_some(asio::buffer(area.data(), 1), [self](const error_code& ec, size_t n) {
        self->reading_ = false;
        if (self->closed_) {
          self->decoder_.release();
          return;
        }
        self->decoder_.commit(n);
        if (ec) {
          self->on_read_end(ec);
          return;
        }
        self->read_tls_record();
      });
    }
  }

  // Plain TCP, the socket is readable: read what it holds (up to kMaxRead).
  void read_ready() {
    error_code ec;
    size_t n = lowest(stream_).available(ec);
    if (ec) {
      on_read_end(ec);
      return;
    }
    n = std::clamp<size_t>(n, 1, kMaxRead);  // 0: an end of stream or an error to read
    auto area = decoder_.prepare(n);
    if (area.empty()) {
      if (memory_refused()) read_ready();
      return;
    }
    const size_t k = stream_.read_some(asio::buffer(area.data(), area.size()), ec);
    decoder_.commit(k);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      read();
      return;
    }
    if (ec) {
      on_read_end(ec);
      return;
    }
    last_read_ = Clock::now();
    resume();
  }

  // TLS, one byte arrived: take the rest of its record, already decrypted (no waiting).
  void read_tls_record() {
    if constexpr (!kPlain) {
      const int pending = SSL_pending(stream_.native_handle());
      if (pending > 0) {
        auto area = decoder_.prepare(static_cast<size_t>(pending));
        if (!area.empty()) {  // (refused: the bytes wait in OpenSSL; the next read reports it)
          error_code ec;
          const size_t k = stream_.read_some(asio::buffer(area.data(), area.size()), ec);
          decoder_.commit(k);
          if (ec) {
            on_read_end(ec);
            return;
          }
        }
      }
    }
    last_read_ = Clock::now();
    resume();
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
        if (!reading_) decoder_.trim();
        if (!read_eof_) {
          read();
        } else if (pending_ == 0) {
          close_after_writes();
        }
        return;
      }
      if (s == DecodeStatus::Blocked) {
        if (memory_refused()) continue;
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
      touch();
      if (++pending_ == 1) {
        waiting_since_ = Clock::now();  // keep-alives are due from now on
        arm_timer();
      }
      executor_.submit({shared_from_this(), std::move(w), false});
    }
    // Backpressure: max_pending_windows windows wait for the queue; stop reading until one is done.
  }

  // The memory budget refused what the decoder (or a read) needs. True: memory was freed, retry.
  bool memory_refused() {
    // Windows of ours in flight give memory back when done; window_done() resumes us.
    if (pending_ > 0) return false;
    // Under its floor, a connection refused by the pool gets the memory of one that has held some
    // longest without completing a window (parked open windows cannot starve ordinary clients).
    const MemoryAccount& a = *account_;
    if (decoder_.refusal() == MemoryRefusal::Pool && a.used() + decoder_.refused_bytes() <= a.floor() &&
        server_.reclaim_memory(*this))
      return true;
    // Nothing would ever give this connection memory back: it cannot go on.
    server_.memory_closes.fetch_add(1, std::memory_order_relaxed);
    std::string why;
    if (decoder_.refusal() == MemoryRefusal::Pool) {
      const MemoryPool& p = *server_.pool;
      why = "the memory shared by the connections of this input is used up (" + format_bytes(p.used()) + " of " +
            format_bytes(p.limit()) + " held, " + format_bytes(a.used()) +
            " by this connection); raise the beats option `memory_limit` (Sluice only) if this load is legitimate";
    } else {
      why = "it needs more than its memory limit of " + format_bytes(a.limit()) + " (" + format_bytes(a.used()) +
            " held, " + format_bytes(decoder_.refused_bytes()) +
            " more needed) for the data of its current window; raise the beats option `connection_memory_limit` "
            "(Sluice only) if its windows are legitimately this large";
    }
    server_.log(log::Level::Warn, kHandlerLogger, "Closing the connection from " + peer_ + ": " + why);
    decoder_.fail_memory(why);
    close();
    return false;
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
  std::shared_ptr<MemoryAccount> account_;  // (before decoder_, which charges it)
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


void Server::Impl::accept_later() {
  // (A member timer: one owned by its own handler would be destroyed inside the io_context's
  // destructor while that destructor destroys the handler.)
  accept_timer.expires_after(settings.accept_backoff);
  accept_timer.async_wait([this](const error_code& ec) {
    if (ec || stopping || draining) return;
    accept_loop();
  });
}

bool Server::Impl::make_room_for(const std::string& newcomer) {
  if (settings.max_connections == 0 || connections.size() < settings.max_connections) return true;
  // The connection that has gone longest without completing a window, skipping those with windows
  // in flight (they wait for the pipeline, not the other way round).
  std::shared_ptr<ConnBase> victim;
  for (const auto& c : connections) {
    if (!c->has_windows_in_flight()) {
      victim = c;
      break;
    }
  }
  const std::string limit = "max_connections => " + std::to_string(settings.max_connections);
  if (!victim) {
    refused.fetch_add(1, std::memory_order_relaxed);
    eviction_warning.warn(kServerLogger,
                          "Connection limit reached (" + limit + ", every connection has windows in flight): closing "
                              "the new connection from " + newcomer,
                          settings.plugin_id);
    return false;
  }
  evicted.fetch_add(1, std::memory_order_relaxed);
  eviction_warning.warn(kServerLogger,
                        "Connection limit reached (" + limit + "): closing the connection from " + victim->peer() +
                            ", which has not completed a window for " + seconds_text(Clock::now() - victim->progress) +
                            " s, to accept the one from " + newcomer,
                        settings.plugin_id);
  victim->close();
  return true;
}

bool Server::Impl::reclaim_memory(ConnBase& requester) {
  const auto now = Clock::now();
  for (const auto& c : connections) {
    if (c.get() == &requester) break;  // the rest completed a window after it (or started after it)
    if (c->has_windows_in_flight() || c->memory_held() == 0 || now - c->progress < kStuckBeforeReclaim) continue;
    const std::shared_ptr<ConnBase> victim = c;  // (close() unlists it)
    memory_evictions.fetch_add(1, std::memory_order_relaxed);
    memory_warning.warn(kServerLogger,
                        "The memory of this input is used up (memory_limit => " + format_bytes(pool->limit()) +
                            "): closing the connection from " + victim->peer() + ", which holds " +
                            format_bytes(victim->memory_held()) + " and has not completed a window for " +
                            seconds_text(now - victim->progress) + " s, for the one from " + requester.peer(),
                        settings.plugin_id);
    victim->close();
    return true;
  }
  return false;
}

void Server::Impl::accept_loop() {
  acceptor.async_accept([this](const error_code& ec, tcp::socket sock) {
    if (stopping) return;
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      accept_errors.fetch_add(1, std::memory_order_relaxed);
      if (net::per_connection_accept_error(ec)) {
        accept_loop();
        return;
      }
      // Out of file descriptors or buffers, or anything unexpected: never spin on it.
      accept_warning.warn(kServerLogger,
                          "Cannot accept connections: " + ec.message() + "; retrying every " +
                              std::to_string(settings.accept_backoff.count()) + " ms",
                          settings.plugin_id);
      accept_later();
      return;
    }
    error_code e2;
    const tcp::endpoint remote = sock.remote_endpoint(e2);
    const std::string peer = e2 ? std::string("unknown peer") : peer_name(remote);
    const std::string ip = e2 ? std::string() : peer_ip(remote);
    accepted.fetch_add(1, std::memory_order_relaxed);
    if (!make_room_for(peer)) {
      sock.close(e2);
      accept_loop();
      return;
    }
    sock.set_option(tcp::no_delay(true), e2);
    Executor& ex = *executors[next_executor++ % executors.size()];
    std::shared_ptr<ConnBase> conn;
    if (ssl) {
      conn = std::make_shared<Connection<asio::ssl::stream<tcp::socket>>>(
          *this, ex, asio::ssl::stream<tcp::socket>(std::move(sock), *ssl), peer, ip);
    } else {
      conn = std::make_shared<Connection<tcp::socket>>(*this, ex, std::move(sock), peer, ip);
    }
    log(log::Level::Debug, kServerLogger, "New connection from " + peer);
    conn->slot = connections.insert(connections.end(), conn);
    conn->listed = true;
    open_connections.fetch_add(1, std::memory_order_relaxed);
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
    // The window's bytes stay charged to the connection's memory account until `w` is reset: once
    // its events are built (they hold copies), before anything is pushed or posted.
    Window w = std::move(job.window);
    const uint32_t last_seq = w.last_seq;
    const int version = w.version;
    if (conn.gone()) {
      const uint32_t count = w.count;
      w = Window{};
      skipped_warning.warn("logstash.inputs.beats",
                           "Dropping a window of " + std::to_string(count) + " events from " + conn.peer() +
                               ": the connection closed before it was processed; the client resends it",
                           settings.plugin_id);
      asio::post(io, [c = job.conn, last_seq, version] { c->window_done(last_seq, version); });
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
    w = Window{};
    if (!ok) {
      events.clear();
      asio::post(io, [c = job.conn, error] { c->window_failed(error); });
      continue;
    }
    // pipeline.end_to_end_acks: the ACK waits until every event of the window was delivered (the
    // group fires on the worker that finishes the last one); otherwise it goes once all are queued.
    std::shared_ptr<AckGroup> group;
    if (ctx->acks_on_delivery()) {
      group = std::make_shared<AckGroup>(events.size(), [this, c = job.conn, seq = last_seq, v = version] {
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
    if (!group) asio::post(io, [c = job.conn, seq = last_seq, v = version] { c->window_done(seq, v); });
  }
}

void Server::Impl::begin_drain() {
  draining = true;
  error_code ignored;
  acceptor.close(ignored);
  accept_timer.cancel();
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
  const std::vector<std::shared_ptr<ConnBase>> copy(connections.begin(), connections.end());
  for (auto& c : copy) c->drain();  // (drain() may close, which erases from the list)
}

void Server::Impl::connection_closed() {
  if (!draining || !connections.empty()) return;
  if (drain_timer) drain_timer->cancel();
  io.stop();
}

void Server::Impl::close_all() {
  error_code ignored;
  acceptor.close(ignored);
  accept_timer.cancel();
  const std::vector<std::shared_ptr<ConnBase>> copy(connections.begin(), connections.end());
  for (auto& c : copy) c->close();  // (close() erases from the list)
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
  st.memory_closes = s.memory_closes.load();
  st.memory_evictions = s.memory_evictions.load();
  st.connections_evicted = s.evicted.load();
  st.connections_refused = s.refused.load();
  st.accept_errors = s.accept_errors.load();
  st.connections = s.open_connections.load();
  st.memory_used = s.pool->used();
  st.memory_peak = s.pool->peak();
  return st;
}

}  // namespace sluice::beats
