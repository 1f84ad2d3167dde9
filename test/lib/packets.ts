// Test packets from a list of layers, with lengths, next-protocol fields and checksums filled
// in from the layers that follow (so IP-in-IP and double VLAN tags need no special cases):
//   [{ eth: {} }, { vlan: { id: 10 } }, { ipv4: { src: "10.0.0.1", dst: "10.0.0.2" } }, { udp: { sport: 1, dport: 53 } }, { payload: "c0ffee" }]
// Also parse(): bytes back into the same layer form, and checksum validation per layer.
import { ipv4 as parseIpv4, mac as parseMac, formatIpv4 } from "../../runtime/xdp.js";

export type Layer =
  | { eth: { dst?: string; src?: string; type?: number } }
  | { vlan: { id?: number; pcp?: number; outer?: boolean; type?: number } }
  | { arp: { op?: number; sha?: string; spa?: string; tha?: string; tpa?: string } }
  | { ipv4: { src: string; dst: string; ttl?: number; tos?: number; id?: number; flags?: number; proto?: number; options?: string; check?: number } }
  | { ipv6: { src: string; dst: string; hopLimit?: number; next?: number; flowLabel?: number } }
  | { udp: { sport: number; dport: number; check?: number | "none" } }
  | { tcp: { sport: number; dport: number; flags?: string; seq?: number; ack?: number; window?: number } }
  | { icmp: { type: number; code?: number; id?: number; seq?: number } }
  | { icmp6: { type: number; code?: number; id?: number; seq?: number } }
  | { payload: string };

const ETH = { ipv4: 0x0800, ipv6: 0x86dd, arp: 0x0806, vlan: 0x8100, qinq: 0x88a8 };
const IP = { icmp: 1, ipip: 4, tcp: 6, udp: 17, ipv6: 41, icmp6: 58 };

export function ipv6Bytes(text: string): Uint8Array {
  const [head, tail] = text.split("::");
  const parse = (s: string | undefined) => (s ? s.split(":").filter(Boolean).map((h) => Number.parseInt(h, 16)) : []);
  const a = parse(head);
  const b = tail === undefined ? [] : parse(tail);
  const words = tail === undefined ? a : [...a, ...Array(8 - a.length - b.length).fill(0), ...b];
  if (words.length !== 8) throw new Error(`bad IPv6 address ${text}`);
  const out = new Uint8Array(16);
  words.forEach((w, i) => { out[i * 2] = w >> 8; out[i * 2 + 1] = w & 0xff; });
  return out;
}

function be16(n: number): number[] { return [(n >> 8) & 0xff, n & 0xff]; }
function be32(n: number): number[] { return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]; }
function ip4(text: string): number[] { return be32(parseIpv4(text)); }
function hex(text: string): number[] {
  const clean = text.replace(/\s+/g, "");
  return Array.from({ length: clean.length / 2 }, (_, i) => Number.parseInt(clean.slice(i * 2, i * 2 + 2), 16));
}

export function onesComplement(bytes: ArrayLike<number>, initial = 0): number {
  let sum = initial;
  for (let i = 0; i < bytes.length; i += 2) sum += ((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}
export const checksum = (bytes: ArrayLike<number>, initial = 0) => ~onesComplement(bytes, initial) & 0xffff;

function kind(layer: Layer): string { return Object.keys(layer)[0]!; }

/** Builds the packet bytes for `layers`. */
export function build(layers: Layer[]): Uint8Array {
  // Build from the innermost layer outwards, so each header knows what follows.
  let inner: number[] = [];
  let innerKind = "";
  let pseudo: { src: number[]; dst: number[]; v6: boolean } | undefined;
  const pseudoFor = (i: number) => {
    for (let j = i - 1; j >= 0; j--) {
      const l = layers[j]!;
      if ("ipv4" in l) return { src: ip4(l.ipv4.src), dst: ip4(l.ipv4.dst), v6: false };
      if ("ipv6" in l) return { src: [...ipv6Bytes(l.ipv6.src)], dst: [...ipv6Bytes(l.ipv6.dst)], v6: true };
    }
    return undefined;
  };
  const l4Checksum = (proto: number, segment: number[], at: number) => {
    if (!pseudo) return;
    const len = segment.length;
    const header = pseudo.v6 ? [...pseudo.src, ...pseudo.dst, ...be32(len), 0, 0, 0, proto] : [...pseudo.src, ...pseudo.dst, 0, proto, ...be16(len)];
    let c = checksum([...header, ...segment]);
    if (proto === IP.udp && c === 0) c = 0xffff;
    segment[at] = c >> 8;
    segment[at + 1] = c & 0xff;
  };
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i]!;
    pseudo = pseudoFor(i);
    let bytes: number[];
    if ("payload" in layer) bytes = hex(layer.payload);
    else if ("udp" in layer) {
      const u = layer.udp;
      bytes = [...be16(u.sport), ...be16(u.dport), ...be16(8 + inner.length), 0, 0, ...inner];
      if (u.check === undefined) l4Checksum(IP.udp, bytes, 6);
      else if (u.check !== "none") bytes.splice(6, 2, ...be16(u.check));
      inner = [];
    } else if ("tcp" in layer) {
      const t = layer.tcp;
      const flagBits = { F: 1, S: 2, R: 4, P: 8, A: 16, U: 32, E: 64, C: 128 } as Record<string, number>;
      const flags = [...(t.flags ?? "")].reduce((acc, c) => acc | (flagBits[c] ?? 0), 0);
      bytes = [...be16(t.sport), ...be16(t.dport), ...be32(t.seq ?? 1), ...be32(t.ack ?? 0), 0x50, flags, ...be16(t.window ?? 65535), 0, 0, 0, 0, ...inner];
      l4Checksum(IP.tcp, bytes, 16);
      inner = [];
    } else if ("icmp" in layer) {
      const c = layer.icmp;
      bytes = [c.type, c.code ?? 0, 0, 0, ...be16(c.id ?? 1), ...be16(c.seq ?? 1), ...inner];
      const sum = checksum(bytes);
      bytes[2] = sum >> 8;
      bytes[3] = sum & 0xff;
      inner = [];
    } else if ("icmp6" in layer) {
      const c = layer.icmp6;
      bytes = [c.type, c.code ?? 0, 0, 0, ...be16(c.id ?? 1), ...be16(c.seq ?? 1), ...inner];
      l4Checksum(IP.icmp6, bytes, 2);
      inner = [];
    } else if ("ipv4" in layer) {
      const h = layer.ipv4;
      const options = h.options ? hex(h.options) : [];
      const ihl = 5 + options.length / 4;
      const proto = h.proto ?? (innerKind === "udp" ? IP.udp : innerKind === "tcp" ? IP.tcp : innerKind === "icmp" ? IP.icmp : innerKind === "ipv4" ? IP.ipip : innerKind === "ipv6" ? IP.ipv6 : 0xfd);
      bytes = [0x40 | ihl, h.tos ?? 0, ...be16(ihl * 4 + inner.length), ...be16(h.id ?? 0), ...be16(h.flags ?? 0x4000), h.ttl ?? 64, proto, 0, 0, ...ip4(h.src), ...ip4(h.dst), ...options];
      const c = h.check ?? checksum(bytes);
      bytes[10] = c >> 8;
      bytes[11] = c & 0xff;
      bytes.push(...inner);
    } else if ("ipv6" in layer) {
      const h = layer.ipv6;
      const next = h.next ?? (innerKind === "udp" ? IP.udp : innerKind === "tcp" ? IP.tcp : innerKind === "icmp6" ? IP.icmp6 : innerKind === "ipv4" ? IP.ipip : 59);
      const flow = h.flowLabel ?? 0;
      bytes = [0x60, (flow >> 16) & 0x0f, (flow >> 8) & 0xff, flow & 0xff, ...be16(inner.length), next, h.hopLimit ?? 64, ...ipv6Bytes(h.src), ...ipv6Bytes(h.dst), ...inner];
    } else if ("arp" in layer) {
      const a = layer.arp;
      bytes = [0, 1, 8, 0, 6, 4, ...be16(a.op ?? 1), ...parseMac(a.sha ?? "02:00:00:00:00:01"), ...ip4(a.spa ?? "10.0.0.1"), ...parseMac(a.tha ?? "00:00:00:00:00:00"), ...ip4(a.tpa ?? "10.0.0.2"), ...inner];
    } else if ("vlan" in layer) {
      const v = layer.vlan;
      bytes = [...be16(((v.pcp ?? 0) << 13) | (v.id ?? 1)), ...be16(v.type ?? etherTypeFor(innerKind)), ...inner];
    } else {
      const e = layer.eth;
      const next = layers[i + 1];
      const type = e.type ?? (next && "vlan" in next ? (next.vlan.outer ? ETH.qinq : ETH.vlan) : etherTypeFor(innerKind));
      bytes = [...parseMac(e.dst ?? "02:00:00:00:00:02"), ...parseMac(e.src ?? "02:00:00:00:00:01"), ...be16(type), ...inner];
    }
    inner = bytes;
    innerKind = kind(layer) === "vlan" ? ((layer as { vlan: { outer?: boolean } }).vlan.outer ? "qinq" : "vlan") : kind(layer);
  }
  return Uint8Array.from(inner);
}

function etherTypeFor(k: string): number {
  return k === "ipv6" ? ETH.ipv6 : k === "arp" ? ETH.arp : k === "vlan" ? ETH.vlan : k === "qinq" ? ETH.qinq : ETH.ipv4;
}

/** Checks every checksum in a packet (IPv4 header, UDP/TCP/ICMP/ICMPv6); returns problems. */
export function checksumProblems(bytes: Uint8Array): string[] {
  const problems: string[] = [];
  let off = 12;
  let type = (bytes[off]! << 8) | bytes[off + 1]!;
  off += 2;
  while (type === ETH.vlan || type === ETH.qinq) {
    type = (bytes[off + 2]! << 8) | bytes[off + 3]!;
    off += 4;
  }
  for (let depth = 0; depth < 3; depth++) {
    if (type === ETH.ipv4) {
      const ihl = (bytes[off]! & 0x0f) * 4;
      if (onesComplement(bytes.subarray(off, off + ihl)) !== 0xffff) problems.push("IPv4 header checksum");
      const proto = bytes[off + 9]!;
      const total = (bytes[off + 2]! << 8) | bytes[off + 3]!;
      const src = [...bytes.subarray(off + 12, off + 16)];
      const dst = [...bytes.subarray(off + 16, off + 20)];
      const l4 = bytes.subarray(off + ihl, off + total);
      if (proto === IP.ipip) { off += ihl; type = ETH.ipv4; continue; }
      checkL4(proto, l4, [...src, ...dst, 0, proto, ...be16(l4.length)], problems);
      return problems;
    }
    if (type === ETH.ipv6) {
      const next = bytes[off + 6]!;
      const len = (bytes[off + 4]! << 8) | bytes[off + 5]!;
      const l4 = bytes.subarray(off + 40, off + 40 + len);
      checkL4(next, l4, [...bytes.subarray(off + 8, off + 40), ...be32(l4.length), 0, 0, 0, next], problems);
      return problems;
    }
    return problems;
  }
  return problems;
}

function checkL4(proto: number, segment: Uint8Array, pseudoHeader: number[], problems: string[]): void {
  if (proto === IP.udp) {
    if (segment[6] === 0 && segment[7] === 0) return; // no checksum (IPv4)
    if (onesComplement([...pseudoHeader, ...segment]) !== 0xffff) problems.push("UDP checksum");
  } else if (proto === IP.tcp) {
    if (onesComplement([...pseudoHeader, ...segment]) !== 0xffff) problems.push("TCP checksum");
  } else if (proto === IP.icmp) {
    if (onesComplement(segment) !== 0xffff) problems.push("ICMP checksum");
  } else if (proto === IP.icmp6) {
    if (onesComplement([...pseudoHeader, ...segment]) !== 0xffff) problems.push("ICMPv6 checksum");
  }
}

export { formatIpv4 };
