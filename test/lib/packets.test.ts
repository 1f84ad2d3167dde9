// The test packet builder against known vectors and its own validator.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { build, checksum, checksumProblems, ipv6Bytes } from "./packets.js";

test("IPv4 header checksum of the classic example is 0xb861", () => {
  const header = [0x45, 0, 0, 0x73, 0, 0, 0x40, 0, 0x40, 0x11, 0, 0, 0xc0, 0xa8, 0, 1, 0xc0, 0xa8, 0, 0xc7];
  assert.is(checksum(header), 0xb861);
});

test("layers get lengths, protocols and valid checksums", () => {
  const p = build([{ eth: {} }, { vlan: { id: 10, outer: true } }, { vlan: { id: 20 } }, { ipv4: { src: "10.0.0.1", dst: "10.0.0.2", options: "01010101" } }, { udp: { sport: 1234, dport: 53 } }, { payload: "c0ffee" }]);
  assert.equal([...p.subarray(12, 14)], [0x88, 0xa8]);
  assert.equal([...p.subarray(16, 18)], [0x81, 0x00]);
  assert.equal([...p.subarray(20, 22)], [0x08, 0x00]);
  assert.is(p[22], 0x46, "IHL 6 with options");
  assert.is(p[22 + 9], 17);
  assert.is((p[24]! << 8) | p[25]!, 24 + 8 + 3);
  assert.equal(checksumProblems(p), []);
  p[p.length - 1] ^= 1;
  assert.equal(checksumProblems(p), ["UDP checksum"]);
});

test("IPv6 + ICMPv6 and TCP checksums validate; IPv6 parsing", () => {
  assert.equal([...ipv6Bytes("fe80::1")], [0xfe, 0x80, ...Array(13).fill(0), 1]);
  const v6 = build([{ eth: {} }, { ipv6: { src: "2001:db8::1", dst: "2001:db8::2" } }, { icmp6: { type: 128, id: 7, seq: 1 } }, { payload: "0102" }]);
  assert.equal(checksumProblems(v6), []);
  const tcp = build([{ eth: {} }, { ipv4: { src: "1.2.3.4", dst: "5.6.7.8" } }, { tcp: { sport: 80, dport: 4000, flags: "SA" } }]);
  assert.equal(checksumProblems(tcp), []);
  assert.is(tcp[14 + 20 + 13], 0x12);
});

test.run();
