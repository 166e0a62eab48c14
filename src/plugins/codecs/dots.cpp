// The dots codec (logstash-codec-dots 3.0.6): one "." per event, no delimiter. Encode only.
#include "sluice/log.hpp"
#include "sluice/registry.hpp"

namespace sluice::codecs {
namespace {

class DotsCodec final : public Codec {
 public:
  void decode(std::string_view, const Sink&) override {
    // Logstash raises "Not implemented": the data is lost, say so.
    warn_.warn("logstash.codecs.dots", "The dots codec cannot decode; input data is discarded", id());
  }
  void encode(const Event&, std::string& out) override { out.push_back('.'); }

 private:
  log::RateLimited warn_;
};

}  // namespace
}  // namespace sluice::codecs

namespace sluice::plugins {

void register_codec_dots(Registry& r) {
  PluginSchema s;
  s.kind = PluginKind::Codec;
  s.name = "dots";
  s.description = "Writes one dot per event (a progress indicator). Encode only.";
  r.add(std::move(s), [](const PluginConfig&) -> std::unique_ptr<Plugin> {
    return std::make_unique<codecs::DotsCodec>();
  });
}

}  // namespace sluice::plugins
