// Linked into the shipped library and commands (scripts/sdk-debian11.sh compiles it against the Debian 11 sysroot,
// scripts/sdk-zig.sh against this machine's headers) so that they need no glibc above 2.28 and no libstdc++ above
// GLIBCXX_3.4.24. Every definition is hidden: the library exports only cfcerts_* (packaging/cfcerts.map), so these
// never replace the functions of the process it runs in, they only decide which glibc version the library's own
// calls bind to. On a new glibc they behave as before.
#include <errno.h>
#include <dlfcn.h>
#include <spawn.h>
#include <new>

#define HIDDEN __attribute__((visibility("hidden")))

// exp, exp2, log, log2, pow: glibc 2.29 gave them new versions (dropping the SVID error-handling wrapper, which
// applies only to programs that ask for _LIB_VERSION != _POSIX_; nobody can since 2.27). The results are the same
// functions', so bind to the architecture's base version, which every glibc has.
#define CFCERTS_COMPAT_MATH(name, type, params, args)                                      \
  extern "C" type cfcerts_compat_##name params;                                            \
  __asm__(".symver cfcerts_compat_" #name ", " #name "@" CFCERTS_GLIBC_BASE);             \
  extern "C" HIDDEN type name params { return cfcerts_compat_##name args; }

CFCERTS_COMPAT_MATH(exp, double, (double x), (x))
CFCERTS_COMPAT_MATH(exp2, double, (double x), (x))
CFCERTS_COMPAT_MATH(log, double, (double x), (x))
CFCERTS_COMPAT_MATH(log2, double, (double x), (x))
CFCERTS_COMPAT_MATH(pow, double, (double x, double y), (x, y))

// posix_spawn_file_actions_addchdir_np (glibc 2.29; Foundation's Process uses it for currentDirectoryURL): the
// running glibc's own, looked up at run time; ENOSYS where it has none (below 2.29).
extern "C" HIDDEN int posix_spawn_file_actions_addchdir_np(posix_spawn_file_actions_t *actions, const char *path) {
  typedef int (*addchdir_fn)(posix_spawn_file_actions_t *, const char *);
  static addchdir_fn resolved = (addchdir_fn)dlsym(RTLD_DEFAULT, "posix_spawn_file_actions_addchdir_np");
  return resolved ? resolved(actions, path) : ENOSYS;
}

// std::__throw_bad_array_new_length() (GLIBCXX_3.4.29, GCC 11+), called by the Swift runtime's static libraries
// (built with a newer GCC): what GCC 11's libstdc++ does, with the class GCC 10's has.
namespace std {
[[noreturn]] HIDDEN void __throw_bad_array_new_length() { throw bad_array_new_length(); }
}

// The two below matter only when compiling against headers newer than the floor, as the zig route does (this machine's
// glibc and GCC 12's libstdc++, linked against that libstdc++): against Debian 11's they are left out.
#if __GLIBC_PREREQ(2, 32)
// __libc_single_threaded (GLIBC_2.32): libstdc++'s headers read it to skip atomic operations while the process has
// one thread. 0 says "maybe several threads": always atomic, which is right on every glibc.
extern "C" HIDDEN char __libc_single_threaded = 0;
#endif

#if defined(_GLIBCXX_RELEASE) && _GLIBCXX_RELEASE >= 12
// std::condition_variable::wait(std::unique_lock<std::mutex>&), which any C++ that waits calls (Tests/zig-route's;
// no C++ of this package's dependencies does today): GCC 12 gave it GLIBCXX_3.4.30, the same wait allowed to throw
// (for pthread_cancel's unwinding, which nothing here uses); the GLIBCXX_3.4.11 one every libstdc++ has is that
// wait, noexcept. Declared by its mangled name, not through <condition_variable>, whose declaration would clash with
// this definition.
extern "C" void cfcerts_compat_condition_variable_wait(void *self, void *lock);
__asm__(".symver cfcerts_compat_condition_variable_wait, "
        "_ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE@GLIBCXX_3.4.11");
extern "C" HIDDEN void _ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE(void *self, void *lock) {
  cfcerts_compat_condition_variable_wait(self, lock);
}
#endif
