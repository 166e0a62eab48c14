// End-to-end acknowledgements (`pipeline.end_to_end_acks`): an input that can acknowledge its
// client (beats windows) groups the events of one acknowledgement in an AckGroup and attaches the
// group to each event. The group fires once every event of it is finished: delivered or rejected by
// every output it was routed to, or dropped by a filter; that is, when the event object is
// destroyed after the worker's batch (outputs return from receive() only once they are done with
// an event). A group can be cancelled (the batch failed, the pipeline could not take the events):
// it then never fires and the client resends.
//
// The producer holds one extra reference while it pushes (hold()/release_hold()), so that events
// finishing while the rest of the group is still being pushed cannot fire it early.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>

namespace sluice {

class AckGroup {
 public:
  // `events`: how many events will carry the group. `done` runs once, on the thread that finishes
  // the last event (a worker), so it must be cheap and thread-safe (e.g. post to an I/O loop).
  AckGroup(size_t events, std::function<void()> done) : pending_(events + 1), done_(std::move(done)) {}

  void release() {
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1 && !cancelled_.load(std::memory_order_acquire)) done_();
  }
  // The producer's hold: released once every event was pushed (or the group was cancelled).
  void release_hold() { release(); }
  void cancel() { cancelled_.store(true, std::memory_order_release); }
  bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }

 private:
  std::atomic<size_t> pending_;
  std::atomic<bool> cancelled_{false};
  std::function<void()> done_;
};

// An event's share of a group: released when the event is destroyed.
class AckRef {
 public:
  AckRef() = default;
  explicit AckRef(std::shared_ptr<AckGroup> g) : group_(std::move(g)) {}
  AckRef(const AckRef&) = delete;
  AckRef& operator=(const AckRef&) = delete;
  AckRef(AckRef&& o) noexcept = default;
  AckRef& operator=(AckRef&& o) noexcept {
    if (this != &o) {
      reset();
      group_ = std::move(o.group_);
    }
    return *this;
  }
  ~AckRef() { reset(); }

  void reset() {
    if (group_) {
      group_->release();
      group_.reset();
    }
  }
  AckGroup* group() const { return group_.get(); }

 private:
  std::shared_ptr<AckGroup> group_;
};

}  // namespace sluice
