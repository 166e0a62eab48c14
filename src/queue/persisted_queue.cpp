// The persisted queue: page files appended with pwrite through a buffer, read through read-only
// mappings, acknowledged per record, checkpointed and fsynced by one background thread.
//
// Locking: one mutex guards all state. Encoding, CRC and decoding happen outside it; the lock is
// held for appends to the write buffer, its pwrite (every kFlushBytes or when a reader needs the
// buffered records) and page creation. fsync, checkpoint writes and page deletion run on the sync
// thread with the lock released; only that thread deletes pages, so it may use them unlocked.
#include "queue/persisted_queue.hpp"

#include "queue/event_codec.hpp"
#include "queue/page_format.hpp"
#include "queue/page_io.hpp"
#include "sluice/log.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

namespace sluice::pq {

namespace {

constexpr size_t kFlushBytes = 256 * 1024;
constexpr const char* kLogger = "org.logstash.ackedqueue.Queue";
using Clock = std::chrono::steady_clock;

struct Page {
  uint32_t num = 0;
  uint64_t min_seq = 0;
  std::string path;
  int fd = -1;
  uint8_t* map = nullptr;
  size_t map_len = 0;
  uint64_t capacity = 0;
  uint32_t count = 0;   // records appended (flushed or still buffered)
  uint64_t bytes = 0;   // bytes appended, header included
  uint32_t flushed_count = 0;
  uint64_t flushed_bytes = 0;
  uint32_t synced_count = 0;
  uint64_t synced_bytes = 0;
  uint64_t disk_bytes = 0;  // what the file occupies, for queue.max_bytes
  bool sealed = false;
  bool dir_synced = false;
  bool deleting = false;
  uint32_t read_count = 0;
  uint64_t read_offset = kPageHeaderSize;
  std::vector<uint64_t> acked_bits;
  uint32_t acked = 0;
  uint32_t first_unacked = 0;

  Page() = default;
  Page(const Page&) = delete;
  Page& operator=(const Page&) = delete;
  ~Page() {
    if (map) ::munmap(map, map_len);
    if (fd >= 0) ::close(fd);
  }
  bool is_acked(uint32_t i) const { return (acked_bits[i / 64] >> (i % 64)) & 1u; }
  void set_acked(uint32_t i) { acked_bits[i / 64] |= uint64_t{1} << (i % 64); }
  bool fully_acked() const { return acked == count; }
  void grow_bits() {
    if (acked_bits.size() * 64 < count) acked_bits.resize((count + 63) / 64, 0);
  }
};

struct ReadDesc {
  Page* page;
  uint64_t offset;
  uint64_t seq;
  uint32_t length;
};

std::string plural(uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

struct PersistedQueue::Impl {
  std::string dir;
  QueueSettings s;
  Options opt;
  int lock_fd = -1;
  int dir_fd = -1;

  mutable std::mutex mu;
  std::condition_variable not_full, not_empty, durable_cv, syncer_cv, checkpoint_cv;
  std::deque<std::unique_ptr<Page>> pages;  // ascending by number (and so by sequence number)
  Page* head = nullptr;                     // the page being appended to
  std::vector<uint8_t> pending;             // appended to `head`, not yet written
  size_t pending_written = 0;               // of `pending`, already in the file (after a short write)
  uint32_t pending_records = 0;
  uint64_t next_seq = 1;
  uint32_t next_page_num = 1;
  uint64_t unread = 0, unacked = 0, bytes_total = 0, durable = 0;
  bool closed = false, stop_syncer = false, final_failed = false;
  bool write_failed = false;
  std::string write_error;
  Clock::time_point next_retry{}, last_error_log{};
  bool sync_wanted = false, checkpoint_wanted = false, checkpoint_forced = false, dirty = false;
  bool checkpoint_failed = false;
  Clock::time_point next_checkpoint_retry{}, last_checkpoint = Clock::now();
  uint64_t writes_since = 0, acks_since = 0;
  // Explicit checkpoint requests (close(), checkpoint()): numbered; a checkpoint covers the requests
  // made before its sync started.
  uint64_t ckpt_requested = 0, ckpt_started = 0, ckpt_completed = 0;
  std::vector<std::pair<uint64_t, std::function<void(bool)>>> durable_callbacks;
  unsigned writers_waiting = 0, readers_waiting = 0;
  uint64_t push_blocked_ns = 0, events_lost = 0;
  std::vector<RecoveryIssue> issues;
  std::thread syncer;

  ~Impl() {
    if (dir_fd >= 0) ::close(dir_fd);
    if (lock_fd >= 0) ::close(lock_fd);  // releases the flock
  }

  void log(log::Level l, const std::string& m) const { log::write(l, kLogger, m, opt.pipeline_id); }

  // ---- writing ---------------------------------------------------------------------------------

  void fail_write_locked(int err, const std::string& path) {
    write_failed = true;
    next_retry = Clock::now() + opt.write_retry_interval;
    write_error = "Cannot write to the persisted queue file " + path + ": " + describe_errno(err) +
                  ". Inputs are blocked until it can be written (retrying every " +
                  std::to_string(opt.write_retry_interval.count()) + " ms); free space on the disk holding " +
                  dir + ".";
    const auto now = Clock::now();
    if (last_error_log == Clock::time_point{} || now - last_error_log >= opt.write_error_log_interval) {
      last_error_log = now;
      log(log::Level::Error, write_error);
    }
    syncer_cv.notify_one();
  }

  // Writes the buffered records of the head page. False (and the failure state set) on error.
  bool flush_locked() {
    if (pending.empty()) return true;
    Page* p = head;
    size_t written = 0;
    const int err = write_all(opt.pwrite, p->fd, pending.data() + pending_written, pending.size() - pending_written,
                              p->flushed_bytes + pending_written, &written);
    pending_written += written;
    if (err) {
      fail_write_locked(err, p->path);
      return false;
    }
    p->flushed_bytes += pending.size();
    p->flushed_count += pending_records;
    pending.clear();
    pending_written = 0;
    pending_records = 0;
    return true;
  }

  bool create_head_locked(size_t need) {
    const uint32_t num = next_page_num;
    auto p = std::make_unique<Page>();
    p->num = num;
    p->path = dir + "/" + page_file_name(num);
    p->capacity = std::max<uint64_t>(s.page_capacity, kPageHeaderSize + need);
    p->fd = ::open(p->path.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0644);
    if (p->fd < 0) {
      fail_write_locked(errno, p->path);
      return false;
    }
    // Reserve the page's blocks now, so a full disk shows here and not in the middle of a page.
    if (::fallocate(p->fd, FALLOC_FL_KEEP_SIZE, 0, static_cast<off_t>(p->capacity)) != 0 &&
        (errno == ENOSPC || errno == EDQUOT)) {
      const int err = errno;
      ::unlink(p->path.c_str());
      fail_write_locked(err, p->path);
      return false;
    }
    void* m = ::mmap(nullptr, p->capacity, PROT_READ, MAP_SHARED, p->fd, 0);
    if (m == MAP_FAILED) {
      const int err = errno;
      ::unlink(p->path.c_str());
      fail_write_locked(err, p->path);
      return false;
    }
    p->map = static_cast<uint8_t*>(m);
    p->map_len = p->capacity;
    p->min_seq = next_seq;
    uint8_t hdr[kPageHeaderSize];
    encode_page_header(PageHeader{num, p->min_seq}, hdr);
    pending.assign(hdr, hdr + kPageHeaderSize);
    p->bytes = p->disk_bytes = kPageHeaderSize;
    bytes_total += kPageHeaderSize;
    ++next_page_num;
    head = p.get();
    pages.push_back(std::move(p));
    return true;
  }

  bool seal_head_locked() {
    if (!flush_locked()) return false;
    head->sealed = true;
    ::close(head->fd);  // never written again; the sync thread opens pages by path, the mapping stays
    head->fd = -1;
    if (head->fully_acked()) want_checkpoint_locked();
    head = nullptr;
    return true;
  }

  bool full_locked(size_t need) const {
    if (s.max_events > 0 && unread >= s.max_events) return true;
    const uint64_t extra = need + (head ? 0 : kPageHeaderSize);
    return s.max_bytes > 0 && bytes_total > 0 && bytes_total + extra > s.max_bytes;
  }

  // Waits until a record of `need` bytes may be appended; false when closed.
  bool admit_locked(std::unique_lock<std::mutex>& lk, size_t need) {
    std::optional<Clock::time_point> blocked_since;
    for (;;) {
      if (closed) return false;
      if (!write_failed) {
        // A record that does not fit ends the head page (an empty one too: it is deleted once
        // checkpointed), so the queue's size is checked with the next page's header.
        if (head && head->bytes + need > head->capacity && !seal_head_locked()) continue;
        if (!full_locked(need)) {
          if (head || create_head_locked(need)) break;
          continue;  // the page could not be created: the failure state makes the next pass wait
        }
      }
      if (!blocked_since) blocked_since = Clock::now();
      ++writers_waiting;
      not_full.wait(lk);
      --writers_waiting;
    }
    if (blocked_since) {
      push_blocked_ns += static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - *blocked_since).count());
    }
    return true;
  }

  uint64_t append_locked(std::string& rec, uint32_t length, uint32_t payload_crc) {
    const uint64_t seq = next_seq++;
    encode_record_header(reinterpret_cast<uint8_t*>(rec.data()), length, record_crc(payload_crc, seq, length), seq);
    pending.insert(pending.end(), rec.begin(), rec.end());
    ++pending_records;
    ++head->count;
    head->grow_bits();
    head->bytes += rec.size();
    head->disk_bytes += rec.size();
    bytes_total += rec.size();
    ++unread;
    ++unacked;
    ++writes_since;
    dirty = true;
    // checkpoint.writes=1: the writer waits for its sync (write()); rewriting the checkpoint file
    // after every event would only triple the fsyncs, recovery finds synced records by scanning.
    if (s.checkpoint_writes > 1 && writes_since >= static_cast<uint64_t>(s.checkpoint_writes)) want_checkpoint_locked();
    if (pending.size() >= kFlushBytes) (void)flush_locked();
    return seq;
  }

  void want_checkpoint_locked() {
    if (!checkpoint_wanted) {
      checkpoint_wanted = true;
      syncer_cv.notify_one();
    }
  }

  // ---- durability (sync thread) ----------------------------------------------------------------

  void fire_callbacks_locked(std::unique_lock<std::mutex>& lk, bool everything_failed) {
    if (durable_callbacks.empty()) return;
    std::vector<std::pair<std::function<void(bool)>, bool>> ready;
    std::vector<std::pair<uint64_t, std::function<void(bool)>>> waiting;
    for (auto& cb : durable_callbacks) {
      if (cb.first <= durable || everything_failed) {
        ready.emplace_back(std::move(cb.second), cb.first <= durable);
      } else {
        waiting.push_back(std::move(cb));
      }
    }
    durable_callbacks = std::move(waiting);
    if (ready.empty()) return;
    lk.unlock();
    for (auto& r : ready) r.first(r.second);
    lk.lock();
  }

  // Flushes (unless writes are failing) and fsyncs every page with unsynced bytes, then advances
  // the durable point. Runs on the sync thread only.
  void sync_locked(std::unique_lock<std::mutex>& lk) {
    if (!write_failed) (void)flush_locked();
    const uint64_t target = next_seq - 1 - pending_records;
    struct Job {
      Page* page;
      uint64_t bytes;
      uint32_t count;
    };
    std::vector<Job> jobs;
    bool new_page = false;
    for (auto& up : pages) {
      Page* p = up.get();
      if (p->synced_bytes < p->flushed_bytes) {
        jobs.push_back({p, p->flushed_bytes, p->flushed_count});
        new_page = new_page || !p->dir_synced;
      }
    }
    int err = 0;
    std::string failed_path;
    if (!jobs.empty()) {
      lk.unlock();
      for (const Job& j : jobs) {
        // A descriptor of its own: writers close a page's descriptor when they seal it.
        const int fd = ::open(j.page->path.c_str(), O_RDWR | O_CLOEXEC);
        if ((fd < 0 || ::fdatasync(fd) != 0) && !err) {
          err = errno;
          failed_path = j.page->path;
        }
        if (fd >= 0) ::close(fd);
      }
      if (!err && new_page && ::fsync(dir_fd) != 0) {
        err = errno;
        failed_path = dir;
      }
      lk.lock();
    }
    if (err) {
      log(log::Level::Error, "fsync of " + failed_path + " failed: " + describe_errno(err) +
                                 "; events written since the last successful sync are not known to be durable");
      fail_write_locked(err, failed_path);
      return;
    }
    for (const Job& j : jobs) {
      Page* p = j.page;
      p->synced_bytes = j.bytes;
      p->synced_count = j.count;
      p->dir_synced = true;
    }
    if (target > durable) durable = target;
    durable_cv.notify_all();
    fire_callbacks_locked(lk, false);
  }

  Checkpoint snapshot_locked(std::vector<Page*>* doomed) {
    Checkpoint c;
    c.next_seq = next_seq;
    c.next_page_num = next_page_num;
    for (auto& up : pages) {
      Page* p = up.get();
      if (p->synced_bytes < kPageHeaderSize) {
        c.next_page_num = p->num;  // not on disk yet: a newer page, found by recovery on its own
        break;
      }
      if (p->sealed && p->fully_acked() && p->synced_bytes == p->bytes) {
        p->deleting = true;
        doomed->push_back(p);
        continue;
      }
      CheckpointPage e;
      e.num = p->num;
      e.sealed = p->sealed && p->synced_bytes == p->bytes;
      e.min_seq = p->min_seq;
      e.count = p->synced_count;
      e.bytes = p->synced_bytes;
      e.first_unacked_seq = p->min_seq + std::min(p->first_unacked, p->synced_count);
      c.pages.push_back(e);
    }
    return c;
  }

  void checkpoint_locked(std::unique_lock<std::mutex>& lk) {
    const uint64_t covers = ckpt_requested;
    ckpt_started = covers;
    sync_locked(lk);
    std::vector<Page*> doomed;
    const std::string bytes = encode_checkpoint(snapshot_locked(&doomed));
    writes_since = acks_since = 0;
    dirty = checkpoint_wanted = checkpoint_forced = false;
    last_checkpoint = Clock::now();
    lk.unlock();
    const int err = replace_file(dir_fd, dir, "checkpoint", bytes, opt.pwrite);
    if (!err) {
      for (Page* p : doomed) ::unlink(p->path.c_str());
    }
    lk.lock();
    ckpt_completed = covers;
    if (err) {
      for (Page* p : doomed) p->deleting = false;
      checkpoint_failed = true;
      checkpoint_wanted = true;
      next_checkpoint_retry = Clock::now() + opt.write_retry_interval;
      const auto now = Clock::now();
      if (last_error_log == Clock::time_point{} || now - last_error_log >= opt.write_error_log_interval) {
        last_error_log = now;
        log(log::Level::Error, "Cannot write the persisted queue checkpoint in " + dir + ": " + describe_errno(err) +
                                   "; acknowledged pages are kept until it can be written (retrying every " +
                                   std::to_string(opt.write_retry_interval.count()) + " ms).");
      }
    } else {
      checkpoint_failed = false;
      uint64_t freed = 0;
      for (Page* p : doomed) freed += p->disk_bytes;
      bytes_total -= freed;
      pages.erase(std::remove_if(pages.begin(), pages.end(), [](const auto& p) { return p->deleting; }), pages.end());
      if (freed) not_full.notify_all();
    }
    checkpoint_cv.notify_all();
  }

  void retry_write_locked() {
    next_retry = Clock::now() + opt.write_retry_interval;
    if (!pending.empty() && !flush_locked()) return;
    write_failed = false;
    log(log::Level::Info, "Writes to the persisted queue in " + dir + " succeed again; inputs resume.");
    not_full.notify_all();
    not_empty.notify_all();
    durable_cv.notify_all();
  }

  void syncer_main() {
    std::unique_lock lk(mu);
    while (!stop_syncer) {
      const auto now = Clock::now();
      if (write_failed && now >= next_retry) {
        retry_write_locked();
        continue;
      }
      const auto interval = std::chrono::milliseconds(s.checkpoint_interval_ms);
      const bool interval_due = s.checkpoint_interval_ms > 0 && dirty && now - last_checkpoint >= interval;
      const bool may_checkpoint = !checkpoint_failed || checkpoint_forced || now >= next_checkpoint_retry;
      if (may_checkpoint && (checkpoint_wanted || interval_due || ckpt_requested > ckpt_started)) {
        checkpoint_locked(lk);
        continue;
      }
      if (sync_wanted && !write_failed) {
        sync_wanted = false;
        sync_locked(lk);
        continue;
      }
      auto deadline = Clock::time_point::max();
      if (write_failed) deadline = std::min(deadline, next_retry);
      if (checkpoint_failed && (checkpoint_wanted || dirty)) deadline = std::min(deadline, next_checkpoint_retry);
      if (dirty && s.checkpoint_interval_ms > 0) deadline = std::min(deadline, last_checkpoint + interval);
      if (deadline == Clock::time_point::max()) {
        syncer_cv.wait(lk);
      } else {
        syncer_cv.wait_until(lk, deadline);
      }
    }
  }

  // Asks the sync thread for a checkpoint now and waits for its outcome.
  bool checkpoint_and_wait(std::unique_lock<std::mutex>& lk) {
    const uint64_t mine = ++ckpt_requested;
    checkpoint_forced = true;
    syncer_cv.notify_one();
    checkpoint_cv.wait(lk, [&] { return ckpt_completed >= mine || stop_syncer; });
    return !checkpoint_failed && !write_failed;
  }

  // ---- reading -----------------------------------------------------------------------------------

  // Takes up to `max` unread records (in order) into `out`.
  void take_locked(std::vector<ReadDesc>& out, size_t max) {
    if (pending_records > 0 && !write_failed) (void)flush_locked();
    for (auto& up : pages) {
      Page* p = up.get();
      while (p->read_count < p->flushed_count && out.size() < max) {
        const uint32_t length = load_u32(p->map + p->read_offset);
        const uint64_t seq = p->min_seq + p->read_count;
        if (p->read_offset + kRecordHeaderSize + length > p->flushed_bytes) {
          // The file changed under us: nothing further in this page can be located.
          const uint32_t lost = p->flushed_count - p->read_count;
          log(log::Level::Error, "Page " + p->path + " is damaged at offset " + std::to_string(p->read_offset) + "; " +
                                     plural(lost, "event", "events") + " of it are lost.");
          events_lost += lost;
          std::vector<uint64_t> seqs;
          for (uint32_t i = p->read_count; i < p->flushed_count; ++i) seqs.push_back(p->min_seq + i);
          unread -= lost;
          p->read_count = p->flushed_count;
          p->read_offset = p->flushed_bytes;
          ack_locked(seqs);
          break;
        }
        out.push_back(ReadDesc{p, p->read_offset, seq, length});
        p->read_offset += kRecordHeaderSize + length;
        ++p->read_count;
        --unread;
      }
      if (out.size() >= max) break;
    }
  }

  // ---- acknowledgements ------------------------------------------------------------------------

  Page* find_page_locked(uint64_t seq) {
    auto it = std::upper_bound(pages.begin(), pages.end(), seq,
                               [](uint64_t v, const std::unique_ptr<Page>& p) { return v < p->min_seq; });
    if (it == pages.begin()) return nullptr;
    return (--it)->get();
  }

  void ack_locked(std::span<const uint64_t> seqs) {
    for (const uint64_t seq : seqs) {
      Page* p = find_page_locked(seq);
      if (!p || seq - p->min_seq >= p->read_count) continue;  // unknown, or never handed out
      const auto i = static_cast<uint32_t>(seq - p->min_seq);
      if (p->is_acked(i)) continue;
      p->set_acked(i);
      ++p->acked;
      --unacked;
      ++acks_since;
      while (p->first_unacked < p->count && p->is_acked(p->first_unacked)) ++p->first_unacked;
      if (p->sealed && p->fully_acked()) want_checkpoint_locked();
    }
    dirty = true;
    if (s.checkpoint_acks > 0 && acks_since >= static_cast<uint64_t>(s.checkpoint_acks)) want_checkpoint_locked();
  }

  // ---- recovery ----------------------------------------------------------------------------------

  void report(uint32_t page, uint64_t offset, int64_t lost, std::string message, log::Level level) {
    log(level, message);
    if (lost > 0) events_lost += static_cast<uint64_t>(lost);
    issues.push_back(RecoveryIssue{page, offset, lost, std::move(message)});
  }

  bool recover(std::string* error);
  std::unique_ptr<Page> map_existing(uint32_t num, std::string* error);
};

// ---- recovery --------------------------------------------------------------------------------------

std::unique_ptr<Page> PersistedQueue::Impl::map_existing(uint32_t num, std::string* error) {
  auto p = std::make_unique<Page>();
  p->num = num;
  p->path = dir + "/" + page_file_name(num);
  p->fd = ::open(p->path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (p->fd < 0 || ::fstat(p->fd, &st) != 0) {
    *error = "cannot read the persisted queue page " + p->path + ": " + describe_errno(errno) +
             "; check the permissions of " + dir;
    return nullptr;
  }
  p->disk_bytes = static_cast<uint64_t>(st.st_size);
  if (st.st_size > 0) {
    void* m = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_SHARED, p->fd, 0);
    if (m == MAP_FAILED) {
      *error = "cannot map the persisted queue page " + p->path + ": " + describe_errno(errno);
      return nullptr;
    }
    p->map = static_cast<uint8_t*>(m);
    p->map_len = static_cast<size_t>(st.st_size);
  }
  ::close(p->fd);  // recovered pages are only read
  p->fd = -1;
  return p;
}

bool PersistedQueue::Impl::recover(std::string* error) {
  ::unlink((dir + "/checkpoint.tmp").c_str());  // an interrupted checkpoint write; the old one stands

  std::vector<uint32_t> files;
  uint32_t max_num = 0;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* ent = ::readdir(d)) {
      uint32_t num;
      if (parse_page_file_name(ent->d_name, &num)) {
        files.push_back(num);
        max_num = std::max(max_num, num);
      } else if (parse_page_file_name(ent->d_name, &num, ".damaged")) {
        max_num = std::max(max_num, num);
      }
    }
    ::closedir(d);
  } else {
    *error = "cannot list the persisted queue directory " + dir + ": " + describe_errno(errno);
    return false;
  }
  std::sort(files.begin(), files.end());

  std::optional<Checkpoint> cp;
  std::string raw;
  const std::string cp_path = dir + "/checkpoint";
  const int rerr = read_whole_file(cp_path, &raw);
  const std::string rebuilt =
      "; the queue is rebuilt from its page files: events acknowledged since the last checkpoint may be "
      "delivered again.";
  if (rerr == 0) {
    Checkpoint c;
    std::string why;
    const auto st = decode_checkpoint({reinterpret_cast<const uint8_t*>(raw.data()), raw.size()}, &c, &why);
    if (st == CheckpointStatus::Ok) {
      cp = std::move(c);
    } else {
      report(0, 0, 0, "The persisted queue checkpoint " + cp_path + " is damaged (" + to_string(st) + ": " + why + ")" +
                          rebuilt, log::Level::Warn);
    }
  } else if (rerr == ENOENT) {
    if (!files.empty()) report(0, 0, 0, "The persisted queue checkpoint " + cp_path + " is missing" + rebuilt, log::Level::Warn);
  } else {
    *error = "cannot read the persisted queue checkpoint " + cp_path + ": " + describe_errno(rerr);
    return false;
  }

  auto listed = [&](uint32_t num) -> const CheckpointPage* {
    if (!cp) return nullptr;
    for (const auto& e : cp->pages) {
      if (e.num == num) return &e;
    }
    return nullptr;
  };

  // Pages the checkpoint lists that are gone.
  if (cp) {
    for (const auto& e : cp->pages) {
      if (std::binary_search(files.begin(), files.end(), e.num)) continue;
      const int64_t lost = static_cast<int64_t>(e.min_seq + e.count - e.first_unacked_seq);
      report(e.num, 0, lost,
             "The persisted queue page " + dir + "/" + page_file_name(e.num) + " is missing; " +
                 plural(static_cast<uint64_t>(lost), "event", "events") + " in it are lost.",
             lost > 0 ? log::Level::Error : log::Level::Warn);
    }
  }

  struct Found {
    std::unique_ptr<Page> page;
    const CheckpointPage* entry;
    ScanResult scan;
  };
  std::vector<Found> found;
  for (const uint32_t num : files) {
    const CheckpointPage* e = listed(num);
    if (cp && !e && num < cp->next_page_num) {
      // Fully acknowledged before the last checkpoint; its deletion was interrupted.
      ::unlink((dir + "/" + page_file_name(num)).c_str());
      continue;
    }
    auto p = map_existing(num, error);
    if (!p) return false;
    const ScanResult r = scan_page({p->map, p->map_len}, num);
    found.push_back(Found{std::move(p), e, r});
  }

  uint64_t max_seq_end = 1;
  for (size_t i = 0; i < found.size(); ++i) {
    Found& f = found[i];
    Page& p = *f.page;
    const CheckpointPage* e = f.entry;
    // The next readable page's first sequence number ends this page exactly.
    std::optional<uint64_t> next_min;
    for (size_t j = i + 1; j < found.size(); ++j) {
      if (found[j].scan.end != ScanEnd::BadHeader) {
        next_min = found[j].scan.header.min_seq;
        break;
      }
    }
    if (f.scan.end == ScanEnd::BadHeader) {
      const bool last = i + 1 == found.size();
      if (last && !e && p.map_len < kPageHeaderSize) {
        // A page created just before the crash whose header never reached the disk: nothing in it.
        ::unlink(p.path.c_str());
        continue;
      }
      int64_t lost = -1;
      if (e) lost = static_cast<int64_t>(e->min_seq + e->count - e->first_unacked_seq);
      const std::string aside = p.path + ".damaged";
      ::rename(p.path.c_str(), aside.c_str());
      report(p.num, 0, lost,
             "The persisted queue page " + p.path + " is unreadable (" + f.scan.reason + "); " +
                 (lost < 0 ? std::string("the number of events lost is unknown")
                           : plural(static_cast<uint64_t>(lost), "event is lost", "events are lost")) +
                 ". It was moved aside to " + aside + ".",
             log::Level::Error);
      continue;
    }
    const uint64_t min_seq = f.scan.header.min_seq;
    const uint64_t found_end = min_seq + f.scan.records;
    const uint64_t first_unacked = std::clamp<uint64_t>(e ? e->first_unacked_seq : min_seq, min_seq, found_end);
    std::optional<uint64_t> expected_end;
    if (e && e->sealed) {
      expected_end = e->min_seq + e->count;
    } else if (next_min && *next_min >= found_end) {
      expected_end = *next_min;
    } else if (e) {
      expected_end = e->min_seq + e->count;  // at least this many were durable
    }
    const uint64_t readable_end = std::max(found_end, e ? e->first_unacked_seq : min_seq);
    const int64_t lost = expected_end && *expected_end > readable_end
                             ? static_cast<int64_t>(*expected_end - readable_end)
                             : (f.scan.end == ScanEnd::Corrupt && !expected_end ? -1 : 0);
    const std::string where = "The persisted queue page " + p.path;
    const std::string lost_text =
        lost < 0 ? "the rest of the page cannot be read (the number of events in it is unknown)"
                 : plural(static_cast<uint64_t>(lost), "unacknowledged event is lost", "unacknowledged events are lost");
    if (f.scan.end == ScanEnd::Corrupt) {
      report(p.num, f.scan.valid_bytes, lost,
             where + " is damaged: " + f.scan.reason + " after " + plural(f.scan.records, "record", "records") + "; " +
                 lost_text + ". The records before it and the later pages are delivered.",
             log::Level::Error);
    } else if (lost != 0) {
      report(p.num, f.scan.valid_bytes, lost,
             where + " ends after " + plural(f.scan.records, "record", "records") + " at offset " +
                 std::to_string(f.scan.valid_bytes) + (f.scan.end == ScanEnd::Torn ? " (" + f.scan.reason + ")" : "") +
                 "; " + lost_text + ".",
             log::Level::Error);
    } else if (f.scan.end == ScanEnd::Torn) {
      report(p.num, f.scan.valid_bytes, 0,
             where + " ends with " + f.scan.reason +
                 ", an append the crash interrupted before it was durable; the page is read up to there.",
             log::Level::Warn);
    }
    max_seq_end = std::max(max_seq_end, found_end);
    p.min_seq = min_seq;
    p.count = f.scan.records;
    p.bytes = p.flushed_bytes = p.synced_bytes = f.scan.valid_bytes;
    p.flushed_count = p.synced_count = p.count;
    p.sealed = p.dir_synced = true;
    p.grow_bits();
    const auto done = static_cast<uint32_t>(first_unacked - min_seq);
    if (done == p.count) {
      ::unlink(p.path.c_str());  // nothing left to deliver
      continue;
    }
    for (uint32_t k = 0; k < done; ++k) p.set_acked(k);
    p.acked = p.first_unacked = p.read_count = done;
    p.read_offset = kPageHeaderSize;
    for (uint32_t k = 0; k < done; ++k) p.read_offset += kRecordHeaderSize + load_u32(p.map + p.read_offset);
    unread += p.count - done;
    unacked += p.count - done;
    bytes_total += p.disk_bytes;
    pages.push_back(std::move(f.page));
  }
  next_seq = std::max<uint64_t>({cp ? cp->next_seq : 1, max_seq_end, 1});
  next_page_num = std::max<uint32_t>(cp ? cp->next_page_num : 1, max_num + 1);
  durable = next_seq - 1;
  ::fsync(dir_fd);
  return true;
}

// ---- public API ------------------------------------------------------------------------------------

PersistedQueue::PersistedQueue(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::unique_ptr<PersistedQueue> PersistedQueue::open(const std::string& dir, const QueueSettings& s,
                                                     std::string* error, Options options) {
  std::string local;
  std::string& err = error ? *error : local;
  if (s.max_bytes > 0 && s.page_capacity > s.max_bytes) {
    err = "queue.page_capacity (" + std::to_string(s.page_capacity) + " bytes) must not exceed queue.max_bytes (" +
          std::to_string(s.max_bytes) + " bytes); lower the one or raise the other";
    return nullptr;
  }
  if (s.page_capacity < kPageHeaderSize + kRecordHeaderSize) {
    err = "queue.page_capacity must be at least " + std::to_string(kPageHeaderSize + kRecordHeaderSize) + " bytes";
    return nullptr;
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    err = "cannot create the persisted queue directory " + dir + ": " + ec.message() + "; set path.queue to a writable directory";
    return nullptr;
  }
  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  impl->s = s;
  impl->opt = std::move(options);
  const std::string lock_path = dir + "/.lock";
  impl->lock_fd = ::open(lock_path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  if (impl->lock_fd < 0) {
    err = "cannot create the lock file " + lock_path + ": " + describe_errno(errno) + "; check the permissions of " + dir;
    return nullptr;
  }
  if (::flock(impl->lock_fd, LOCK_EX | LOCK_NB) != 0) {
    err = errno == EWOULDBLOCK
              ? "the persisted queue " + dir + " is in use by another process (it holds " + lock_path +
                    "); stop that process or give this pipeline another path.queue"
              : "cannot lock " + lock_path + ": " + describe_errno(errno);
    return nullptr;
  }
  impl->dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (impl->dir_fd < 0) {
    err = "cannot open the persisted queue directory " + dir + ": " + describe_errno(errno);
    return nullptr;
  }
  if (!impl->recover(&err)) return nullptr;
  {
    // Record the recovered state at once (deleted and damaged pages no longer listed).
    Impl& q = *impl;
    std::vector<Page*> none;
    const std::string bytes = encode_checkpoint(q.snapshot_locked(&none));
    if (const int werr = replace_file(q.dir_fd, q.dir, "checkpoint", bytes, q.opt.pwrite)) {
      q.log(log::Level::Warn, "Cannot write the persisted queue checkpoint in " + dir + ": " + describe_errno(werr) +
                                  "; retrying in the background.");
      q.checkpoint_wanted = true;
    }
  }
  Impl* raw = impl.get();
  impl->syncer = std::thread([raw] { raw->syncer_main(); });
  return std::unique_ptr<PersistedQueue>(new PersistedQueue(std::move(impl)));
}

PersistedQueue::~PersistedQueue() {
  close();
  Impl& q = *impl_;
  {
    std::unique_lock lk(q.mu);
    (void)q.checkpoint_and_wait(lk);  // the acknowledgements received after close()
    q.stop_syncer = true;
    q.final_failed = q.durable + 1 < q.next_seq;
    q.fire_callbacks_locked(lk, true);
  }
  q.syncer_cv.notify_all();
  q.durable_cv.notify_all();
  q.syncer.join();
}

WriteResult PersistedQueue::write(const Event& e) {
  Impl& q = *impl_;
  thread_local std::string rec;
  rec.assign(kRecordHeaderSize, '\0');
  if (encode_event(e, rec) != EncodeStatus::Ok) return {WriteStatus::TooDeep, 0};
  const size_t length = rec.size() - kRecordHeaderSize;
  if (length > UINT32_MAX) return {WriteStatus::TooDeep, 0};
  const uint32_t payload_crc = crc32(0, rec.data() + kRecordHeaderSize, length);
  uint64_t seq;
  bool wake_reader;
  {
    std::unique_lock lk(q.mu);
    if (!q.admit_locked(lk, rec.size())) return {WriteStatus::Closed, 0};
    seq = q.append_locked(rec, static_cast<uint32_t>(length), payload_crc);
    wake_reader = q.readers_waiting > 0;
  }
  if (wake_reader) q.not_empty.notify_one();
  if (q.s.checkpoint_writes == 1) (void)wait_durable(seq);
  return {WriteStatus::Ok, seq};
}

bool PersistedQueue::push(std::unique_ptr<Event>& e) {
  const WriteResult r = write(*e);
  if (r.status == WriteStatus::TooDeep) {
    impl_->log(log::Level::Error, "An event nests deeper than " + std::to_string(kMaxEventDepth) +
                                      " levels and cannot be written to the persisted queue; it is dropped.");
  }
  if (r.status != WriteStatus::Ok) return false;
  e.reset();
  return true;
}

bool PersistedQueue::wait_durable(uint64_t seq) {
  Impl& q = *impl_;
  std::unique_lock lk(q.mu);
  if (seq >= q.next_seq) return false;  // never written
  while (q.durable < seq) {
    if (q.final_failed || q.stop_syncer) return false;
    if (!q.sync_wanted) {
      q.sync_wanted = true;
      q.syncer_cv.notify_one();
    }
    q.durable_cv.wait(lk);
  }
  return true;
}

void PersistedQueue::when_durable(uint64_t seq, std::function<void(bool)> done) {
  Impl& q = *impl_;
  bool ok;
  {
    std::unique_lock lk(q.mu);
    if (q.durable < seq && seq < q.next_seq && !q.stop_syncer && !q.final_failed) {
      q.durable_callbacks.emplace_back(seq, std::move(done));
      q.sync_wanted = true;
      q.syncer_cv.notify_one();
      return;
    }
    ok = q.durable >= seq;
  }
  done(ok);
}

uint64_t PersistedQueue::durable_seq() const {
  std::lock_guard lk(impl_->mu);
  return impl_->durable;
}

bool PersistedQueue::read_batch(Batch& out, size_t max, std::chrono::milliseconds delay) {
  Impl& q = *impl_;
  if (max == 0) max = 1;
  thread_local std::vector<ReadDesc> descs;
  thread_local std::vector<uint64_t> bad;
  std::string err;
  for (;;) {
    descs.clear();
    bool wake_writers;
    {
      std::unique_lock lk(q.mu);
      auto finished = [&] { return q.closed && (!q.s.drain || q.unread == 0); };
      auto ready = [&] { return q.unread > 0 || q.closed; };
      if (!ready()) {
        ++q.readers_waiting;
        q.not_empty.wait(lk, ready);
        --q.readers_waiting;
      }
      if (finished()) return false;
      for (;;) {
        q.take_locked(descs, max);
        if (descs.size() >= max || q.closed) break;
        if (q.unread == 0) {
          ++q.readers_waiting;
          const bool got = q.not_empty.wait_for(lk, delay, ready);
          --q.readers_waiting;
          if (!got || q.unread == 0) break;
        } else {
          break;  // what is unread is buffered and cannot be written now
        }
      }
      if (descs.empty()) {
        // Unread events are buffered behind a failing disk: poll until they can be written.
        ++q.readers_waiting;
        q.not_empty.wait_for(lk, std::max(delay, std::chrono::milliseconds(10)));
        --q.readers_waiting;
        continue;
      }
      wake_writers = q.writers_waiting > 0;
    }
    if (wake_writers) q.not_full.notify_all();
    bad.clear();
    for (const ReadDesc& d : descs) {
      RecordRef rec;
      const Bytes image(d.page->map + d.offset, kRecordHeaderSize + d.length);
      const RecordStatus st = read_record(image, 0, d.seq, &rec);
      std::unique_ptr<Event> e;
      if (st == RecordStatus::Ok) {
        e = decode_event({reinterpret_cast<const char*>(rec.payload), rec.length}, &err);
      } else {
        err = to_string(st);
      }
      if (!e) {
        q.log(log::Level::Error, "The event with sequence number " + std::to_string(d.seq) + " in " + d.page->path +
                                     " at offset " + std::to_string(d.offset) + " cannot be read (" + err +
                                     "); it is lost.");
        bad.push_back(d.seq);
        continue;
      }
      out.events.push_back(std::move(e));
      out.seqs.push_back(d.seq);
    }
    if (!bad.empty()) {
      std::lock_guard lk(q.mu);
      q.events_lost += bad.size();
      q.ack_locked(bad);
    }
    if (!out.seqs.empty()) return true;
  }
}

void PersistedQueue::ack(std::span<const uint64_t> seqs) {
  if (seqs.empty()) return;
  std::lock_guard lk(impl_->mu);
  impl_->ack_locked(seqs);
}

void PersistedQueue::close() {
  Impl& q = *impl_;
  std::unique_lock lk(q.mu);
  if (!q.closed) {
    q.closed = true;
    q.not_full.notify_all();
    q.not_empty.notify_all();
  }
  if (!q.checkpoint_and_wait(lk) && q.durable + 1 < q.next_seq) {
    q.log(log::Level::Error, plural(q.next_seq - 1 - q.durable, "event", "events") + " could not be made durable in " +
                                 q.dir + " before the queue closed (" + q.write_error + ")");
    q.final_failed = true;
    q.durable_cv.notify_all();
    q.fire_callbacks_locked(lk, true);
  }
}

bool PersistedQueue::checkpoint() {
  std::unique_lock lk(impl_->mu);
  return impl_->checkpoint_and_wait(lk);
}

size_t PersistedQueue::size() const {
  std::lock_guard lk(impl_->mu);
  return impl_->unacked;
}

size_t PersistedQueue::unread() const {
  std::lock_guard lk(impl_->mu);
  return impl_->unread;
}

uint64_t PersistedQueue::push_blocked_ns() const {
  std::lock_guard lk(impl_->mu);
  return impl_->push_blocked_ns;
}

uint64_t PersistedQueue::events_lost() const {
  std::lock_guard lk(impl_->mu);
  return impl_->events_lost;
}

QueueStats PersistedQueue::stats() const {
  const Impl& q = *impl_;
  QueueStats st;
  st.type = "persisted";
  st.path = q.dir;
  st.max_queue_size_in_bytes = q.s.max_bytes;
  st.max_unread_events = q.s.max_events;
  st.page_capacity_in_bytes = q.s.page_capacity;
  struct statvfs vfs {};
  if (::statvfs(q.dir.c_str(), &vfs) == 0) st.free_space_in_bytes = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  std::lock_guard lk(q.mu);
  st.events_count = q.unacked;
  st.queue_size_in_bytes = q.bytes_total;
  return st;
}

std::string PersistedQueue::describe_unacked() const {
  const Impl& q = *impl_;
  std::lock_guard lk(q.mu);
  if (q.unacked == 0) return "The persisted queue " + q.dir + " is empty";
  uint64_t pages = 0;
  for (const auto& p : q.pages) pages += p->fully_acked() ? 0 : 1;
  return plural(q.unacked, "event", "events") + " in " + plural(pages, "page", "pages") + " remain in " + q.dir;
}

const std::vector<RecoveryIssue>& PersistedQueue::recovery_issues() const { return impl_->issues; }

const std::string& PersistedQueue::path() const { return impl_->dir; }

}  // namespace sluice::pq
