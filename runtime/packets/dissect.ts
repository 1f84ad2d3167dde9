// Packet bytes back into layers — for assertions on what a program sent, and for printing a
// packet in a failing test. Field names are the builder's (build.ts); checksummed layers
// say whether their checksum is right. Parsing stops at the first header that does not fit
// (a "truncated" layer says what was cut) and never throws on any input.
import { formatIpv4Bytes, formatIpv6, formatMac } from "./addresses.js";
import { EtherType, IpProtocol } from "./build.js";
import { onesComplementSum, pseudoHeaderSum } from "./checksum.js";

interface At {
  offset: number;
  length: number;
}
export type DissectedLayer = At &
  (
    | { kind: "eth"; dst: string; src: string; type: number }
    | { kind: "vlan"; id: number; pcp: number; dei: number; type: number }
    | {
        kind: "arp";
        htype: number;
        ptype: number;
        hlen: number;
        plen: number;
        op: number;
        sha: string;
        spa: string;
        tha: string;
        tpa: string;
      }
    | {
        kind: "ipv4";
        src: string;
        dst: string;
        version: number;
        ihl: number;
        tos: number;
        totalLength: number;
        id: number;
        flags: number;
        fragOffset: number;
        ttl: number;
        proto: number;
        check: number;
        options: string;
        checksumValid: boolean;
      }
    | {
        kind: "ipv6";
        src: string;
        dst: string;
        version: number;
        trafficClass: number;
        flowLabel: number;
        payloadLength: number;
        next: number;
        hopLimit: number;
      }
    | {
        kind: "ipv6ext";
        header: "hopByHop" | "routing" | "fragment" | "destination";
        next: number;
        data: string;
        fragOffset?: number;
        more?: boolean;
        id?: number;
      }
    | { kind: "udp"; sport: number; dport: number; len: number; check: number; checksumValid: boolean }
    | {
        kind: "tcp";
        sport: number;
        dport: number;
        seq: number;
        ack: number;
        doff: number;
        flags: string;
        window: number;
        check: number;
        urgPtr: number;
        options: string;
        checksumValid: boolean;
      }
    | { kind: "icmp" | "icmp6"; type: number; code: number; check: number; id: number; seq: number; checksumValid: boolean }
    | { kind: "payload"; data: string }
    | { kind: "truncated"; expected: string }
  );

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
const extensionNames: Record<number, "hopByHop" | "routing" | "fragment" | "destination"> = {
  0: "hopByHop",
  43: "routing",
  44: "fragment",
  60: "destination",
};
const tcpFlagLetters = "FSRPAUEC";

interface IpContext {
  src: Uint8Array;
  dst: Uint8Array;
}

/** The layers of an Ethernet frame, outermost first. */
export function dissect(packet: Uint8Array): DissectedLayer[] {
  const bytes = packet;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u8 = (at: number) => view.getUint8(at);
  const u16 = (at: number) => view.getUint16(at);
  const u32 = (at: number) => view.getUint32(at);
  const layers: DissectedLayer[] = [];
  let offset = 0;
  /** Whether `length` bytes remain at `offset`; otherwise records a truncated layer. */
  const fits = (length: number, expected: string) => {
    if (offset + length <= bytes.length) return true;
    layers.push({ kind: "truncated", expected, offset, length: bytes.length - offset });
    return false;
  };
  /** Layers above IP, within `end` (the IP header's own length field). */
  const upper = (protocol: number, end: number, ip: IpContext): void => {
    for (let depth = 0; depth < 16; depth++) {
      const segment = bytes.subarray(offset, Math.max(offset, end));
      const pseudoValid = () => onesComplementSum(segment, pseudoHeaderSum(ip.src, ip.dst, protocol, segment.length)) === 0xffff;
      if (protocol === IpProtocol.UDP) {
        if (!fits(8, "udp")) return;
        const check = u16(offset + 6);
        // Over IPv4, a zero checksum means "not computed" (RFC 768); over IPv6 it is invalid.
        layers.push({
          kind: "udp",
          offset,
          length: 8,
          sport: u16(offset),
          dport: u16(offset + 2),
          len: u16(offset + 4),
          check,
          checksumValid: (check === 0 && ip.src.length === 4) || pseudoValid(),
        });
        offset += 8;
      } else if (protocol === IpProtocol.TCP) {
        if (!fits(20, "tcp")) return;
        const doff = u8(offset + 12) >> 4;
        const length = Math.max(20, doff * 4);
        if (!fits(length, "tcp options")) return;
        const flagByte = u8(offset + 13);
        const flags = [...tcpFlagLetters].filter((_, i) => flagByte & (1 << i)).join("");
        layers.push({
          kind: "tcp",
          offset,
          length,
          sport: u16(offset),
          dport: u16(offset + 2),
          seq: u32(offset + 4),
          ack: u32(offset + 8),
          doff,
          flags,
          window: u16(offset + 14),
          check: u16(offset + 16),
          urgPtr: u16(offset + 18),
          options: hex(bytes.subarray(offset + 20, offset + length)),
          checksumValid: pseudoValid(),
        });
        offset += length;
      } else if (protocol === IpProtocol.ICMP || protocol === IpProtocol.ICMPV6) {
        const kind = protocol === IpProtocol.ICMP ? "icmp" : "icmp6";
        if (!fits(8, kind)) return;
        const checksumValid = kind === "icmp" ? onesComplementSum(segment) === 0xffff : pseudoValid();
        layers.push({
          kind,
          offset,
          length: 8,
          type: u8(offset),
          code: u8(offset + 1),
          check: u16(offset + 2),
          id: u16(offset + 4),
          seq: u16(offset + 6),
          checksumValid,
        });
        offset += 8;
      } else if (protocol === IpProtocol.IPIP) return void ipv4();
      else if (protocol === IpProtocol.IPV6) return void ipv6();
      else if (extensionNames[protocol] && ip.src.length === 16) {
        if (!fits(8, "ipv6ext")) return;
        const header = extensionNames[protocol]!;
        const length = header === "fragment" ? 8 : (u8(offset + 1) + 1) * 8;
        if (!fits(length, "ipv6ext")) return;
        const next = u8(offset);
        const fragment =
          header === "fragment" ? { fragOffset: u16(offset + 2) >> 3, more: (u16(offset + 2) & 1) === 1, id: u32(offset + 4) } : {};
        layers.push({ kind: "ipv6ext", offset, length, header, next, data: hex(bytes.subarray(offset + 2, offset + length)), ...fragment });
        offset += length;
        protocol = next;
        continue;
      }
      return;
    }
  };
  const ipv4 = (): void => {
    if (!fits(20, "ipv4")) return;
    const ihl = u8(offset) & 0x0f;
    const length = Math.max(20, ihl * 4);
    if (!fits(length, "ipv4 options")) return;
    const header = bytes.subarray(offset, offset + length);
    const totalLength = u16(offset + 2);
    const flagsAndOffset = u16(offset + 6);
    const src = bytes.subarray(offset + 12, offset + 16);
    const dst = bytes.subarray(offset + 16, offset + 20);
    const proto = u8(offset + 9);
    layers.push({
      kind: "ipv4",
      offset,
      length,
      src: formatIpv4Bytes(src),
      dst: formatIpv4Bytes(dst),
      version: u8(offset) >> 4,
      ihl,
      tos: u8(offset + 1),
      totalLength,
      id: u16(offset + 4),
      flags: flagsAndOffset >> 13,
      fragOffset: flagsAndOffset & 0x1fff,
      ttl: u8(offset + 8),
      proto,
      check: u16(offset + 10),
      options: hex(header.subarray(20)),
      checksumValid: onesComplementSum(header) === 0xffff,
    });
    const end = Math.min(bytes.length, layers.at(-1)!.offset + totalLength);
    offset += length;
    // Later fragments carry no upper-layer header.
    if ((flagsAndOffset & 0x1fff) === 0) upper(proto, end, { src, dst });
  };
  const ipv6 = (): void => {
    if (!fits(40, "ipv6")) return;
    const first = u32(offset);
    const src = bytes.subarray(offset + 8, offset + 24);
    const dst = bytes.subarray(offset + 24, offset + 40);
    const payloadLength = u16(offset + 4);
    const next = u8(offset + 6);
    layers.push({
      kind: "ipv6",
      offset,
      length: 40,
      src: formatIpv6(src),
      dst: formatIpv6(dst),
      version: first >>> 28,
      trafficClass: (first >>> 20) & 0xff,
      flowLabel: first & 0xfffff,
      payloadLength,
      next,
      hopLimit: u8(offset + 7),
    });
    offset += 40;
    upper(next, Math.min(bytes.length, offset + payloadLength), { src, dst });
  };

  if (!fits(14, "eth")) return layers;
  let type = u16(12);
  layers.push({ kind: "eth", offset: 0, length: 14, dst: formatMac(bytes.subarray(0, 6)), src: formatMac(bytes.subarray(6, 12)), type });
  offset = 14;
  while (type === EtherType.VLAN || type === EtherType.QINQ) {
    if (!fits(4, "vlan")) return layers;
    const tci = u16(offset);
    type = u16(offset + 2);
    layers.push({ kind: "vlan", offset, length: 4, id: tci & 0xfff, pcp: tci >> 13, dei: (tci >> 12) & 1, type });
    offset += 4;
  }
  if (type === EtherType.IPV4) ipv4();
  else if (type === EtherType.IPV6) ipv6();
  else if (type === EtherType.ARP && fits(28, "arp")) {
    layers.push({
      kind: "arp",
      offset,
      length: 28,
      htype: u16(offset),
      ptype: u16(offset + 2),
      hlen: u8(offset + 4),
      plen: u8(offset + 5),
      op: u16(offset + 6),
      sha: formatMac(bytes.subarray(offset + 8, offset + 14)),
      spa: formatIpv4Bytes(bytes.subarray(offset + 14, offset + 18)),
      tha: formatMac(bytes.subarray(offset + 18, offset + 24)),
      tpa: formatIpv4Bytes(bytes.subarray(offset + 24, offset + 28)),
    });
    offset += 28;
  }
  if (offset < bytes.length && layers.at(-1)?.kind !== "truncated")
    layers.push({ kind: "payload", offset, length: bytes.length - offset, data: hex(bytes.subarray(offset)) });
  return layers;
}

const checksumNames: Record<string, string> = {
  ipv4: "IPv4 header checksum",
  udp: "UDP checksum",
  tcp: "TCP checksum",
  icmp: "ICMP checksum",
  icmp6: "ICMPv6 checksum",
};

/** Every wrong checksum of a packet, by name ("IPv4 header checksum", "UDP checksum", …). */
export function checksumProblems(packet: Uint8Array): string[] {
  return dissect(packet)
    .filter((l) => "checksumValid" in l && !l.checksumValid)
    .map((l) => checksumNames[l.kind]!);
}

/** One line per layer, e.g. `udp 1234 → 53 len 11 check 0x1c2d (valid)`, for test failures. */
export function formatPacket(packet: Uint8Array): string {
  return dissect(packet).map(formatLayer).join("\n");
}

function formatLayer(l: DissectedLayer): string {
  const check = (c: number, valid: boolean) => `check 0x${c.toString(16).padStart(4, "0")} (${valid ? "valid" : "WRONG"})`;
  const type = (t: number) => `0x${t.toString(16).padStart(4, "0")}`;
  switch (l.kind) {
    case "eth":
      return `eth ${l.src} → ${l.dst} type ${type(l.type)}`;
    case "vlan":
      return `vlan id ${l.id} pcp ${l.pcp}${l.dei ? " dei" : ""} type ${type(l.type)}`;
    case "arp":
      return `arp ${l.op === 1 ? "request" : l.op === 2 ? "reply" : `op ${l.op}`} ${l.sha} ${l.spa} → ${l.tha} ${l.tpa}`;
    case "ipv4":
      return `ipv4 ${l.src} → ${l.dst} proto ${l.proto} ttl ${l.ttl} len ${l.totalLength}${l.options ? ` options ${l.options}` : ""} ${check(l.check, l.checksumValid)}`;
    case "ipv6":
      return `ipv6 ${l.src} → ${l.dst} next ${l.next} hop limit ${l.hopLimit} payload ${l.payloadLength}`;
    case "ipv6ext":
      return `ipv6ext ${l.header} next ${l.next}${l.header === "fragment" ? ` offset ${l.fragOffset} id ${l.id}${l.more ? " more" : ""}` : ` ${l.data}`}`;
    case "udp":
      return `udp ${l.sport} → ${l.dport} len ${l.len} ${check(l.check, l.checksumValid)}`;
    case "tcp":
      return `tcp ${l.sport} → ${l.dport} [${l.flags}] seq ${l.seq} ack ${l.ack} win ${l.window} ${check(l.check, l.checksumValid)}`;
    case "icmp":
    case "icmp6":
      return `${l.kind} type ${l.type} code ${l.code} id ${l.id} seq ${l.seq} ${check(l.check, l.checksumValid)}`;
    case "payload":
      return `payload ${l.length} bytes ${l.data.length > 64 ? `${l.data.slice(0, 64)}…` : l.data}`;
    case "truncated":
      return `truncated: ${l.expected} needs more than the ${l.length} bytes left`;
  }
}
