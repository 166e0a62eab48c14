// Depth-first walks over event value trees without recursion.
//
// Events can nest deeper than any parser limit: a field reference rendered from event data
// (`mutate { rename => { "a" => "%{path}" } }`, `add_field => { "%{k}" => ... }`) creates as many
// levels as the rendered text has `[x]` parts, and filters can move one deep subtree below another.
// So every walk over a whole event tree keeps its position in an explicit stack (heap memory that
// grows with the depth, a few machine words per level) instead of the thread's stack.
#pragma once

#include "sluice/value.hpp"

#include <cstddef>
#include <new>
#include <type_traits>
#include <vector>

namespace sluice {

// A stack whose first N entries live inline (no heap allocation for ordinary events). T must be
// trivially copyable; the inline slots are not initialised before use.
template <class T, std::size_t N>
class InlineStack {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  InlineStack() = default;
  InlineStack(const InlineStack&) = delete;
  InlineStack& operator=(const InlineStack&) = delete;

  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  T& back() { return size_ <= N ? slot(size_ - 1) : spill_[size_ - N - 1]; }
  void push(const T& v) {
    if (size_ < N) {
      new (&inline_[size_ * sizeof(T)]) T(v);
    } else {
      spill_.push_back(v);
    }
    ++size_;
  }
  void pop() {
    if (size_ > N) spill_.pop_back();
    --size_;
  }

 private:
  T& slot(std::size_t i) { return *std::launder(reinterpret_cast<T*>(&inline_[i * sizeof(T)])); }
  alignas(T) unsigned char inline_[N * sizeof(T)];
  std::vector<T> spill_;
  std::size_t size_ = 0;
};

// Where a value sits in the tree being walked.
struct WalkPos {
  const Value* key = nullptr;  // the member name when the value is an object member
  rapidjson::SizeType index = 0;  // its position among its parent's members or elements (0: the root)
  std::size_t depth = 0;          // 0: the root
};

enum class WalkStep {
  Into,  // walk the children of this container (then end() is called for it)
  Over,  // do not look inside (for scalars this is the same as Into)
  Stop,  // end the walk now
};

// Calls vis.enter(const Value&, const WalkPos&) -> WalkStep for every value in document order
// (members and elements in their stored order), and vis.leave(const Value&, const WalkPos&) after
// the children of every container entered with Into. Returns false if the visitor stopped the walk.
template <class Visitor>
bool walk(const Value& root, Visitor& vis) {
  struct Frame {
    const Value::Member* members;  // an object's members, or nullptr for an array
    const Value* elements;         // an array's elements
    rapidjson::SizeType next;
    rapidjson::SizeType size;
    const Value* container;
    WalkPos pos;
  };
  auto is_container = [](const Value& v) { return v.IsObject() || v.IsArray(); };
  auto frame_of = [](const Value& v, const WalkPos& pos) {
    if (v.IsObject()) return Frame{v.MemberCount() ? &*v.MemberBegin() : nullptr, nullptr, 0, v.MemberCount(), &v, pos};
    return Frame{nullptr, v.Size() ? v.Begin() : nullptr, 0, v.Size(), &v, pos};
  };

  const WalkPos root_pos{};
  const WalkStep first = vis.enter(root, root_pos);
  if (first == WalkStep::Stop) return false;
  if (first != WalkStep::Into || !is_container(root)) return true;
  InlineStack<Frame, 32> stack;
  stack.push(frame_of(root, root_pos));
  while (!stack.empty()) {
    Frame& f = stack.back();
    bool descended = false;
    // The children of the innermost open container, until one of them is a container to enter.
    while (f.next < f.size) {
      WalkPos pos;
      pos.index = f.next++;
      pos.depth = stack.size();
      const Value* child;
      if (f.members) {
        const Value::Member& m = f.members[pos.index];
        pos.key = &m.name;
        child = &m.value;
      } else {
        child = &f.elements[pos.index];
      }
      const WalkStep step = vis.enter(*child, pos);
      if (step == WalkStep::Stop) return false;
      if (step == WalkStep::Into && is_container(*child)) {
        stack.push(frame_of(*child, pos));  // `f` may not be used after this
        descended = true;
        break;
      }
    }
    if (descended) continue;
    const Value& c = *f.container;
    const WalkPos pos = f.pos;
    stack.pop();
    vis.leave(c, pos);
  }
  return true;
}

}  // namespace sluice
