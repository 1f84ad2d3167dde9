// tsxdp/packets: the builder against known vectors, every layer through the dissector, field
// overrides that break packets on purpose, and pcap bytes.
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  buildPacket,
  checksumProblems,
  dissect,
  encodePcap,
  formatIpv6,
  formatPacket,
  internetChecksum,
  ipv6Bytes,
  parsePcap,
  type DissectedLayer,
} from "../../runtime/packets/index.js";

const kinds = (layers: DissectedLayer[]) => layers.map((l) => l.kind);

test("IPv4 header checksum of the classic example is 0xb861", () => {
  const header = [0x45, 0, 0, 0x73, 0, 0, 0x40, 0, 0x40, 0x11, 0, 0, 0xc0, 0xa8, 0, 1, 0xc0, 0xa8, 0, 0xc7];
  assert.is(internetChecksum(header), 0xb861);
});

test("a UDP datagram matches the bytes written out by hand", () => {
  const p = buildPacket([
    { eth: { dst: "02:00:00:00:00:02", src: "02:00:00:00:00:01" } },
    { ipv4: { src: "10.0.0.1", dst: "10.0.0.2", id: 1 } },
    { udp: { sport: 1000, dport: 2000 } },
    { payload: "61" },
  ]);
  // IPv4: 45 00 001d 0001 4000 40 11 csum 0a000001 0a000002; UDP: 03e8 07d0 0009 csum 61
  assert.equal([...p.subarray(12, 14)], [0x08, 0x00]);
  assert.equal([...p.subarray(14, 24)], [0x45, 0, 0, 0x1d, 0, 1, 0x40, 0, 64, 17]);
  assert.equal([...p.subarray(34, 40)], [0x03, 0xe8, 0x07, 0xd0, 0, 9]);
  // UDP checksum by hand: pseudo 0a00+0001+0a00+0002+0011+0009, header 03e8+07d0+0009, data 6100
  const sum = 0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 0x0011 + 0x0009 + 0x03e8 + 0x07d0 + 0x0009 + 0x6100;
  assert.is((p[40]! << 8) | p[41]!, ~((sum & 0xffff) + (sum >>> 16)) & 0xffff);
  assert.equal(checksumProblems(p), []);
});

test("VLAN tags, IPv4 options, lengths and protocols come from the layers that follow", () => {
  const p = buildPacket([
    { eth: {} },
    { vlan: { id: 10, outer: true } },
    { vlan: { id: 20, pcp: 5 } },
    { ipv4: { src: "10.0.0.1", dst: "10.0.0.2", options: "01010101" } },
    { udp: { sport: 1234, dport: 53 } },
    { payload: "c0ffee" },
  ]);
  const layers = dissect(p);
  assert.equal(kinds(layers), ["eth", "vlan", "vlan", "ipv4", "udp", "payload"]);
  assert.is((layers[0] as { type: number }).type, 0x88a8);
  assert.equal(layers[2], { kind: "vlan", offset: 18, length: 4, id: 20, pcp: 5, dei: 0, type: 0x0800 });
  const ip = layers[3] as Extract<DissectedLayer, { kind: "ipv4" }>;
  assert.equal([ip.ihl, ip.proto, ip.totalLength, ip.options, ip.flags, ip.checksumValid], [6, 17, 24 + 8 + 3, "01010101", 2, true]);
  p[p.length - 1] ^= 1;
  assert.equal(checksumProblems(p), ["UDP checksum"]);
});

test("IPv6 with hop-by-hop, routing and fragment headers chains next-header numbers", () => {
  const p = buildPacket([
    { eth: {} },
    { ipv6: { src: "2001:db8::1", dst: "2001:db8::2" } },
    { ipv6ext: { header: "hopByHop", data: "0104 00000000" } },
    { ipv6ext: { header: "routing", data: "0000" } },
    { ipv6ext: { header: "fragment", id: 7 } },
    { udp: { sport: 1, dport: 2 } },
    { payload: "ff" },
  ]);
  const layers = dissect(p);
  assert.equal(kinds(layers), ["eth", "ipv6", "ipv6ext", "ipv6ext", "ipv6ext", "udp", "payload"]);
  const [v6, hop, routing, fragment] = layers.slice(1) as Extract<DissectedLayer, { kind: "ipv6" | "ipv6ext" }>[];
  assert.equal([v6!.next, hop!.next, routing!.next, fragment!.next], [0, 43, 44, 17]);
  assert.is((v6 as { payloadLength: number }).payloadLength, 8 + 8 + 8 + 8 + 1);
  assert.is((fragment as { id?: number }).id, 7);
  assert.equal(checksumProblems(p), []);
});

test("TCP, ICMP, ICMPv6 and ARP round-trip through the dissector", () => {
  const tcp = dissect(
    buildPacket([
      { eth: {} },
      { ipv4: { src: "1.2.3.4", dst: "5.6.7.8" } },
      { tcp: { sport: 80, dport: 4000, flags: "SA", seq: 100, ack: 7, options: "020405b4" } },
    ]),
  );
  assert.equal(tcp[2], {
    kind: "tcp",
    offset: 34,
    length: 24,
    sport: 80,
    dport: 4000,
    seq: 100,
    ack: 7,
    doff: 6,
    flags: "SA",
    window: 65535,
    check: (tcp[2] as { check: number }).check,
    urgPtr: 0,
    options: "020405b4",
    checksumValid: true,
  });
  const icmp = dissect(
    buildPacket([{ eth: {} }, { ipv4: { src: "1.2.3.4", dst: "5.6.7.8" } }, { icmp: { type: 8, id: 3, seq: 4 } }, { payload: "abcd" }]),
  );
  assert.equal(kinds(icmp), ["eth", "ipv4", "icmp", "payload"]);
  assert.ok((icmp[2] as { checksumValid: boolean }).checksumValid);
  const v6 = buildPacket([
    { eth: {} },
    { ipv6: { src: "fe80::1", dst: "ff02::1:ff00:2", hopLimit: 255 } },
    { icmp6: { type: 135, rest: "00000000" } },
  ]);
  assert.equal(checksumProblems(v6), []);
  assert.is((dissect(v6)[2] as { type: number }).type, 135);
  const arp = dissect(buildPacket([{ eth: { dst: "ff:ff:ff:ff:ff:ff" } }, { arp: { op: 2, spa: "10.0.0.9" } }]));
  assert.equal(arp[1], {
    kind: "arp",
    offset: 14,
    length: 28,
    htype: 1,
    ptype: 0x0800,
    hlen: 6,
    plen: 4,
    op: 2,
    sha: "02:00:00:00:00:01",
    spa: "10.0.0.9",
    tha: "00:00:00:00:00:00",
    tpa: "10.0.0.2",
  });
});

test("every field can be overridden, to build wrong packets on purpose", () => {
  const p = buildPacket([
    { eth: { type: 0x0800 } },
    { ipv4: { src: "10.0.0.1", dst: "10.0.0.2", check: 0x1234, totalLength: 9999, ttl: 1, proto: 17 } },
    { udp: { sport: 1, dport: 2, len: 3, check: 0xbeef } },
  ]);
  const [, ip, udp] = dissect(p) as [unknown, Extract<DissectedLayer, { kind: "ipv4" }>, Extract<DissectedLayer, { kind: "udp" }>];
  assert.equal([ip.check, ip.totalLength, ip.ttl, ip.checksumValid], [0x1234, 9999, 1, false]);
  assert.equal([udp.len, udp.check, udp.checksumValid], [3, 0xbeef, false]);
  assert.equal(checksumProblems(p), ["IPv4 header checksum", "UDP checksum"]);
});

test("cut packets dissect to a truncated layer, never an exception", () => {
  const full = buildPacket([{ eth: {} }, { ipv4: { src: "10.0.0.1", dst: "10.0.0.2" } }, { tcp: { sport: 1, dport: 2 } }]);
  for (let n = 0; n < full.length; n++) {
    const layers = dissect(full.subarray(0, n));
    if (n > 0) assert.is(layers.at(-1)!.kind, "truncated", `cut at ${n}`);
  }
  assert.match(formatPacket(full.subarray(0, 40)), /truncated: tcp/);
});

test("formatPacket prints one line per layer with checksum validity", () => {
  const text = formatPacket(
    buildPacket([{ eth: {} }, { ipv4: { src: "10.0.0.1", dst: "10.0.0.2" } }, { udp: { sport: 5, dport: 53, check: 1 } }]),
  );
  assert.equal(
    text.split("\n").map((l) => l.split(" ")[0]),
    ["eth", "ipv4", "udp"],
  );
  assert.match(text, /ipv4 10\.0\.0\.1 → 10\.0\.0\.2 proto 17 ttl 64 len 28 check 0x[0-9a-f]{4} \(valid\)/);
  assert.match(text, /udp 5 → 53 len 8 check 0x0001 \(WRONG\)/);
});

test("IPv6 text forms parse and print as RFC 5952 says", () => {
  assert.equal([...ipv6Bytes("fe80::1")], [0xfe, 0x80, ...Array(13).fill(0), 1]);
  assert.is(formatIpv6(ipv6Bytes("2001:0db8:0000:0000:0001:0000:0000:0001")), "2001:db8::1:0:0:1");
  assert.is(formatIpv6(ipv6Bytes("::ffff:10.0.0.1")), "::ffff:a00:1");
  assert.throws(() => ipv6Bytes("1::2::3"), /not an IPv6 address/);
});

test("pcap bytes round-trip with nanosecond timestamps", () => {
  const a = buildPacket([{ eth: {} }, { ipv4: { src: "10.0.0.1", dst: "10.0.0.2" } }, { udp: { sport: 1, dport: 2 } }]);
  const file = encodePcap([{ data: a, timestampNs: 1_700_000_000_123_456_789n }, { data: a.subarray(0, 20) }]);
  assert.equal([...file.subarray(0, 4)], [0x4d, 0x3c, 0xb2, 0xa1]);
  const back = parsePcap(file);
  assert.equal(
    back.map((p) => [p.timestampNs, p.data.length]),
    [
      [1_700_000_000_123_456_789n, a.length],
      [0n, 20],
    ],
  );
  assert.equal([...back[0]!.data], [...a]);
  assert.throws(() => parsePcap(file.subarray(0, 30)), /truncated packet record/);
});

test.run();
