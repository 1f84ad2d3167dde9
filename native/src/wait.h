// Waiting for an fd to become readable on the event loop's own thread (libuv polls the fd,
// and a timerfd for an optional pause first), resolving a promise: no thread hop per wait.
// Used by AF_XDP sockets (xsk.c) and BPF ring buffers (ringbuf.c).
#pragma once
#include <stdbool.h>
#include <node_api.h>

typedef struct fd_wait fd_wait;

// What a wait asks its owner. deep = false: a cheap look before polling — is data there now
// (> 0)? deep = true, after a timeout or a poll error: > 0 data is there, 0 nothing yet,
// < 0 (-errno) the fd can never become ready (a socket whose interface is gone).
typedef int (*fd_wait_probe)(void *owner, bool deep);

// A wait on `fd` for `owner`, made on first use. *slot (the owner's pointer to it) is cleared
// when the wait goes, also when the environment ends first (a terminated Worker). NULL when
// the loop's handles cannot be made.
fd_wait *fd_wait_new(napi_env env, int fd, fd_wait_probe probe, void *owner, fd_wait **slot, const char *name);
// Promise<number>: 1 when data is there (after a pause of pause_us first), 0 on timeout or
// when the wait is ended, -errno when the probe says the fd can never become ready. One wait
// at a time: a new one ends the previous (0).
napi_value fd_wait_start(fd_wait *w, int timeout_ms, int pause_us);
// Ends the pending wait, if any (0).
void fd_wait_end(fd_wait *w);
// Ends the pending wait and lets go of the loop's handles; freed once libuv has closed them.
// Call before closing the fd.
void fd_wait_close(fd_wait *w);
napi_env fd_wait_env(const fd_wait *w);
