// The compiled core's one way to spread work over threads: parallel_for over a list of tasks.
//
// Tasks are handed out one at a time from a shared counter (dynamic scheduling), so callers list
// them longest first and the short ones fill the gaps at the end; the calling thread works too, so
// `threads` is the number of cores used, never one more. Threads are started per call: a call here
// runs for milliseconds, thread start-up costs microseconds, and no pool outlives the call (nothing
// to shut down, nothing shared between Python threads calling in at once).
#pragma once
#include <algorithm>
#include <atomic>
#include <exception>
#include <system_error>
#include <thread>
#include <vector>

namespace textvision {

// Runs fn(0) .. fn(n - 1), each once, on min(threads, n) threads (the caller's included). After all
// have stopped, rethrows the first exception any task threw; once one has thrown, the tasks not yet
// started are skipped.
template <typename Fn>
void parallel_for(int64_t n, int threads, const Fn& fn) {
  const int t_count = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads, n)));
  if (t_count == 1) {
    for (int64_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::atomic<int64_t> next{0};
  std::vector<std::exception_ptr> errors(t_count);
  auto work = [&](int t) {
    try {
      for (int64_t i; (i = next.fetch_add(1)) < n;) fn(i);
    } catch (...) {
      errors[t] = std::current_exception();
      next.store(n);  // the others stop after their current task
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(t_count - 1);
  try {
    for (int t = 1; t < t_count; ++t) pool.emplace_back(work, t);
  } catch (const std::system_error&) {
    // No thread to be had: the ones started (and this one) share the tasks instead.
  }
  work(0);
  for (auto& th : pool) th.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace textvision
