// The kernel's numbers the runtime speaks, named as in its UAPI headers (<linux/bpf.h>,
// <linux/if_link.h>, <linux/if_xdp.h>, <asm-generic/socket.h>), in one place. errno values
// come from Node (os.constants.errno), so they are right on every architecture.
import os from "node:os";

/** errno numbers by name (EINVAL, EOPNOTSUPP, …) as this platform defines them. */
export const Errno = os.constants.errno;
/**
 * The kernel-internal ENOTSUPP (524), which BPF syscalls can leak to user space (a map type
 * without batch operations); it has no name in user-space headers.
 */
export const ENOTSUPP = 524;

/** errno of a map operation the map type does not have: EINVAL, EOPNOTSUPP or ENOTSUPP. */
export const unsupportedOperationErrnos: ReadonlySet<number> = new Set([Errno.EINVAL, Errno.EOPNOTSUPP, ENOTSUPP]);

/** BPF_MAP_TYPE_*. */
export const MapType = {
  HASH: 1,
  ARRAY: 2,
  PROG_ARRAY: 3,
  PERF_EVENT_ARRAY: 4,
  PERCPU_HASH: 5,
  PERCPU_ARRAY: 6,
  LRU_HASH: 9,
  LRU_PERCPU_HASH: 10,
  LPM_TRIE: 11,
  DEVMAP: 14,
  CPUMAP: 16,
  XSKMAP: 17,
  QUEUE: 22,
  STACK: 23,
  DEVMAP_HASH: 25,
  RINGBUF: 27,
  BLOOM_FILTER: 30,
  USER_RINGBUF: 31,
} as const;

/** BPF_ANY, BPF_NOEXIST, BPF_EXIST: how a map update treats an existing key. */
export const UpdateFlags = { ANY: 0, NOEXIST: 1, EXIST: 2 } as const;
/** BPF_F_LOCK: the only element flag BPF_MAP_UPDATE_BATCH accepts. */
export const BPF_F_LOCK = 4;

/** BPF_PROG_TYPE_XDP. */
export const BPF_PROG_TYPE_XDP = 6;
/** BPF_LINK_TYPE_XDP. */
export const BPF_LINK_TYPE_XDP = 6;
/** BPF_F_TEST_XDP_LIVE_FRAMES: a test run transmits the frames it is given. */
export const BPF_F_TEST_XDP_LIVE_FRAMES = 2;
/** BPF_FUNC_redirect_map. */
export const BPF_FUNC_redirect_map = 51;
/** BPF_FS_MAGIC: statfs type of a BPF filesystem. */
export const BPF_FS_MAGIC = 0xcafe4a11;

/** XDP_FLAGS_*: how a program attaches to an interface. */
export const XdpFlags = { UPDATE_IF_NOEXIST: 1, SKB_MODE: 2, DRV_MODE: 4, HW_MODE: 8, REPLACE: 16 } as const;
/** XDP_ATTACHED_*: the mode bpf_xdp_query reports for an attached program. */
export const XdpAttached = { NONE: 0, DRV: 1, SKB: 2, HW: 3 } as const;

/** struct xdp_md: byte offsets of its u32 fields, and its size. */
export const XdpMd = { data: 0, dataEnd: 4, dataMeta: 8, ingressIfindex: 12, rxQueueIndex: 16, egressIfindex: 20, size: 24 } as const;

/** Bind flags of an AF_XDP socket (struct sockaddr_xdp.sxdp_flags). */
export const XskBindFlags = { COPY: 2, ZEROCOPY: 4, USE_NEED_WAKEUP: 8 } as const;

/** Socket options of busy polling. */
export const SocketOption = { SOL_SOCKET: 1, SO_BUSY_POLL: 46, SO_PREFER_BUSY_POLL: 69, SO_BUSY_POLL_BUDGET: 70 } as const;

/** Helper ids (enum bpf_func_id) that tsxdp programs call: the compiler emits them, the VM implements them. */
export const BpfFuncId = {
  mapLookupElem: 1,
  mapUpdateElem: 2,
  mapDeleteElem: 3,
  ktimeGetNs: 5,
  tracePrintk: 6,
  getPrandomU32: 7,
  getSmpProcessorId: 8,
  tailCall: 12,
  redirect: 23,
  csumDiff: 28,
  xdpAdjustHead: 44,
  redirectMap: 51,
  xdpAdjustMeta: 54,
  xdpAdjustTail: 65,
  fibLookup: 69,
  ktimeGetBootNs: 125,
  ringbufOutput: 130,
  ringbufReserve: 131,
  ringbufSubmit: 132,
  ringbufDiscard: 133,
  ringbufQuery: 134,
  ktimeGetCoarseNs: 160,
  xdpGetBuffLen: 188,
  xdpLoadBytes: 189,
  xdpStoreBytes: 190,
  mapLookupPercpuElem: 195,
} as const;
