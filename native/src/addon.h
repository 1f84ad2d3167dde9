// The parts of the addon, each registering its functions on the module's exports (addon.c).
#pragma once
#include <node_api.h>

#define JS_FUNCTION(name, fn) {name, NULL, fn, NULL, NULL, NULL, napi_default, NULL}

void tsxdp_object_init(napi_env env, napi_value exports);    // object.c: BPF objects (open, load, maps' pre-load settings)
void tsxdp_program_init(napi_env env, napi_value exports);   // program.c: test-run, XDP attach, raw program load
void tsxdp_map_init(napi_env env, napi_value exports);       // map.c: map handles, create, info
void tsxdp_ids_init(napi_env env, napi_value exports);       // ids.c: kernel objects by id, links
void tsxdp_fds_init(napi_env env, napi_value exports);       // fds.c: close, pins, interfaces, CPUs
void tsxdp_ringbuf_init(napi_env env, napi_value exports);   // ringbuf.c: BPF ring buffers
void tsxdp_umem_init(napi_env env, napi_value exports);      // umem.c: AF_XDP UMEMs
void tsxdp_xsk_init(napi_env env, napi_value exports);       // xsk.c: AF_XDP sockets and their rings
void tsxdp_registry_init(napi_env env, napi_value exports);  // registry.c: fds shared by every thread
