// The stdlib's own subset code and intrinsics, checked in the kernel against a JavaScript
// reference: byte order, bit fields, and the checksum routines (full and RFC 1624).
import { test } from "uvu";
import * as assert from "uvu/assert";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { compile, formatDiagnostic } from "../../compiler/index.js";
import { requireKernel } from "../lib/kernel-env.js";
import { loadProgram, type LoadedProgram } from "../lib/testrun.js";
import { checksum as referenceChecksum } from "../lib/packets.js";

const source = `import { XdpContext, XDP, Ipv4Hdr, TcpHdr, htons, ntohs, htonl, ntohl, be16, be32, u16, u32,
  ipv4Checksum, csumReplace16, csumReplace32 } from "tsxdp";
interface Results { full: be16; after32: be16; after16: be16; host16: u16; host32: u32; ihl: u16; version: u16; doff: u16; syn: u16; ack: u16; }
interface Args { newAddr: be32; newPort: be16; pad: u16; }
// Layout: [0..20) an IPv4 header, [20..40) a TCP header, [40..48) Args, [48..) Results
export function routines(ctx: XdpContext): XDP {
  const ip = ctx.header<Ipv4Hdr>(0);
  const tcp = ctx.header<TcpHdr>(20);
  const args = ctx.header<Args>(40);
  const out = ctx.header<Results>(48);
  if (ip === null || tcp === null || args === null || out === null) return XDP.ABORTED;
  out.full = ipv4Checksum(ctx, 0);
  out.after32 = csumReplace32(ip.check, ip.daddr, args.newAddr);
  out.after16 = csumReplace16(tcp.check, tcp.dest, args.newPort);
  out.host16 = ntohs(tcp.dest);
  out.host32 = ntohl(ip.daddr);
  out.ihl = ip.ihl;
  out.version = ip.version;
  out.doff = tcp.doff;
  out.syn = tcp.syn;
  out.ack = tcp.ack;
  // Write bit fields back: the nibbles/bits must land where the wire format has them.
  tcp.fin = 1;
  tcp.doff = 6;
  ip.ihl = 6;
  return XDP.PASS;
}
// An IPv4 header of any IHL after a 14-byte Ethernet header: its checksum field recomputed.
export function optionsChecksum(ctx: XdpContext): XDP {
  const ip = ctx.header<Ipv4Hdr>(14);
  if (ip === null) return XDP.ABORTED;
  ip.check = ipv4Checksum(ctx, 14);
  return XDP.PASS;
}
`;

function onesComplementSum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}
const checksum = (bytes: Uint8Array) => ~onesComplementSum(bytes) & 0xffff;

function ipv4Header(saddr: number[], daddr: number[], ttl: number): Uint8Array {
  const h = new Uint8Array([0x45, 0x10, 0, 60, 0x12, 0x34, 0x40, 0, ttl, 6, 0, 0, ...saddr, ...daddr]);
  const c = checksum(h);
  h[10] = c >> 8;
  h[11] = c & 0xff;
  return h;
}

let loaded: Promise<LoadedProgram> | undefined;
let loadedOptions: Promise<LoadedProgram> | undefined;
async function build(program = "routines"): Promise<LoadedProgram> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-stdlib-"));
  fs.writeFileSync(path.join(dir, "routines.xdp.ts"), source);
  const result = await compile({ files: [path.join(dir, "routines.xdp.ts")], outDir: dir, noSkeleton: true });
  assert.equal(
    result.diagnostics.map((d) => formatDiagnostic(d)),
    [],
  );
  return loadProgram(result.objects[0]!.object, program);
}
test.after(async () => {
  (await loaded)?.unload();
  (await loadedOptions)?.unload();
});

const cases = [
  { saddr: [10, 0, 0, 1], daddr: [192, 168, 1, 20], ttl: 64, newAddr: [172, 16, 5, 9], dport: 443, newPort: 8443 },
  { saddr: [255, 255, 255, 255], daddr: [0, 0, 0, 0], ttl: 1, newAddr: [255, 255, 255, 254], dport: 0xffff, newPort: 0 },
  { saddr: [1, 2, 3, 4], daddr: [5, 6, 7, 8], ttl: 255, newAddr: [5, 6, 7, 8], dport: 80, newPort: 80 },
];

for (const [i, c] of cases.entries()) {
  test(`checksums, byte order and bit fields (case ${i})`, async () => {
    if (!requireKernel("BPF_PROG_TEST_RUN")) return;
    const program = await (loaded ??= build());
    const packet = new Uint8Array(48 + 24);
    const ip = ipv4Header(c.saddr, c.daddr, c.ttl);
    packet.set(ip, 0);
    // TCP: ports, seq, ack, doff=5 with SYN|ACK, window, checksum = some value, urg
    const tcp = new Uint8Array([
      0x30,
      0x39,
      c.dport >> 8,
      c.dport & 0xff,
      0,
      0,
      0,
      1,
      0,
      0,
      0,
      0,
      0x50,
      0x12,
      0xff,
      0xff,
      0xbe,
      0xef,
      0,
      0,
    ]);
    packet.set(tcp, 20);
    packet.set([...c.newAddr, c.newPort >> 8, c.newPort & 0xff], 40);
    const out = program.run(packet);
    assert.is(out.action, 2);
    const v = new DataView(out.packet.buffer, out.packet.byteOffset);
    const be = (o: number) => v.getUint16(o, false);

    const zeroed = ip.slice();
    zeroed[10] = zeroed[11] = 0;
    assert.is(be(48), checksum(zeroed), "ipv4Checksum");
    const rewritten = zeroed.slice();
    rewritten.set(c.newAddr, 16);
    assert.is(be(50), checksum(rewritten), "csumReplace32 equals a full recomputation");
    // RFC 1624 on the TCP checksum field when dest port changes: ~(~HC + ~m + m')
    let sum = (~0xbeef & 0xffff) + (~c.dport & 0xffff) + c.newPort;
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    assert.is(be(52), ~sum & 0xffff, "csumReplace16");
    assert.is(v.getUint16(54, true), c.dport, "ntohs");
    assert.is(v.getUint32(56, true), ((c.daddr[0]! << 24) | (c.daddr[1]! << 16) | (c.daddr[2]! << 8) | c.daddr[3]!) >>> 0, "ntohl");
    assert.equal(
      [v.getUint16(60, true), v.getUint16(62, true), v.getUint16(64, true), v.getUint16(66, true), v.getUint16(68, true)],
      [5, 4, 5, 1, 1],
      "ihl version doff syn ack",
    );
    assert.is(out.packet[0], 0x46, "ip.ihl = 6 keeps version 4 in the high nibble");
    assert.is(out.packet[32], 0x60, "tcp.doff = 6 in the high nibble of byte 12");
    assert.is(out.packet[33], 0x13, "tcp.fin = 1 keeps SYN|ACK");
  });
}

/** Ethernet + an IPv4 header of `ihl` words whose options are arbitrary bytes, check = 0xbeef. */
function headerWithOptions(ihl: number, seed: number): Uint8Array {
  const header = new Uint8Array(ihl * 4);
  header.set([0x40 | ihl, seed & 0xff, 0, ihl * 4, seed >> 8, seed & 0xff, 0, 0, 64, 17, 0xbe, 0xef, 10, 0, 0, seed & 0xff, 10, 0, 1, ihl]);
  let x = seed * 2654435761;
  for (let i = 20; i < header.length; i++) header[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  const frame = new Uint8Array(14 + header.length);
  frame.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0]);
  frame.set(header, 14);
  return frame;
}

for (let ihl = 5; ihl <= 15; ihl++) {
  test(`ipv4Checksum(ctx, offset) covers the options: IHL ${ihl}`, async () => {
    if (!requireKernel("BPF_PROG_TEST_RUN")) return;
    const program = await (loadedOptions ??= build("optionsChecksum"));
    for (const seed of [1, 0x7f31, 0xffff]) {
      const frame = headerWithOptions(ihl, seed);
      const zeroed = frame.slice(14);
      zeroed[10] = zeroed[11] = 0;
      const out = program.run(frame);
      assert.is(out.action, 2);
      assert.is((out.packet[24]! << 8) | out.packet[25]!, referenceChecksum(zeroed), `IHL ${ihl}, seed ${seed}`);
    }
  });
}

test("ipv4Checksum(ctx, offset) on a truncated header sums only the option words present", async () => {
  if (!requireKernel("BPF_PROG_TEST_RUN")) return;
  const program = await (loadedOptions ??= build("optionsChecksum"));
  const frame = headerWithOptions(15, 3).subarray(0, 14 + 28 + 3); // two whole words, one partial
  const present = frame.slice(14, 14 + 28);
  present[10] = present[11] = 0;
  const out = program.run(frame);
  assert.is((out.packet[24]! << 8) | out.packet[25]!, referenceChecksum(present));
});

test.run();
