// AF_XDP functions of the addon (native/src/xsk.c), registered on the same exports.
#ifndef TSXDP_XSK_H
#define TSXDP_XSK_H
#include <node_api.h>
void tsxdp_xsk_init(napi_env env, napi_value exports);
#endif
