// Map-handle operations of the addon (native/src/map.c), registered on the same exports.
#ifndef TSXDP_MAP_H
#define TSXDP_MAP_H
#include <node_api.h>
void tsxdp_map_init(napi_env env, napi_value exports);
#endif
