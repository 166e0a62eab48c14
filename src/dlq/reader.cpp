// The dead letter queue reader and the input's sincedb.
#include "dlq/reader.hpp"

#include "sluice/log.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace sluice::dlq {
namespace {

namespace fs = std::filesystem;
constexpr std::string_view kLogger = "org.logstash.common.io.DeadLetterQueueReader";

}  // namespace

Reader::Reader(std::string dir, std::string log_pipeline_id)
    : dir_(std::move(dir)), pipeline_id_(std::move(log_pipeline_id)) {}

void Reader::seek(Position p) {
  cur_.close();
  cur_id_ = 0;
  offset_ = 0;
  want_ = p;
}

Position Reader::position() const {
  if (cur_.is_open()) return {cur_id_, offset_};
  return want_;
}

bool Reader::newer_segment_exists() const {
  const auto ids = list_segments(dir_);
  return !ids.empty() && ids.back() > cur_id_;
}

// Opens the first segment at or after want_.segment; false if there is none yet.
bool Reader::open_next() {
  for (uint32_t id : list_segments(dir_)) {
    if (id < want_.segment) continue;
    std::string error;
    if (!cur_.open(segment_path(dir_, id), &error)) continue;  // deleted meanwhile
    if (!has_version(cur_)) {
      uint8_t v = 0;
      const bool empty = !cur_.read(0, 1, &v);
      cur_.close();
      if (empty) return false;  // not even its version byte yet
      log::write(log::Level::Error, kLogger,
                 "Skipping " + segment_path(dir_, id) + ": it is not a Sluice dead letter queue segment (version byte " +
                     std::to_string(v) + "). Move it out of the directory.",
                 pipeline_id_);
      want_ = {id + 1, 0};
      continue;
    }
    offset_ = id == want_.segment ? std::max<uint64_t>(want_.offset, kVersionSize) : kVersionSize;
    cur_id_ = id;
    warned_torn_ = false;
    return true;
  }
  return false;
}

void Reader::skip_corrupt(const char* what) {
  const uint64_t block = (offset_ - kVersionSize) / kBlockSize;
  const uint64_t resume = find_entry_start(cur_, block_start(block + 1));
  log::write(log::Level::Error, kLogger,
             std::string("Dead letter queue segment ") + cur_.path() + " has " + what + " at offset " +
                 std::to_string(offset_) + "; skipping " + std::to_string(resume - offset_) +
                 " bytes to the next readable entry",
             pipeline_id_);
  ++skipped_entries_;
  skipped_bytes_ += resume - offset_;
  offset_ = resume;
}

PollStatus Reader::next(Entry* out) {
  while (true) {
    if (!cur_.is_open() && !open_next()) return PollStatus::NoData;
    uint64_t next = 0;
    const ReadStatus st = read_entry(cur_, offset_, &payload_, &next);
    if (st == ReadStatus::Ok) {
      std::string error;
      if (!decode_entry(payload_, out, &error)) {
        log::write(log::Level::Error, kLogger,
                   "Skipping an unreadable dead letter queue entry in " + cur_.path() + " at offset " +
                       std::to_string(offset_) + ": " + error,
                   pipeline_id_);
        ++skipped_entries_;
        offset_ = next;
        continue;
      }
      offset_ = next;
      return PollStatus::Entry;
    }
    if (st == ReadStatus::Corrupt) {
      skip_corrupt("a corrupt record");
      continue;
    }
    // End, or a torn tail: wait here while this is the newest segment.
    if (!newer_segment_exists()) {
      if (st == ReadStatus::Incomplete && !warned_torn_) {
        log::debug(kLogger, "Dead letter queue segment " + cur_.path() + " ends inside an entry at offset " +
                                std::to_string(offset_) + "; waiting for the rest or a newer segment");
        warned_torn_ = true;
      }
      return PollStatus::NoData;
    }
    if (st == ReadStatus::Incomplete) {
      const uint64_t size = cur_.size();
      log::write(log::Level::Warn, kLogger,
                 "Dead letter queue segment " + cur_.path() + " ends with an incomplete entry at offset " +
                     std::to_string(offset_) + "; skipping its last " + std::to_string(size - offset_) + " bytes",
                 pipeline_id_);
      ++skipped_entries_;
      skipped_bytes_ += size - offset_;
    }
    want_ = {cur_id_ + 1, 0};
    cur_.close();
    cur_id_ = 0;
  }
}

void Reader::seek_timestamp(Timestamp t) {
  const auto ids = list_segments(dir_);
  std::string payload;
  auto first_time_from = [&](const ByteSource& src, uint64_t from, uint64_t* at) -> std::optional<Timestamp> {
    const uint64_t pos = find_entry_start(src, from);
    uint64_t next = 0;
    if (pos >= src.size() || read_entry(src, pos, &payload, &next) != ReadStatus::Ok) return std::nullopt;
    *at = pos;
    return peek_entry_time(payload);
  };
  for (uint32_t id : ids) {
    FileSource src;
    if (!src.open(segment_path(dir_, id), nullptr) || !has_version(src)) continue;
    // The last block whose first entry is older than t; the entry sought is at or after it.
    uint64_t lo = 0, hi = block_count(src.size());
    while (lo + 1 < hi) {
      const uint64_t mid = (lo + hi) / 2;
      uint64_t at = 0;
      const auto ft = first_time_from(src, block_start(mid), &at);
      if (!ft || *ft >= t) hi = mid;
      else lo = mid;
    }
    uint64_t pos = find_entry_start(src, block_start(lo));
    while (pos < src.size()) {
      uint64_t next = 0;
      const ReadStatus st = read_entry(src, pos, &payload, &next);
      if (st != ReadStatus::Ok) {
        if (st != ReadStatus::Corrupt) break;
        pos = find_entry_start(src, block_start((pos - kVersionSize) / kBlockSize + 1));
        continue;
      }
      const auto et = peek_entry_time(payload);
      if (et && *et >= t) {
        seek({id, pos});
        return;
      }
      pos = next;
    }
  }
  // Nothing that recent yet: wait after the last segment.
  seek(ids.empty() ? Position{} : Position{ids.back() + 1, 0});
}

std::optional<Position> read_sincedb(const std::string& path, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  const std::string b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (b.empty()) return std::nullopt;
  auto u = [&](size_t at, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>(b[at + static_cast<size_t>(i)]);
    return v;
  };
  if (b.size() < 6 || u(0, 2) != '1') {
    *error = "sincedb " + path + " has an unknown version; delete it to read the queue from the start";
    return std::nullopt;
  }
  const uint64_t len = u(2, 4);
  if (b.size() < 6 + len + 8) {
    *error = "sincedb " + path + " is truncated; delete it to read the queue from the start";
    return std::nullopt;
  }
  const std::string segment = b.substr(6, static_cast<size_t>(len));
  const auto id = segment_id_of(segment);
  if (!id) {
    *error = "sincedb " + path + " names " + segment + ", which is not a segment; delete it to read the queue from the start";
    return std::nullopt;
  }
  return Position{*id, u(6 + static_cast<size_t>(len), 8)};
}

bool write_sincedb(const std::string& path, const std::string& queue_dir, Position p, std::string* error) {
  if (p.segment == 0) return true;  // nothing read yet
  std::error_code ec;
  const std::string segment = fs::absolute(segment_path(queue_dir, p.segment), ec).lexically_normal().string();
  std::string b;
  auto put = [&](uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) b.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  put('1', 2);
  put(segment.size(), 4);
  b += segment;
  put(p.offset, 8);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(b.data(), static_cast<std::streamsize>(b.size()));
    if (!out) {
      *error = "Cannot write the sincedb " + tmp + "; make its directory writable or set sincedb_path";
      return false;
    }
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    *error = "Cannot replace the sincedb " + path + ": " + ec.message();
    return false;
  }
  return true;
}

}  // namespace sluice::dlq
