// The native backend's own worker threads (pool.h).

#include "pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define LATENTLAB_RELAX() _mm_pause()
#else
#define LATENTLAB_RELAX() std::this_thread::yield()
#endif

namespace latentlab {
namespace {

// A fixed set of worker threads, created on first use and never destroyed. Between calls a worker
// spins for a while (the GEMMs of a training step come a few hundred microseconds apart, and a
// futex wake-up costs tens of microseconds in a VM), then sleeps on a condition variable; the
// process may exit while it does. One call at a time: a second caller (another JS thread) runs its
// parts itself instead of waiting.
class Pool {
 public:
  static constexpr int kMaxParts = 64;

  void run(int parts, const std::function<void(int)>& f) {
    parts = std::min(parts, kMaxParts);
    std::unique_lock<std::mutex> guard(runMu_, std::try_to_lock);
    if (parts <= 1 || !guard.owns_lock()) {
      for (int i = 0; i < parts; i++) f(i);
      return;
    }
    while (workers_ < parts - 1) {
      const int id = ++workers_;
      std::thread([this, id] { loop(id); }).detach();
    }
    job_ = &f;
    pending_.store(parts - 1, std::memory_order_relaxed);
    ++ticket_;
    {
      std::lock_guard<std::mutex> lk(mu_);  // under the lock: a worker about to sleep sees its ticket
      for (int i = 1; i < parts; i++) go_[i].store(ticket_, std::memory_order_release);
    }
    wake_.notify_all();
    f(0);
    while (pending_.load(std::memory_order_acquire) != 0) LATENTLAB_RELAX();
  }

 private:
  static constexpr auto kSpin = std::chrono::microseconds(300);

  // Worker `id` runs part `id` of each call whose ticket reaches go_[id]; other calls never touch it.
  void loop(int id) {
    uint64_t seen = 0;
    for (;;) {
      const auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; go_[id].load(std::memory_order_acquire) == seen; i++) {
        LATENTLAB_RELAX();
        if ((i & 255) == 255 && std::chrono::steady_clock::now() - t0 > kSpin) {
          std::unique_lock<std::mutex> lk(mu_);
          wake_.wait(lk, [&] { return go_[id].load(std::memory_order_acquire) != seen; });
          break;
        }
      }
      seen = go_[id].load(std::memory_order_acquire);
      (*job_)(id);
      pending_.fetch_sub(1, std::memory_order_release);
    }
  }

  std::mutex runMu_, mu_;
  std::condition_variable wake_;
  const std::function<void(int)>* job_ = nullptr;
  int workers_ = 0;
  uint64_t ticket_ = 0;
  std::atomic<int> pending_{0};
  std::atomic<uint64_t> go_[kMaxParts] = {};
};

Pool& pool() {
  static Pool* p = new Pool();  // leaked on purpose: detached workers must never see it destroyed
  return *p;
}

}  // namespace

void parallelFor(int parts, const std::function<void(int)>& f) { pool().run(parts, f); }

}  // namespace latentlab
