// tsxdp maps shows values as the program declared them: enum fields by member name, fields
// marked `@display ipv4|mac` as addresses — from the object's maps and from pinned maps.
import { test } from "uvu";
import * as assert from "uvu/assert";
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { BpfObject } from "../../runtime/index.js";
import { buildPacket } from "../../runtime/packets/index.js";
import { requireKernel } from "../lib/kernel-env.js";
import { buildSource } from "../lib/build.js";
import { repoRoot } from "../lib/paths.js";

const source = `
import { XdpContext, XDP, HashMap, EthHdr, Ipv4Hdr, ETH_P_IP, htons, sizeof, be32, u32, u8, FixedArray } from "tsxdp";
export const enum Kind { Unknown = 0, Web = 1, Dns = 2 }
export interface Key {
  /** @display ipv4 */
  addr: be32;
  /** @display mac */
  mac: FixedArray<u8, 6>;
  plain: be32;
}
export interface Value { kind: Kind; packets: u32 }
export const seen = new HashMap<Key, Value>({ maxEntries: 16 });
export function classify(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null || eth.proto !== htons(ETH_P_IP)) return XDP.PASS;
  const ip = ctx.header<Ipv4Hdr>(sizeof<EthHdr>());
  if (ip === null) return XDP.PASS;
  const key: Key = { addr: ip.saddr, mac: eth.src, plain: ip.daddr };
  const value: Value = { kind: Kind.Dns, packets: 1 };
  seen.update(key, value, 0);
  return XDP.PASS;
}`;

test("tsxdp maps: enum members by name, declared addresses as addresses (object and pinned)", async () => {
  if (!requireKernel("BPF maps with BTF")) return;
  const { object } = await buildSource("display", source);
  const pins = `/sys/fs/bpf/tsxdp-display-${process.pid}`;
  try {
    await using obj = await (await BpfObject.open(object, { pinMaps: pins })).load();
    obj
      .program("classify")
      .run(
        buildPacket([
          { eth: { src: "02:aa:bb:cc:dd:ee" } },
          { ipv4: { src: "10.1.2.3", dst: "10.0.0.2" } },
          { udp: { sport: 1, dport: 53 } },
        ]),
      );
    const want = "  { addr: 10.1.2.3, mac: 02:aa:bb:cc:dd:ee, plain: 167772162 } => { kind: Dns (2), packets: 1 }";
    const fromObject = spawnSync(process.execPath, [path.join(repoRoot, "bin/tsxdp.js"), "maps", object], { encoding: "utf8" });
    assert.is(fromObject.status, 0, fromObject.stderr);
    assert.ok(fromObject.stdout.split("\n").includes(want), fromObject.stdout);
    const pinned = spawnSync(process.execPath, [path.join(repoRoot, "bin/tsxdp.js"), "maps", pins], { encoding: "utf8" });
    assert.is(pinned.status, 0, pinned.stderr);
    assert.ok(pinned.stdout.split("\n").includes(want), pinned.stdout);
  } finally {
    fs.rmSync(pins, { recursive: true, force: true });
  }
});

test.run();
