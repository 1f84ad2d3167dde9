// AF_XDP UMEMs over libxdp: the mmap'd frame area, handed to JavaScript as one external
// ArrayBuffer (or read and written through copies where the runtime refuses external
// buffers), and its lifetime against the sockets bound on it (see umem.h).
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <node_api.h>
#include <xdp/xsk.h>

#include "addon.h"
#include "js.h"
#include "umem.h"

static void umem_unmap_if_unseen(umem_handle *h) {
  // Unmapping under a live ArrayBuffer would turn a stale view into a crash: only once it
  // is detached (umemDelete) or collected, and the kernel has let go of the UMEM.
  if (h->area && !h->umem && !h->buffer_live) {
    munmap(h->area, h->size);
    h->area = NULL;
  }
}

void umem_release(umem_handle *h) {
  if (--h->owners > 0) return;
  if (h->umem) xsk_umem__delete(h->umem);
  h->umem = NULL;
  umem_unmap_if_unseen(h);
  free(h);
}

static void umem_handle_finalize(napi_env env, void *data, void *hint) {
  umem_handle *h = data;
  if (h->buffer_ref) {
    napi_delete_reference(env, h->buffer_ref);
    h->buffer_ref = NULL;
  }
  umem_release(h);
}

static void umem_buffer_finalize(napi_env env, void *data, void *hint) {
  umem_handle *h = hint;
  h->buffer_live = false;
  umem_unmap_if_unseen(h);
  umem_release(h);
}



static const napi_type_tag umem_tag = {0x7473786470756d65ULL, 0x6d68616e646c6531ULL};

umem_handle *umem_arg(napi_env env, napi_value v) {
  return js_external(env, v, &umem_tag);
}

// umemCreate(frames, frameSize, fillSize, compSize, headroom, external): { handle, buffer | undefined }
static napi_value umem_create(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!js_args(env, info, 6, argv)) return NULL;
  int64_t frames, frame_size, fill_size, comp_size, headroom;
  bool want_buffer = false;
  if (!js_int(env, argv[0], &frames) || !js_int(env, argv[1], &frame_size) || !js_int(env, argv[2], &fill_size) || !js_int(env, argv[3], &comp_size) || !js_int(env, argv[4], &headroom) ||
      napi_get_value_bool(env, argv[5], &want_buffer) != napi_ok ||
      frames <= 0 || frames > (1 << 22) || frame_size < 2048 || frame_size > 65536 || (frame_size & (frame_size - 1)) || fill_size <= 0 || fill_size > (1 << 20) || comp_size <= 0 || comp_size > (1 << 20) || headroom < 0 || headroom >= frame_size)
    return js_type_error(env, "umemCreate(frames, frameSize (a power of two, 2048…65536), fillSize, compSize, headroom, external)");
  umem_handle *h = calloc(1, sizeof *h);
  if (!h) return js_fail(env, "allocate a UMEM handle", ENOMEM);
  h->size = (size_t)frames * frame_size;
  h->frames = (uint32_t)frames;
  h->frame_shift = (uint32_t)__builtin_ctzll((unsigned long long)frame_size);
  h->area = mmap(NULL, h->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (h->area == MAP_FAILED) {
    free(h);
    return js_fail(env, "mmap UMEM", errno);
  }
  struct xsk_umem_config cfg = {.fill_size = fill_size, .comp_size = comp_size, .frame_size = frame_size, .frame_headroom = headroom, .flags = 0};
  int err = xsk_umem__create(&h->umem, h->area, h->size, &h->first_fill, &h->first_comp, &cfg);
  if (err) {
    munmap(h->area, h->size);
    free(h);
    return js_fail(env, "xsk_umem__create", err);
  }
  napi_value result, buffer;
  napi_create_object(env, &result);
  h->owners = 1;
  napi_value handle = js_external_new(env, h, umem_handle_finalize, &umem_tag);
  if (!handle) {
    umem_release(h);
    return js_fail(env, "napi_create_external", ENOMEM);
  }
  napi_set_named_property(env, result, "handle", handle);
  // Zero-copy view of the UMEM; runtimes with the V8 sandbox refuse external buffers, and
  // JavaScript then falls back to umemRead/umemWrite (also when asked to, for testing it).
  if (want_buffer && napi_create_external_arraybuffer(env, h->area, h->size, umem_buffer_finalize, h, &buffer) == napi_ok) {
    h->owners++;
    h->buffer_live = true;
    napi_create_reference(env, buffer, 0, &h->buffer_ref);
    napi_set_named_property(env, result, "buffer", buffer);
  } else {
    napi_value ignored;
    if (js_exception_pending(env)) napi_get_and_clear_last_exception(env, &ignored);
  }
  return result;
}

// umemRead(umem, addr, len): Buffer (copying fallback)
static napi_value umem_read(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!js_args(env, info, 3, argv)) return NULL;
  umem_handle *h = umem_arg(env, argv[0]);
  int64_t addr, len;
  if (!h || !h->umem || !h->area || !js_int(env, argv[1], &addr) || !js_int(env, argv[2], &len) || addr < 0 || len < 0 || (uint64_t)addr > h->size || (uint64_t)len > h->size - (uint64_t)addr) return js_type_error(env, "umemRead(umem, addr, len): closed UMEM or out of range");
  return js_bytes_copy(env, (char *)h->area + addr, (size_t)len);
}

// umemWrite(umem, addr, bytes: Uint8Array): void (copying fallback)
static napi_value umem_write(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!js_args(env, info, 3, argv)) return NULL;
  umem_handle *h = umem_arg(env, argv[0]);
  int64_t addr;
  void *data;
  size_t len;
  if (!h || !h->umem || !h->area || !js_int(env, argv[1], &addr) || !js_bytes(env, argv[2], &data, &len)) return js_type_error(env, "umemWrite(umem, addr, bytes: Uint8Array): closed UMEM or not bytes");
  if (addr < 0 || (uint64_t)addr > h->size || len > h->size - (uint64_t)addr) return js_type_error(env, "umemWrite: out of range");
  memcpy((char *)h->area + addr, data, len);
  return NULL;
}

// umemDelete(umem): idempotent; EBUSY while sockets use it
static napi_value umem_delete(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!js_args(env, info, 1, argv)) return NULL;
  umem_handle *u = umem_arg(env, argv[0]);
  if (u && u->umem) {
    if (u->sockets > 0) return js_fail(env, "xsk_umem__delete: sockets still use this UMEM", EBUSY);
    int err = xsk_umem__delete(u->umem);
    if (err) return js_fail(env, "xsk_umem__delete", err);
    u->umem = NULL;
    // Views of a detached ArrayBuffer have length 0: a stale frame reads as empty instead
    // of touching unmapped memory, so the mapping can go now.
    napi_value buffer = NULL;
    if (u->buffer_ref && napi_get_reference_value(env, u->buffer_ref, &buffer) == napi_ok && buffer) {
      if (napi_detach_arraybuffer(env, buffer) == napi_ok) u->buffer_live = false;
    } else if (u->buffer_ref) {
      u->buffer_live = false;  // collected: its finalizer may still be queued, and waits on nothing
    }
    umem_unmap_if_unseen(u);
  }
  return NULL;
}

void tsxdp_umem_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      JS_FUNCTION("umemCreate", umem_create), JS_FUNCTION("umemRead", umem_read), JS_FUNCTION("umemWrite", umem_write), JS_FUNCTION("umemDelete", umem_delete),
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
