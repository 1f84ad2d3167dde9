// The module "tsxdp": everything a .xdp.ts program imports.
//
// Three kinds of declaration live here:
// - types (integers, byte-order types, headers, maps) that the compiler recognises through
//   the type checker: integers by the `__tsxdpInt` brand, maps by the `__tsxdpMap` brand;
// - intrinsics, `declare`d here and implemented by the compiler (compiler/lower/intrinsics);
// - routines written in the .xdp.ts subset itself (checksums), compiled like user helpers.
//
// Integer types carry an optional brand whose tag object lists every type they widen to, so
// TypeScript itself rejects narrowing (`u32` into `u8`), sign mixing and byte-order mixing
// (`be16` into `u16`) in the editor. Plain `number` (the type of an arithmetic result in
// TypeScript) is assignable to all of them; the compiler's own integer typing then checks
// what TypeScript cannot see.

declare const __tsxdpInt: unique symbol;
declare const __tsxdpMap: unique symbol;
declare const __tsxdpStruct: unique symbol;

type IntTag<Tags> = { readonly [__tsxdpInt]?: Tags };

export type u64 = number & IntTag<{ u64: 1 }>;
export type u32 = number & IntTag<{ u32: 1; u64: 1; i64: 1 }>;
export type u16 = number & IntTag<{ u16: 1; u32: 1; u64: 1; i32: 1; i64: 1 }>;
export type u8 = number & IntTag<{ u8: 1; u16: 1; u32: 1; u64: 1; i16: 1; i32: 1; i64: 1 }>;
export type i64 = number & IntTag<{ i64: 1 }>;
export type i32 = number & IntTag<{ i32: 1; i64: 1 }>;
export type i16 = number & IntTag<{ i16: 1; i32: 1; i64: 1 }>;
export type i8 = number & IntTag<{ i8: 1; i16: 1; i32: 1; i64: 1 }>;
/** Network byte order (big endian). Convert with `ntohs`/`htons`. */
export type be16 = number & IntTag<{ be16: 1 }>;
/** Network byte order (big endian). Convert with `ntohl`/`htonl`. */
export type be32 = number & IntTag<{ be32: 1 }>;
/** Network byte order (big endian). */
export type be64 = number & IntTag<{ be64: 1 }>;
export type bool = boolean;

/** Explicit conversions: truncate or extend to the named type (bigint literals go here). */
export declare function u8(value: number | bigint): u8;
export declare function u16(value: number | bigint): u16;
export declare function u32(value: number | bigint): u32;
export declare function u64(value: number | bigint): u64;
export declare function i8(value: number | bigint): i8;
export declare function i16(value: number | bigint): i16;
export declare function i32(value: number | bigint): i32;
export declare function i64(value: number | bigint): i64;

/** A fixed-size array inside a struct or packet header; N is a number literal. */
export interface FixedArray<T, N extends number> {
  readonly [__tsxdpStruct]?: N;
  [index: number]: T;
  readonly length: N;
}

/** A scalar value that lives in a map: `.value` reads and writes it in place. */
export interface Ref<T> {
  value: T;
}

/** What a map lookup gives: a view for a struct value, a `Ref` for a scalar. */
export type Lookup<V> = V extends number ? Ref<V> : V;

export const enum XDP {
  ABORTED = 0,
  DROP = 1,
  PASS = 2,
  TX = 3,
  REDIRECT = 4,
}

/** The context an XDP program receives (the kernel's `struct xdp_md`). */
export declare interface XdpContext {
  /** A view of `sizeof<T>()` bytes at `offset` from the packet start, or null past the end. */
  header<T>(offset: number): T | null;
  /** Bytes between data and data_end. */
  readonly len: u32;
  readonly ingressIfindex: u32;
  readonly rxQueueIndex: u32;
  /** Grow (negative delta) or shrink the packet head; invalidates every earlier view. */
  adjustHead(delta: number): bool;
  /** Grow or shrink the packet tail; invalidates every earlier view. */
  adjustTail(delta: number): bool;
  /** Grow (negative delta) or shrink the metadata area before the packet; invalidates every earlier view. */
  adjustMeta(delta: number): bool;
  /**
   * A view of `sizeof<T>()` bytes at `offset` into the metadata area (between data_meta and
   * data, grown by `adjustMeta(-n)`), or null past its end.
   */
  metadata<T>(offset: number): T | null;
}

export declare function sizeof<T>(): u32;
/** A zero-filled struct on the stack, to fill field by field: `const p = zero<FibLookup>();`. */
export declare function zero<T>(): T;
export declare function offsetof<T>(field: keyof T & string): u32;

// ---- byte order -------------------------------------------------------------------------
export declare function htons(value: u16): be16;
export declare function ntohs(value: be16): u16;
export declare function htonl(value: u32): be32;
export declare function ntohl(value: be32): u32;
export declare function htonll(value: u64): be64;
export declare function ntohll(value: be64): u64;

// ---- constants (host order: compare with htons(ETH_P_IP)) -------------------------------
export const ETH_P_IP = 0x0800;
export const ETH_P_IPV6 = 0x86dd;
export const ETH_P_ARP = 0x0806;
export const ETH_P_8021Q = 0x8100;
export const ETH_P_8021AD = 0x88a8;
export const IPPROTO_ICMP = 1;
export const IPPROTO_IPIP = 4;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_IPV6 = 41;
export const IPPROTO_ICMPV6 = 58;
export const ETH_ALEN = 6;

// ---- headers ----------------------------------------------------------------------------
export interface EthHdr {
  dst: FixedArray<u8, 6>;
  src: FixedArray<u8, 6>;
  proto: be16;
}

export interface VlanHdr {
  tci: be16;
  encapsulatedProto: be16;
}

export interface ArpHdr {
  hrd: be16;
  pro: be16;
  hln: u8;
  pln: u8;
  op: be16;
}

export interface Ipv4Hdr {
  /** @bits 4 */ ihl: u8;
  /** @bits 4 */ version: u8;
  tos: u8;
  totLen: be16;
  id: be16;
  fragOff: be16;
  ttl: u8;
  protocol: u8;
  check: be16;
  saddr: be32;
  daddr: be32;
}

/** @align 4 — as C's struct ipv6hdr, whose in6_addr members are 4-byte aligned. */
export interface Ipv6Hdr {
  /** @bits 4 */ priority: u8;
  /** @bits 4 */ version: u8;
  flowLbl: FixedArray<u8, 3>;
  payloadLen: be16;
  nexthdr: u8;
  hopLimit: u8;
  saddr: FixedArray<u8, 16>;
  daddr: FixedArray<u8, 16>;
}

export interface UdpHdr {
  source: be16;
  dest: be16;
  len: be16;
  check: be16;
}

export interface TcpHdr {
  source: be16;
  dest: be16;
  seq: be32;
  ackSeq: be32;
  /** @bits 4 */ res1: u16;
  /** @bits 4 */ doff: u16;
  /** @bits 1 */ fin: u16;
  /** @bits 1 */ syn: u16;
  /** @bits 1 */ rst: u16;
  /** @bits 1 */ psh: u16;
  /** @bits 1 */ ack: u16;
  /** @bits 1 */ urg: u16;
  /** @bits 1 */ ece: u16;
  /** @bits 1 */ cwr: u16;
  window: be16;
  check: be16;
  urgPtr: be16;
}

export interface IcmpHdr {
  type: u8;
  code: u8;
  checksum: be16;
  id: be16;
  sequence: be16;
}

export interface Icmp6Hdr {
  type: u8;
  code: u8;
  cksum: be16;
  identifier: be16;
  sequence: be16;
}

export const ICMP_ECHOREPLY = 0;
export const ICMP_ECHO = 8;
export const ICMPV6_ECHO_REQUEST = 128;
export const ICMPV6_ECHO_REPLY = 129;

// ---- maps -------------------------------------------------------------------------------
export interface MapOptions {
  maxEntries: number;
  /** Pin under the bpffs directory given at load time, and reuse a map pinned there. */
  pinning?: "none" | "byName";
  /** BPF_F_* map flags, e.g. BPF_F_NO_PREALLOC. */
  flags?: number;
}
export const BPF_F_NO_PREALLOC = 1;
export const BPF_F_NO_COMMON_LRU = 2;
export const BPF_F_NUMA_NODE = 4;
export const BPF_F_RDONLY_PROG = 128;
export const BPF_F_WRONLY_PROG = 256;

/** update() flags */
export const BPF_ANY = 0;
export const BPF_NOEXIST = 1;
export const BPF_EXIST = 2;

declare class BpfMap<K, V> {
  private readonly [__tsxdpMap]: [K, V];
  constructor(options: MapOptions);
  lookup(key: K): Lookup<V> | null;
  update(key: K, value: V, flags?: number): i64;
  delete(key: K): i64;
}

export declare class HashMap<K, V> extends BpfMap<K, V> {}
export declare class LruHashMap<K, V> extends BpfMap<K, V> {}
export declare class PerCpuHashMap<K, V> extends BpfMap<K, V> {}
export declare class LruPerCpuHashMap<K, V> extends BpfMap<K, V> {}
export declare class ArrayMap<V> extends BpfMap<u32, V> {
  constructor(options: MapOptions);
}
export declare class PerCpuArray<V> extends BpfMap<u32, V> {
  constructor(options: MapOptions);
}
/** Key: a struct whose first field is `prefixlen: u32`, then the address bytes. */
export declare class LpmTrie<K, V> extends BpfMap<K, V> {}

declare class RedirectMap<K> {
  private readonly [__tsxdpMap]: [K, u32];
  constructor(options: MapOptions);
  /** bpf_redirect_map: XDP.REDIRECT on success, `fallback` when the slot is empty. */
  redirect(key: K, fallback: XDP): XDP;
}
export declare class DevMap extends RedirectMap<u32> {
  lookup(key: u32): Ref<u32> | null;
}
export declare class DevMapHash extends RedirectMap<u32> {
  lookup(key: u32): Ref<u32> | null;
}
export declare class CpuMap extends RedirectMap<u32> {}
export declare class XskMap extends RedirectMap<u32> {}

export declare class ProgArray {
  private readonly [__tsxdpMap]: [u32, u32];
  constructor(options: MapOptions);
}

export interface RingBufOptions {
  /** A power of two, a multiple of the page size. */
  maxBytes: number;
  pinning?: "none" | "byName";
  /** BPF_F_* map flags the kernel takes for ring buffers (BPF_F_NUMA_NODE, BPF_F_RDONLY_PROG, BPF_F_WRONLY_PROG). */
  flags?: number;
}
export declare class RingBuf<T> {
  private readonly [__tsxdpMap]: [0, T];
  constructor(options: RingBufOptions);
  /** bpf_ringbuf_output: copies `record` into the ring; 0 on success. */
  output(record: T, flags?: number): i64;
}

// ---- configuration and globals ------------------------------------------------------------
/**
 * Read-only configuration, set from Node before load (libbpf's `const volatile` in
 * `.rodata`): `export const PORT = config<u16>(53);` then read `PORT` like a constant.
 */
export declare function config<T extends number | boolean>(initial: T): T;
/**
 * Read-only configuration of a struct (interface) or FixedArray type, in `.rodata`:
 * `export const limits = config<Limits>({ maxLen: 1500, port: htons(53) });` then read
 * `limits.maxLen`. Fields left out are zero. Programs cannot write it (TSX2018).
 */
export declare function config<T extends object>(initial?: Initial<T>): Readonly<T>;
/**
 * A mutable global both sides read and write (`.data`/`.bss`):
 * `export const packets = global<u64>(0);` then `packets.value += 1`.
 */
export declare function global<T extends number>(initial: T): Ref<T>;
/** A mutable `bool` global: `export const seen = global<bool>(false);` then `seen.value = true`. */
export declare function global<T extends boolean>(initial: T): Ref<boolean>;
/**
 * A mutable global struct (interface) or FixedArray: `export const stats = global<Stats>();`
 * then `stats.packets += 1` or `atomicAdd(stats.bytes, n)`, like a map value's view.
 */
export declare function global<T extends object>(initial?: Initial<T>): T;
/** A constant initial value of a struct or FixedArray global: fields optional (zero), arrays as literals. */
export type Initial<T> = T extends number ? T : T extends boolean ? boolean
  : T extends FixedArray<infer E, number> ? readonly Initial<E>[]
  : { readonly [K in keyof T]?: Initial<NonNullable<T[K]>> };

// ---- helpers ----------------------------------------------------------------------------
/** Adds `delta` atomically to a map value (a `Ref`) or to an integer field of a map view. */
export declare function atomicAdd<T extends number>(target: Ref<T> | T, delta: number): void;
export declare function ktimeGetNs(): u64;
export declare function ktimeGetBootNs(): u64;
export declare function prandomU32(): u32;
export declare function smpProcessorId(): u32;
/** bpf_redirect: XDP.REDIRECT on success, XDP.ABORTED on bad flags. */
export declare function redirect(ifindex: u32, flags: u64): XDP;
/**
 * bpf_tail_call: jumps to the program in `progs[index]` and does not return; returns (with
 * nothing to read: the verifier forbids looking at the helper's result) when the slot is
 * empty or the chain already made 33 tail calls.
 */
export declare function tailCall(progs: ProgArray, index: u32): void;
/** bpf_trace_printk with a literal format (at most 3 arguments). */
export declare function printk(format: string, ...args: number[]): i64;
/**
 * What a log call may print: integers (also `be16`/`be32`, shown in host order), `bool`, and
 * byte arrays up to 16 bytes (`FixedArray<u8, N>`: addresses, MACs).
 */
export type LogArgument = number | bigint | boolean | FixedArray<u8, number>;
/**
 * Logs to Node, which reads the lines from `skel.logs` (`tsxdp run` and `tsxdp logs` print
 * them). The format is a string literal; it stays in the object, the program writes only
 * its id and the arguments. Placeholders: `{}` (by type), `{:x}` (hex), `{:ipv4}`,
 * `{:ipv6}`, `{:mac}`; `{{` and `}}` are braces. At most 8 arguments. Levels below the
 * loader's minimum (`logLevel`, default "debug") cost one branch and evaluate nothing.
 */
export interface Logger {
  debug(format: string, ...args: LogArgument[]): void;
  info(format: string, ...args: LogArgument[]): void;
  warn(format: string, ...args: LogArgument[]): void;
  error(format: string, ...args: LogArgument[]): void;
}
/** `log.info("dropped {:ipv4} port {}", ip.saddr, ntohs(udp.dest))`: see Logger. */
export declare const log: Logger;
/** bpf_csum_diff over two views (either may be null with size 0), plus a seed. */
export declare function csumDiff<A, B>(from: A | null, fromSize: number, to: B | null, toSize: number, seed: u32): i64;

/** struct bpf_fib_lookup (IPv4 fields; the IPv6 addresses share the same storage). */
export interface FibLookup {
  family: u8;
  l4Protocol: u8;
  sport: be16;
  dport: be16;
  totLen: u16;
  ifindex: u32;
  tos: u8;
  pad0?: FixedArray<u8, 3>;
  ipv4Src: be32;
  pad1?: FixedArray<u8, 12>;
  ipv4Dst: be32;
  pad2?: FixedArray<u8, 12>;
  hVlanProto: be16;
  hVlanTci: be16;
  smac: FixedArray<u8, 6>;
  dmac: FixedArray<u8, 6>;
}
export const AF_INET = 2;
export const AF_INET6 = 10;
export const BPF_FIB_LOOKUP_DIRECT = 1;
export const BPF_FIB_LOOKUP_OUTPUT = 2;
export const BPF_FIB_LKUP_RET_SUCCESS = 0;
export const BPF_FIB_LKUP_RET_NOT_FWDED = 4;
export const BPF_FIB_LKUP_RET_NO_NEIGH = 7;
/** bpf_fib_lookup: BPF_FIB_LKUP_RET_*; on success fills ifindex, smac and dmac. */
export declare function fibLookup(ctx: XdpContext, params: FibLookup, flags: u32): i64;

// ---- checksums (RFC 1071 / RFC 1624), written in the subset ------------------------------
/** Folds a 32-bit one's-complement sum to 16 bits (not complemented). */
export function csumFold(sum: u32): u16 {
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return u16(sum);
}

/**
 * The checksum field for a `csumDiff` result (bpf_csum_diff's 32-bit sum): folded,
 * complemented and in the field's byte order. bpf_csum_diff adds the words as the CPU
 * loads them (little-endian on bpfel), so the folded sum is the field's bytes swapped.
 */
export function csumDiffFold(sum: i64): be16 {
  const folded: u32 = ~u32(csumFold(u32(sum))) & 0xffff;
  return htons(u16((folded >> 8) | ((folded & 0xff) << 8)));
}

/** RFC 1624 eqn. 3: the checksum after a 16-bit field changed from `from` to `to`. */
export function csumReplace16(check: be16, from: be16, to: be16): be16 {
  const sum: u32 = u32(~ntohs(check) & 0xffff) + u32(~ntohs(from) & 0xffff) + u32(ntohs(to));
  return htons(~csumFold(sum));
}

/** RFC 1624 for a 32-bit field (an IPv4 address), e.g. in the IPv4 or L4 checksum. */
export function csumReplace32(check: be16, from: be32, to: be32): be16 {
  const f = ntohl(from);
  const t = ntohl(to);
  const sum: u32 =
    u32(~ntohs(check) & 0xffff) +
    ((~f >> 16) & 0xffff) + (~f & 0xffff) +
    (t >> 16) + (t & 0xffff);
  return htons(~csumFold(sum));
}

/** One 32-bit word of IPv4 options (ipv4Checksum reads them one at a time). */
interface Ipv4OptionWord {
  high: be16;
  low: be16;
}

/**
 * The checksum of a 20-byte IPv4 header (IHL 5, no options), with `check` counted as 0: for
 * a header the program writes itself, e.g. an encapsulation's outer header. For a header
 * that may carry options, use ipv4Checksum(ctx, offset).
 */
export function ipv4ChecksumNoOptions(ip: Ipv4Hdr): be16 {
  return htons(~csumFold(ipv4FixedHeaderSum(ip)));
}

/** The one's-complement sum (unfolded) of the fixed 20 bytes of an IPv4 header, check as 0. */
function ipv4FixedHeaderSum(ip: Ipv4Hdr): u32 {
  const saddr = ntohl(ip.saddr);
  const daddr = ntohl(ip.daddr);
  let sum: u32 = (u32(ip.version) << 12) | (u32(ip.ihl) << 8) | u32(ip.tos);
  sum += u32(ntohs(ip.totLen)) + u32(ntohs(ip.id)) + u32(ntohs(ip.fragOff));
  sum += (u32(ip.ttl) << 8) | u32(ip.protocol);
  sum += (saddr >> 16) + (saddr & 0xffff) + (daddr >> 16) + (daddr & 0xffff);
  return sum;
}

/**
 * The IPv4 header checksum of the header at `offset` in the packet: all `ihl * 4` bytes,
 * options included, with the `check` field counted as 0. Assign it with
 * `ip.check = ipv4Checksum(ctx, offset)`. Gives 0 when no 20-byte header fits at `offset`;
 * option words past the end of the packet (a truncated header) are not summed.
 */
export function ipv4Checksum(ctx: XdpContext, offset: u32): be16 {
  const ip = ctx.header<Ipv4Hdr>(offset);
  if (ip === null) return htons(0);
  let sum = ipv4FixedHeaderSum(ip);
  const optionWords = u32(ip.ihl);
  // At most 40 option bytes (IHL 15): a constant bound the verifier can count, each word
  // read through its own bounds-checked view.
  for (let i = 0; i < 10; i++) {
    if (i + 5 >= optionWords) break;
    const word = ctx.header<Ipv4OptionWord>(offset + 20 + i * 4);
    if (word === null) break;
    sum += u32(ntohs(word.high)) + u32(ntohs(word.low));
  }
  return htons(~csumFold(sum));
}
