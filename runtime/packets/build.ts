// Packets from a list of layers, outermost first. Lengths, next-protocol fields and
// checksums are filled in from the layers that follow (so IP-in-IP, QinQ and IPv6 extension
// chains need no special cases); every field can be given instead, to build broken packets:
//   buildPacket([{ eth: {} }, { vlan: { id: 10 } }, { ipv4: { src: "10.0.0.1", dst: "10.0.0.2" } },
//                { udp: { sport: 1, dport: 53 } }, { payload: "c0ffee" }])
// Layers are plain JSON (the *.cases.json fixtures hold them).
import { ipv4Bytes, ipv6Bytes, macBytes } from "./addresses.js";
import { internetChecksum, onesComplementSum, pseudoHeaderSum } from "./checksum.js";

export interface EthernetLayer {
  dst?: string;
  src?: string;
  type?: number;
}
/** An 802.1Q tag (`outer: true`: an 802.1ad S-tag, EtherType 0x88a8 in front of it). */
export interface VlanLayer {
  id?: number;
  pcp?: number;
  dei?: number;
  outer?: boolean;
  type?: number;
}
export interface ArpLayer {
  htype?: number;
  ptype?: number;
  hlen?: number;
  plen?: number;
  op?: number;
  sha?: string;
  spa?: string;
  tha?: string;
  tpa?: string;
}
/** `flags`: the 3 flag bits (default 2: don't fragment); `options`: hex, padded to 4 bytes. */
export interface Ipv4Layer {
  src: string;
  dst: string;
  version?: number;
  ihl?: number;
  tos?: number;
  totalLength?: number;
  id?: number;
  flags?: number;
  fragOffset?: number;
  ttl?: number;
  proto?: number;
  check?: number;
  options?: string;
}
export interface Ipv6Layer {
  src: string;
  dst: string;
  version?: number;
  trafficClass?: number;
  flowLabel?: number;
  payloadLength?: number;
  next?: number;
  hopLimit?: number;
}
/**
 * An IPv6 extension header. `data`: hex of the bytes after next-header and length, zero-padded
 * to a multiple of 8 bytes in all (for options a Pad1/PadN-free filler: zeros are Pad1s).
 * A fragment header takes `fragOffset`, `more` and `id` instead.
 */
export interface Ipv6ExtensionLayer {
  header: "hopByHop" | "routing" | "fragment" | "destination";
  next?: number;
  length?: number;
  data?: string;
  fragOffset?: number;
  more?: boolean;
  id?: number;
}
/** `check: "none"` leaves it 0 (allowed over IPv4). */
export interface UdpLayer {
  sport: number;
  dport: number;
  len?: number;
  check?: number | "none";
}
/** `flags`: letters F S R P A U E C (e.g. "SA"), or the flag byte; `options`: hex, padded to 4 bytes. */
export interface TcpLayer {
  sport: number;
  dport: number;
  seq?: number;
  ack?: number;
  doff?: number;
  flags?: string | number;
  window?: number;
  check?: number;
  urgPtr?: number;
  options?: string;
}
/** Echo-shaped ICMP: `id` and `seq` fill the rest-of-header unless `rest` (4 bytes of hex) is given. */
export interface IcmpLayer {
  type: number;
  code?: number;
  check?: number;
  id?: number;
  seq?: number;
  rest?: string;
}
export type PayloadBytes = string | readonly number[] | Uint8Array;

export type Layer =
  | { eth: EthernetLayer }
  | { vlan: VlanLayer }
  | { arp: ArpLayer }
  | { ipv4: Ipv4Layer }
  | { ipv6: Ipv6Layer }
  | { ipv6ext: Ipv6ExtensionLayer }
  | { udp: UdpLayer }
  | { tcp: TcpLayer }
  | { icmp: IcmpLayer }
  | { icmp6: IcmpLayer }
  | { payload: PayloadBytes };

export const EtherType = { IPV4: 0x0800, ARP: 0x0806, VLAN: 0x8100, QINQ: 0x88a8, IPV6: 0x86dd } as const;
export const IpProtocol = {
  HOP_BY_HOP: 0,
  ICMP: 1,
  IPIP: 4,
  TCP: 6,
  UDP: 17,
  IPV6: 41,
  ROUTING: 43,
  FRAGMENT: 44,
  ICMPV6: 58,
  NO_NEXT: 59,
  DESTINATION: 60,
} as const;
const extensionNumbers = {
  hopByHop: IpProtocol.HOP_BY_HOP,
  routing: IpProtocol.ROUTING,
  fragment: IpProtocol.FRAGMENT,
  destination: IpProtocol.DESTINATION,
} as const;
const tcpFlagBits: Record<string, number> = { F: 1, S: 2, R: 4, P: 8, A: 16, U: 32, E: 64, C: 128 };

type LayerKind = Layer extends infer L ? (L extends Record<infer K, unknown> ? K : never) : never;
export function layerKind(layer: Layer): LayerKind {
  return Object.keys(layer)[0] as LayerKind;
}

/** Bytes of a hex string (whitespace ignored), a number array or a Uint8Array. */
export function bytesOf(data: PayloadBytes): Uint8Array {
  if (typeof data !== "string") return Uint8Array.from(data);
  const clean = data.replace(/\s+/g, "");
  if (clean.length % 2 || /[^0-9a-fA-F]/.test(clean)) throw new TypeError(`not hex bytes: '${data}'`);
  return Uint8Array.from({ length: clean.length / 2 }, (_, i) => Number.parseInt(clean.slice(i * 2, i * 2 + 2), 16));
}

class Writer {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  constructor(length: number) {
    this.bytes = new Uint8Array(length);
    this.view = new DataView(this.bytes.buffer);
  }
  u8(at: number, v: number): this {
    this.view.setUint8(at, v & 0xff);
    return this;
  }
  u16(at: number, v: number): this {
    this.view.setUint16(at, v & 0xffff);
    return this;
  }
  u32(at: number, v: number): this {
    this.view.setUint32(at, v >>> 0);
    return this;
  }
  put(at: number, bytes: ArrayLike<number>): this {
    this.bytes.set(bytes, at);
    return this;
  }
}

function concat(head: Uint8Array, tail: Uint8Array): Uint8Array {
  const out = new Uint8Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}

const padTo = (n: number, unit: number) => Math.ceil(n / unit) * unit;

/** What a layer knows about its surroundings while it is encoded (innermost first). */
interface Surroundings {
  /** The bytes of every layer after this one. */
  inner: Uint8Array;
  next?: Layer;
  /** Addresses of the nearest enclosing IP header (for pseudo-header checksums). */
  ip?: { src: Uint8Array; dst: Uint8Array };
}

function etherTypeOf(next: Layer | undefined): number {
  if (!next) return EtherType.IPV4;
  if ("vlan" in next) return next.vlan.outer ? EtherType.QINQ : EtherType.VLAN;
  if ("ipv6" in next) return EtherType.IPV6;
  if ("arp" in next) return EtherType.ARP;
  return EtherType.IPV4;
}

function ipProtocolOf(next: Layer | undefined, v6: boolean): number {
  if (!next) return v6 ? IpProtocol.NO_NEXT : 0xfd;
  if ("udp" in next) return IpProtocol.UDP;
  if ("tcp" in next) return IpProtocol.TCP;
  if ("icmp" in next) return IpProtocol.ICMP;
  if ("icmp6" in next) return IpProtocol.ICMPV6;
  if ("ipv4" in next) return IpProtocol.IPIP;
  if ("ipv6" in next) return IpProtocol.IPV6;
  if ("ipv6ext" in next) return extensionNumbers[next.ipv6ext.header];
  return v6 ? IpProtocol.NO_NEXT : 0xfd; // 253: "for experimentation"
}

function upperLayerChecksum(segment: Uint8Array, protocol: number, at: number, s: Surroundings): void {
  if (!s.ip) return; // no IP header in front: nothing to cover, leave 0
  let sum = internetChecksum(segment, pseudoHeaderSum(s.ip.src, s.ip.dst, protocol, segment.length));
  if (protocol === IpProtocol.UDP && sum === 0) sum = 0xffff; // 0 means "no checksum" in UDP
  segment[at] = sum >> 8;
  segment[at + 1] = sum & 0xff;
}

const encoders: { [K in LayerKind]: (fields: Extract<Layer, Record<K, unknown>>[K], s: Surroundings) => Uint8Array } = {
  payload: (data) => bytesOf(data),
  eth: (e, s) =>
    new Writer(14)
      .put(0, macBytes(e.dst ?? "02:00:00:00:00:02"))
      .put(6, macBytes(e.src ?? "02:00:00:00:00:01"))
      .u16(12, e.type ?? etherTypeOf(s.next)).bytes,
  vlan: (v, s) =>
    new Writer(4).u16(0, ((v.pcp ?? 0) << 13) | ((v.dei ?? 0) << 12) | (v.id ?? 1)).u16(2, v.type ?? etherTypeOf(s.next)).bytes,
  arp: (a) =>
    new Writer(28)
      .u16(0, a.htype ?? 1)
      .u16(2, a.ptype ?? EtherType.IPV4)
      .u8(4, a.hlen ?? 6)
      .u8(5, a.plen ?? 4)
      .u16(6, a.op ?? 1)
      .put(8, macBytes(a.sha ?? "02:00:00:00:00:01"))
      .put(14, ipv4Bytes(a.spa ?? "10.0.0.1"))
      .put(18, macBytes(a.tha ?? "00:00:00:00:00:00"))
      .put(24, ipv4Bytes(a.tpa ?? "10.0.0.2")).bytes,
  ipv4: (h, s) => {
    const options = bytesOf(h.options ?? "");
    const length = 20 + padTo(options.length, 4);
    const w = new Writer(length)
      .u8(0, ((h.version ?? 4) << 4) | (h.ihl ?? length / 4))
      .u8(1, h.tos ?? 0)
      .u16(2, h.totalLength ?? length + s.inner.length)
      .u16(4, h.id ?? 0)
      .u16(6, ((h.flags ?? 2) << 13) | (h.fragOffset ?? 0))
      .u8(8, h.ttl ?? 64)
      .u8(9, h.proto ?? ipProtocolOf(s.next, false))
      .put(12, ipv4Bytes(h.src))
      .put(16, ipv4Bytes(h.dst))
      .put(20, options);
    return w.u16(10, h.check ?? internetChecksum(w.bytes)).bytes;
  },
  ipv6: (h, s) => {
    const flow = h.flowLabel ?? 0;
    return new Writer(40)
      .u32(0, ((h.version ?? 6) << 28) | ((h.trafficClass ?? 0) << 20) | (flow & 0xfffff))
      .u16(4, h.payloadLength ?? s.inner.length)
      .u8(6, h.next ?? ipProtocolOf(s.next, true))
      .u8(7, h.hopLimit ?? 64)
      .put(8, ipv6Bytes(h.src))
      .put(24, ipv6Bytes(h.dst)).bytes;
  },
  ipv6ext: (x, s) => {
    const next = x.next ?? ipProtocolOf(s.next, true);
    if (x.header === "fragment")
      return new Writer(8)
        .u8(0, next)
        .u16(2, ((x.fragOffset ?? 0) << 3) | (x.more ? 1 : 0))
        .u32(4, x.id ?? 0).bytes;
    const data = bytesOf(x.data ?? "");
    const length = padTo(2 + data.length, 8);
    return new Writer(length)
      .u8(0, next)
      .u8(1, x.length ?? length / 8 - 1)
      .put(2, data).bytes;
  },
  udp: (u, s) => {
    const w = new Writer(8 + s.inner.length)
      .u16(0, u.sport)
      .u16(2, u.dport)
      .u16(4, u.len ?? 8 + s.inner.length)
      .put(8, s.inner);
    if (typeof u.check === "number") w.u16(6, u.check);
    else if (u.check !== "none") upperLayerChecksum(w.bytes, IpProtocol.UDP, 6, s);
    return w.bytes.subarray(0, 8);
  },
  tcp: (t, s) => {
    const options = bytesOf(t.options ?? "");
    const length = 20 + padTo(options.length, 4);
    const flags = typeof t.flags === "number" ? t.flags : [...(t.flags ?? "")].reduce((acc, c) => acc | (tcpFlagBits[c] ?? 0), 0);
    const w = new Writer(length + s.inner.length)
      .u16(0, t.sport)
      .u16(2, t.dport)
      .u32(4, t.seq ?? 1)
      .u32(8, t.ack ?? 0)
      .u8(12, (t.doff ?? length / 4) << 4)
      .u8(13, flags)
      .u16(14, t.window ?? 65535)
      .u16(18, t.urgPtr ?? 0)
      .put(20, options)
      .put(length, s.inner);
    if (t.check !== undefined) w.u16(16, t.check);
    else upperLayerChecksum(w.bytes, IpProtocol.TCP, 16, s);
    return w.bytes.subarray(0, length);
  },
  icmp: (c, s) => icmpHeader(c, s, false),
  icmp6: (c, s) => icmpHeader(c, s, true),
};

function icmpHeader(c: IcmpLayer, s: Surroundings, v6: boolean): Uint8Array {
  const w = new Writer(8 + s.inner.length)
    .u8(0, c.type)
    .u8(1, c.code ?? 0)
    .u16(4, c.id ?? 1)
    .u16(6, c.seq ?? 1)
    .put(8, s.inner);
  if (c.rest !== undefined) w.put(4, bytesOf(c.rest).subarray(0, 4));
  if (c.check !== undefined) w.u16(2, c.check);
  else if (v6) upperLayerChecksum(w.bytes, IpProtocol.ICMPV6, 2, s);
  else w.u16(2, internetChecksum(w.bytes)); // ICMPv4 has no pseudo-header
  return w.bytes.subarray(0, 8);
}

function enclosingIp(layers: readonly Layer[], index: number): Surroundings["ip"] {
  for (let j = index - 1; j >= 0; j--) {
    const l = layers[j]!;
    if ("ipv4" in l) return { src: ipv4Bytes(l.ipv4.src), dst: ipv4Bytes(l.ipv4.dst) };
    if ("ipv6" in l) return { src: ipv6Bytes(l.ipv6.src), dst: ipv6Bytes(l.ipv6.dst) };
  }
  return undefined;
}

/** The bytes of a packet made of `layers` (outermost first). */
export function buildPacket(layers: readonly Layer[]): Uint8Array {
  let inner: Uint8Array = new Uint8Array(0);
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i]!;
    const kind = layerKind(layer);
    const encode = encoders[kind] as (fields: unknown, s: Surroundings) => Uint8Array;
    if (!encode) throw new TypeError(`unknown packet layer '${kind}' (known: ${Object.keys(encoders).join(", ")})`);
    inner = concat(encode((layer as Record<string, unknown>)[kind], { inner, next: layers[i + 1], ip: enclosingIp(layers, i) }), inner);
  }
  return inner;
}

export { onesComplementSum };
