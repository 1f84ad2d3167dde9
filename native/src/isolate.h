#pragma once

typedef struct {
  int signal;     // the signal that ended the child, 0 when it exited
  int timed_out;  // the child was killed (or killed itself) at the time limit
  int exit_code;  // the child's exit code when it exited: 0 when the call returned 0
} tsxdp_isolate_result;

// Runs call(arg) in a fork()ed child and waits at most timeout_ms for it. Returns 0 with
// *result filled in, or -errno when fork/waitpid failed.
int tsxdp_isolate(int (*call)(void *), void *arg, int timeout_ms, tsxdp_isolate_result *result);
