// See wait.h. One wait per owner at a time, its handles made once and reused.
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <uv.h>

#include "wait.h"

struct fd_wait {
  napi_env env;
  void *owner;  // NULL once the owner is gone
  fd_wait_probe probe;
  fd_wait **slot;
  uv_poll_t fd_poll;
  uv_poll_t timer_poll;
  uv_timer_t timeout;
  int timerfd;
  int handles_open;
  bool timer_poll_init, fd_polling, timer_polling;
  napi_deferred deferred;  // the pending wait, or NULL
  napi_async_context context;
  int timeout_ms;
};

static void wait_stop(fd_wait *w) {
  if (w->fd_polling) uv_poll_stop(&w->fd_poll);
  if (w->timer_polling) uv_poll_stop(&w->timer_poll);
  w->fd_polling = w->timer_polling = false;
  uv_timer_stop(&w->timeout);
}

// from_loop: called by libuv (not from JavaScript), so a callback scope runs the microtasks
// (the awaiting loop) when it closes, as after async work.
static void wait_finish(fd_wait *w, int result, bool from_loop) {
  wait_stop(w);
  napi_deferred d = w->deferred;
  if (!d) return;
  w->deferred = NULL;
  napi_env env = w->env;
  napi_handle_scope hs;
  if (napi_open_handle_scope(env, &hs) != napi_ok) return;
  napi_value resource, value;
  napi_callback_scope cs = NULL;
  bool scoped = from_loop && w->context && napi_create_object(env, &resource) == napi_ok && napi_open_callback_scope(env, resource, w->context, &cs) == napi_ok;
  napi_create_int32(env, result, &value);
  napi_resolve_deferred(env, d, value);
  if (scoped) napi_close_callback_scope(env, cs);
  napi_close_handle_scope(env, hs);
}

static int probe(fd_wait *w, bool deep) {
  return w->owner && w->probe ? w->probe(w->owner, deep) : 0;
}

static void wait_on_fd(uv_poll_t *h, int status, int events) {
  fd_wait *w = h->data;
  if (status >= 0) {
    wait_finish(w, 1, true);
    return;
  }
  // libuv reports POLLERR as an error status and stops polling: ask the owner why.
  int r = probe(w, true);
  wait_finish(w, r != 0 ? r : -EIO, true);
}

static void wait_on_timeout(uv_timer_t *h) {
  fd_wait *w = h->data;
  int r = probe(w, true);
  wait_finish(w, r > 0 ? 1 : r, true);
}

static void wait_for_fd(fd_wait *w, bool from_loop) {
  if (probe(w, false) > 0) {
    wait_finish(w, 1, from_loop);
    return;
  }
  if (uv_poll_start(&w->fd_poll, UV_READABLE, wait_on_fd) != 0) {
    wait_finish(w, -EIO, from_loop);
    return;
  }
  w->fd_polling = true;
  uv_timer_start(&w->timeout, wait_on_timeout, (uint64_t)w->timeout_ms, 0);
}

static void wait_on_pause(uv_poll_t *h, int status, int events) {
  fd_wait *w = h->data;
  uint64_t expirations;
  if (read(w->timerfd, &expirations, sizeof expirations) < 0) {
    // spurious: the pause has not ended (EAGAIN)
  }
  if (w->timer_polling) uv_poll_stop(&w->timer_poll);
  w->timer_polling = false;
  wait_for_fd(w, true);
}

static void handle_closed(uv_handle_t *h) {
  fd_wait *w = h->data;
  if (--w->handles_open > 0) return;
  if (w->timerfd >= 0) close(w->timerfd);
  free(w);
}

static void cleanup_hook(void *arg);

static void wait_release(fd_wait *w, bool from_hook) {
  wait_finish(w, 0, false);
  if (w->slot) *w->slot = NULL;
  w->slot = NULL;
  w->owner = NULL;
  if (!from_hook) napi_remove_env_cleanup_hook(w->env, cleanup_hook, w);
  if (w->context) napi_async_destroy(w->env, w->context);
  w->context = NULL;
  uv_close((uv_handle_t *)&w->fd_poll, handle_closed);
  if (w->timer_poll_init) uv_close((uv_handle_t *)&w->timer_poll, handle_closed);
  uv_close((uv_handle_t *)&w->timeout, handle_closed);
}

void fd_wait_close(fd_wait *w) {
  wait_release(w, false);
}

void fd_wait_end(fd_wait *w) {
  wait_finish(w, 0, false);
}

napi_env fd_wait_env(const fd_wait *w) {
  return w->env;
}

// The environment ends (a Worker terminated) with the owner open: let go of the loop.
static void cleanup_hook(void *arg) {
  fd_wait *w = arg;
  w->deferred = NULL;  // nobody is left to resolve it for
  wait_release(w, true);
}

fd_wait *fd_wait_new(napi_env env, int fd, fd_wait_probe probe_fn, void *owner, fd_wait **slot, const char *name) {
  uv_loop_t *loop = NULL;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || !loop) return NULL;
  fd_wait *w = calloc(1, sizeof *w);
  if (!w) return NULL;
  w->env = env;
  w->owner = owner;
  w->probe = probe_fn;
  w->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (w->timerfd < 0) {
    free(w);
    return NULL;
  }
  if (uv_poll_init(loop, &w->fd_poll, fd) != 0) {
    close(w->timerfd);
    free(w);
    return NULL;
  }
  w->fd_poll.data = w;
  w->handles_open = 1;
  // Initialized handles from here on are closed (and w freed) through fd_wait_close.
  if (uv_poll_init(loop, &w->timer_poll, w->timerfd) == 0) {
    w->timer_poll.data = w;
    w->timer_poll_init = true;
    w->handles_open++;
  }
  uv_timer_init(loop, &w->timeout);
  w->timeout.data = w;
  w->handles_open++;
  napi_value resource_name;
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &resource_name);
  napi_async_init(env, NULL, resource_name, &w->context);
  napi_add_env_cleanup_hook(env, cleanup_hook, w);
  w->slot = slot;
  *slot = w;
  if (!w->timer_poll_init) {
    fd_wait_close(w);
    return NULL;
  }
  return w;
}

napi_value fd_wait_start(fd_wait *w, int timeout_ms, int pause_us) {
  napi_env env = w->env;
  if (w->deferred) wait_finish(w, 0, false);
  napi_value promise;
  if (napi_create_promise(env, &w->deferred, &promise) != napi_ok) return NULL;
  w->timeout_ms = timeout_ms;
  if (pause_us > 0) {
    struct itimerspec t = {.it_value = {.tv_sec = pause_us / 1000000, .tv_nsec = (long)(pause_us % 1000000) * 1000}};
    if (timerfd_settime(w->timerfd, 0, &t, NULL) == 0 && uv_poll_start(&w->timer_poll, UV_READABLE, wait_on_pause) == 0) {
      w->timer_polling = true;
      return promise;
    }
  }
  wait_for_fd(w, false);
  return promise;
}
