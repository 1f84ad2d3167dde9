// C layouts of the stdlib headers must match the kernel's structs byte for byte.
import { test } from "uvu";
import * as assert from "uvu/assert";
import ts from "typescript";
import { parseAndCheck, stdlibIndex } from "../../compiler/frontend.js";
import { Layouts } from "../../compiler/layout.js";
import type { StructLayout } from "../../compiler/types.js";

const front = parseAndCheck([stdlibIndex]);
const stdlib = front.program.getSourceFile(stdlibIndex)!;
const layouts = new Layouts(front.checker, (d) => assert.unreachable(d.message));

function layout(name: string): StructLayout {
  const decl = stdlib.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === name)!;
  const l = layouts.layoutOf(front.checker.getTypeAtLocation(decl), decl);
  assert.ok(l && l.kind === "struct", `${name} has a layout`);
  return l as StructLayout;
}
const offsets = (l: StructLayout) =>
  Object.fromEntries(l.fields.map((f) => [f.name, f.bitField ? `${f.offset}:${f.bitField.bitOffset}/${f.bitField.bits}` : f.offset]));

test("sizes match <linux/*.h>", () => {
  const sizes: Record<string, number> = {
    EthHdr: 14,
    VlanHdr: 4,
    ArpHdr: 8,
    Ipv4Hdr: 20,
    Ipv6Hdr: 40,
    UdpHdr: 8,
    TcpHdr: 20,
    IcmpHdr: 8,
    Icmp6Hdr: 8,
    FibLookup: 64,
  };
  for (const [name, size] of Object.entries(sizes)) assert.is(layout(name).size, size, name);
});

test("IPv4: bit fields LSB first, addresses at 12 and 16", () => {
  assert.equal(offsets(layout("Ipv4Hdr")), {
    ihl: "0:0/4",
    version: "0:4/4",
    tos: 1,
    totLen: 2,
    id: 4,
    fragOff: 6,
    ttl: 8,
    protocol: 9,
    check: 10,
    saddr: 12,
    daddr: 16,
  });
});

test("TCP: doff in the high nibble of byte 12, flags in byte 13", () => {
  const o = offsets(layout("TcpHdr"));
  assert.is(o.doff, "12:4/4");
  assert.is(o.fin, "12:8/1");
  assert.is(o.cwr, "12:15/1");
  assert.is(o.window, 14);
  assert.is(o.urgPtr, 18);
});

test("IPv6 and fib lookup offsets", () => {
  const v6 = offsets(layout("Ipv6Hdr"));
  assert.equal([v6.payloadLen, v6.nexthdr, v6.hopLimit, v6.saddr, v6.daddr], [4, 6, 7, 8, 24]);
  const fib = offsets(layout("FibLookup"));
  assert.equal([fib.ifindex, fib.ipv4Src, fib.ipv4Dst, fib.smac, fib.dmac], [8, 16, 32, 52, 58]);
});

test.run();
