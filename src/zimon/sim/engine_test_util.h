// Test helpers for SimEngine tests: an engine on a ManualEventLoop that
// records every result.
#ifndef ZIMON_SIM_ENGINE_TEST_UTIL_H_
#define ZIMON_SIM_ENGINE_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <vector>

#include "zimon/sim/engine.h"
#include "zimon/sim/event_loop.h"

namespace zimon::sim::testing {

inline double Sec(EventLoop::Duration d) {
  return std::chrono::duration<double>(d).count();
}

inline GpuProfile Profile(const char* name) {
  auto p = FindProfile(name);
  EXPECT_TRUE(p.ok());
  return p.ok() ? *p : GpuProfile();
}

inline SimOptions Options(const char* profile) {
  SimOptions o;
  o.profile = Profile(profile);
  o.render_images = false;
  o.jitter_sigma = 0;
  o.max_queue = 0;
  return o;
}

inline ImageRequest Req(ImageSize size = {1024, 1024}, int steps = 9,
                        uint64_t seed = 1) {
  ImageRequest r;
  r.prompt = "a lighthouse on a cliff at dusk";
  r.size = size;
  r.steps = steps;
  r.seed = seed;
  return r;
}

class Harness {
 public:
  explicit Harness(SimOptions options) {
    auto e = SimEngine::Create(std::move(options), loop);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    if (e.ok()) engine = std::move(*e);
  }

  StatusOr<uint64_t> TrySubmit(ImageRequest r) {
    RequestCallbacks cb;
    cb.on_done = [this](ImageResult res) { done[res.id] = std::move(res); };
    return engine->Submit(std::move(r), std::move(cb));
  }
  uint64_t Submit(ImageRequest r = Req()) {
    auto id = TrySubmit(std::move(r));
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : 0;
  }
  // Pays the cold start with one request and forgets its result.
  void WarmUp(ImageSize size = {512, 512}) {
    Submit(Req(size));
    loop.RunUntilIdle();
    done.clear();
  }
  const ImageResult& Result(uint64_t id) {
    static const ImageResult kNone;
    auto it = done.find(id);
    EXPECT_NE(it, done.end()) << "no result for " << id;
    return it == done.end() ? kNone : it->second;
  }
  double Latency(uint64_t id) {
    const ImageResult& r = Result(id);
    return Sec(r.finished - r.submitted);
  }
  double Service(uint64_t id) {
    const ImageResult& r = Result(id);
    return Sec(r.finished - r.started);
  }

  ManualEventLoop loop;
  std::unique_ptr<SimEngine> engine;
  std::map<uint64_t, ImageResult> done;
};

}  // namespace zimon::sim::testing

#endif  // ZIMON_SIM_ENGINE_TEST_UTIL_H_
