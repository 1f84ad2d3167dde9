// Kernel objects by id and BPF links (native/src/ids.c), registered on the same exports.
#ifndef TSXDP_IDS_H
#define TSXDP_IDS_H
#include <node_api.h>
void tsxdp_ids_init(napi_env env, napi_value exports);
#endif
