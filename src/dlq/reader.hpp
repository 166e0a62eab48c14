// The dead letter queue reader (Logstash's DeadLetterQueueReader): reads the sealed segments of one
// pipeline's directory in order and follows new ones as the writer seals them. It never blocks:
// next() returns NoData when there is nothing more yet, and the caller waits and asks again.
//
// A segment that ends inside an entry (a torn write; sealed segments normally never do) stops the
// reader there while it is the newest segment, in case the rest is still arriving; once a newer
// segment exists the torn tail is skipped with a warning. A corrupt record is reported and the
// reader resumes at the next entry that starts in a later block. Segments deleted under the reader
// (drop_older, retain.age) are skipped.
#pragma once

#include "dlq/entry.hpp"
#include "dlq/segments.hpp"

#include <cstdint>
#include <string>

namespace sluice::dlq {

// Where the next entry is read from: a segment id and a byte offset in it. Segment 0 means "the
// first segment there is"; offset 0 the start of the segment.
struct Position {
  uint32_t segment = 0;
  uint64_t offset = 0;
  friend bool operator==(const Position&, const Position&) = default;
};

enum class [[nodiscard]] PollStatus { Entry, NoData };

class Reader {
 public:
  // dir: the pipeline's queue directory (<path.dead_letter_queue>/<pipeline id>).
  explicit Reader(std::string dir, std::string log_pipeline_id = {});

  // Resume at a saved position; if its segment is gone, at the start of the next one.
  void seek(Position p);
  // Position at the first entry whose entry time is at or after t (at the end when none is: only
  // entries of segments sealed later are read).
  void seek_timestamp(Timestamp t);

  PollStatus next(Entry* out);
  // Where the entry after the last one returned starts.
  Position position() const;
  // The segment being read (0 before the first).
  uint32_t current_segment() const { return cur_id_; }
  // Counters for tests and logs.
  uint64_t skipped_entries() const { return skipped_entries_; }
  uint64_t skipped_bytes() const { return skipped_bytes_; }

  const std::string& dir() const { return dir_; }

 private:
  bool open_next();
  bool newer_segment_exists() const;
  void skip_corrupt(const char* what);

  std::string dir_;
  std::string pipeline_id_;
  FileSource cur_;
  uint32_t cur_id_ = 0;
  uint64_t offset_ = 0;
  Position want_;  // used when no segment is open
  bool warned_torn_ = false;
  uint64_t skipped_entries_ = 0;
  uint64_t skipped_bytes_ = 0;
  std::string payload_;
};

// The input's sincedb (Logstash's layout: version char '1' as two bytes, the segment's absolute
// path with a 4-byte length, the 8-byte offset; big-endian). nullopt if the file is missing or empty;
// *error set if it exists but cannot be read.
std::optional<Position> read_sincedb(const std::string& path, std::string* error);
// Written to a temporary file and renamed into place.
bool write_sincedb(const std::string& path, const std::string& queue_dir, Position p, std::string* error);

}  // namespace sluice::dlq
