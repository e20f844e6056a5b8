// Compiled against this machine's GCC 12 headers and linked against its libstdc++, as on the zig route: the shared
// pointer's reference count reads __libc_single_threaded (GLIBC_2.32), and condition_variable::wait binds
// GLIBCXX_3.4.30, unless packaging/glibc-compat.cc pins them.
#include "czigroute.h"
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

extern "C" int czigroute_wait_for_thread(void) {
  std::mutex mutex;
  std::condition_variable ready_changed;
  bool ready = false;
  auto value = std::make_shared<int>(42);
  std::thread thread([&, copy = value] {
    std::lock_guard<std::mutex> guard(mutex);
    ready = *copy == 42;
    ready_changed.notify_one();
  });
  {
    std::unique_lock<std::mutex> lock(mutex);
    while (!ready) ready_changed.wait(lock);
  }
  thread.join();
  return *value + static_cast<int>(value.use_count());
}
