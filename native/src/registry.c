// Kernel objects shared by every thread of the process, by key. An interface takes one XDP
// program, but its queues' AF_XDP sockets may live in different worker_threads: the default
// redirect program (map, program, link fds) is shared by key across every thread and
// reference-counted. JavaScript creates the objects (inside the lock, so two threads never
// both create them) and closes them when the last user releases; an environment that ends
// without releasing (a terminated Worker) has its share dropped by a cleanup hook.
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <node_api.h>

#include "addon.h"
#include "js.h"

#define SHARED_MAX_FDS 4
typedef struct shared_entry shared_entry;
struct shared_entry {
  shared_entry *next;
  char key[128];
  int fds[SHARED_MAX_FDS];
  int nfds;
  int refs;
};
static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;
static shared_entry *shared_entries;

// What one environment holds, so its cleanup hook can give it back.
typedef struct env_share env_share;
struct env_share {
  env_share *next;
  char key[128];
  int refs;
};
typedef struct {
  env_share *shares;
} env_state;

static shared_entry *shared_find(const char *key) {
  shared_entry *e = shared_entries;
  while (e && strcmp(e->key, key) != 0) e = e->next;
  return e;
}

// Drops one reference; when it was the last, the entry's fds are returned through `fds`.
static int shared_drop(const char *key, int *fds) {
  shared_entry **p = &shared_entries;
  while (*p && strcmp((*p)->key, key) != 0) p = &(*p)->next;
  if (!*p || --(*p)->refs > 0) return 0;
  shared_entry *e = *p;
  *p = e->next;
  int n = e->nfds;
  memcpy(fds, e->fds, sizeof e->fds);
  free(e);
  return n;
}

static env_state *state_of(napi_env env) {
  env_state *st = NULL;
  napi_get_instance_data(env, (void **)&st);
  return st;
}

static void env_track(napi_env env, const char *key, int delta) {
  env_state *st = state_of(env);
  if (!st) return;
  env_share **p = &st->shares;
  while (*p && strcmp((*p)->key, key) != 0) p = &(*p)->next;
  if (!*p) {
    if (delta < 0) return;
    env_share *n = calloc(1, sizeof *n);
    if (!n) return;
    snprintf(n->key, sizeof n->key, "%s", key);
    *p = n;
  }
  (*p)->refs += delta;
  if ((*p)->refs <= 0) {
    env_share *gone = *p;
    *p = gone->next;
    free(gone);
  }
}

static void env_cleanup(void *arg) {
  env_state *st = arg;
  pthread_mutex_lock(&shared_lock);
  for (env_share *sh = st->shares, *next; sh; sh = next) {
    next = sh->next;
    for (int i = 0; i < sh->refs; i++) {
      int fds[SHARED_MAX_FDS];
      int n = shared_drop(sh->key, fds);
      for (int j = 0; j < n; j++) close(fds[j]);
    }
    free(sh);
  }
  pthread_mutex_unlock(&shared_lock);
  // Freed here, not by an instance-data finalizer, whose order against this hook is not given.
  free(st);
}


static bool key_arg(napi_env env, napi_value v, char *key) {
  size_t len;
  return napi_get_value_string_utf8(env, v, key, 128, &len) == napi_ok && len > 0 && len < 127;
}

// sharedAcquire(key, create: () => number[]): number[] — the fds under `key`, made by
// `create` (at most 4) when no thread holds them yet
static napi_value shared_acquire(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!js_args(env, info, 2, argv)) return NULL;
  char key[128];
  napi_valuetype t;
  if (!key_arg(env, argv[0], key) || napi_typeof(env, argv[1], &t) != napi_ok || t != napi_function) return js_type_error(env, "sharedAcquire(key, create)");
  pthread_mutex_lock(&shared_lock);
  shared_entry *e = shared_find(key);
  if (!e) {
    napi_value global, made;
    napi_get_global(env, &global);
    if (napi_call_function(env, global, argv[1], 0, NULL, &made) != napi_ok) {
      pthread_mutex_unlock(&shared_lock);
      return NULL;  // create() threw: the exception propagates
    }
    bool is_array = false;
    uint32_t n = 0;
    if (napi_is_array(env, made, &is_array) != napi_ok || !is_array || napi_get_array_length(env, made, &n) != napi_ok || n == 0 || n > SHARED_MAX_FDS) {
      pthread_mutex_unlock(&shared_lock);
      return js_type_error(env, "sharedAcquire: create() must return 1…4 fds");
    }
    e = calloc(1, sizeof *e);
    if (!e) {
      pthread_mutex_unlock(&shared_lock);
      return js_fail(env, "allocate a shared entry", ENOMEM);
    }
    snprintf(e->key, sizeof e->key, "%s", key);
    for (uint32_t i = 0; i < n; i++) {
      napi_value v;
      int64_t fd = -1;
      napi_get_element(env, made, i, &v);
      if (!js_int(env, v, &fd) || fd < 0 || fd > INT32_MAX) {
        free(e);
        pthread_mutex_unlock(&shared_lock);
        return js_type_error(env, "sharedAcquire: create() must return fds");
      }
      e->fds[i] = (int)fd;
    }
    e->nfds = n;
    e->next = shared_entries;
    shared_entries = e;
  }
  e->refs++;
  env_track(env, key, 1);
  napi_value out;
  napi_create_array_with_length(env, e->nfds, &out);
  for (int i = 0; i < e->nfds; i++) napi_set_element(env, out, i, js_number(env, e->fds[i]));
  pthread_mutex_unlock(&shared_lock);
  return out;
}

// sharedRelease(key): number[] — the fds to close when this was the last user, else []
static napi_value shared_release(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!js_args(env, info, 1, argv)) return NULL;
  char key[128];
  if (!key_arg(env, argv[0], key)) return js_type_error(env, "sharedRelease(key)");
  int fds[SHARED_MAX_FDS];
  int n = 0;
  pthread_mutex_lock(&shared_lock);
  env_state *st = state_of(env);
  env_share *mine = st ? st->shares : NULL;
  while (mine && strcmp(mine->key, key) != 0) mine = mine->next;
  // Only what this environment acquired: a double release must not take another's share.
  if (mine) {
    n = shared_drop(key, fds);
    env_track(env, key, -1);
  }
  pthread_mutex_unlock(&shared_lock);
  napi_value out;
  napi_create_array_with_length(env, n, &out);
  for (int i = 0; i < n; i++) napi_set_element(env, out, i, js_number(env, fds[i]));
  return out;
}


void tsxdp_registry_init(napi_env env, napi_value exports) {
  env_state *st = calloc(1, sizeof *st);
  if (st && napi_set_instance_data(env, st, NULL, NULL) == napi_ok) napi_add_env_cleanup_hook(env, env_cleanup, st);
  napi_property_descriptor props[] = {
      JS_FUNCTION("sharedAcquire", shared_acquire), JS_FUNCTION("sharedRelease", shared_release),
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
