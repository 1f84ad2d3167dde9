// Runs one libbpf call in a fork()ed child first, so that a parser bug in libbpf (1.1
// dereferences out-of-bounds section indexes, symbol and relocation offsets of a
// malformed ELF) kills the child instead of the Node process. The parent only learns how
// the child ended: normally (the call returned, whatever its result) or by a signal, or
// not at all within the time limit (killed). Only then does the caller repeat the call
// in-process, on input that is now known not to crash this code.
//
// Why fork and not a hand-written ELF/BTF validator: libbpf's parser is large (ELF
// sections, symbols, relocations, BTF, BTF.ext, CO-RE) and its crash bugs are not
// enumerated; a validator would have to re-implement it exactly to be sound. The child
// runs the very same code on the very same bytes, so "the child survived" is the property
// we need. Cost: one fork per open/load (page tables are copied, memory is not).
#define _GNU_SOURCE
#include "isolate.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

// The child holds nothing of the parent's and does not outlive it. Inherited descriptors
// (BPF links, maps, sockets, pipes) would keep the parent's kernel objects alive — a link
// stays attached — until the child ends, up to the time limit after a killed parent; so
// every descriptor above stderr is closed and stdin/stdout/stderr point at /dev/null (libbpf's
// messages are captured in memory, not printed). PR_SET_PDEATHSIG kills the child when the
// parent's forking thread dies; the getppid() check covers a parent that died before it.
static void child_detach_from(pid_t parent) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(1);
  int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd <= 2 && null_fd >= 0; fd++) dup2(null_fd, fd);
  if (syscall(SYS_close_range, 3U, ~0U, 0U) != 0) {
    struct rlimit files;
    rlim_t last = getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY ? files.rlim_cur : 65536;
    for (rlim_t fd = 3; fd < last; fd++) close((int)fd);
  }
}

static void child_defaults(int timeout_ms) {
  // V8 and Node install handlers (e.g. SIGSEGV for WebAssembly traps); a fault in the
  // child must end it with the signal, so restore the defaults. No core files.
  const int fatal[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGSYS, SIGTRAP, SIGALRM, SIGPIPE};
  for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++) signal(fatal[i], SIG_DFL);
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, NULL);
  struct rlimit no_core = {0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  // A second bound besides the parent's: the child ends itself if it runs too long.
  alarm((unsigned)(timeout_ms / 1000 + 2));
}

int tsxdp_isolate(int (*call)(void *), void *arg, int timeout_ms, tsxdp_isolate_result *result) {
  result->signal = 0;
  result->timed_out = 0;
  result->exit_code = 0;
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) return -errno;
  if (pid == 0) {
    child_detach_from(parent);
    child_defaults(timeout_ms);
    int rc = call(arg);
    _exit(rc == 0 ? 0 : 1);  // _exit: no atexit handlers, no stdio flush of the parent's buffers
  }
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  long sleep_ns = 20000;  // poll from 20 µs up to 5 ms: opens finish in well under a millisecond
  for (;;) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      if (WIFSIGNALED(status)) result->signal = WTERMSIG(status);
      else if (WIFEXITED(status)) result->exit_code = WEXITSTATUS(status);
      if (result->signal == SIGALRM) result->timed_out = 1;
      return 0;
    }
    if (r < 0 && errno != EINTR) return -errno;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long elapsed_ms = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
    if (elapsed_ms >= timeout_ms) {
      kill(pid, SIGKILL);
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
      result->timed_out = 1;
      result->signal = SIGKILL;
      return 0;
    }
    struct timespec pause = {0, sleep_ns};
    nanosleep(&pause, NULL);
    if (sleep_ns < 5000000) sleep_ns *= 2;
  }
}
