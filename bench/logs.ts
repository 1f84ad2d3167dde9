// The cost of a log call: the same parse with and without one log.info, test-run in the
// same process, rounds alternating. The ring holds ~6,500 of these records, so each round
// runs 4,000 packets and then drains it: every call measured really writes its record.
// A third program object has the level raised above info: what a disabled call costs.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { BpfObject } from "../runtime/index.js";
import { buildPacket } from "../runtime/packets/index.js";
import { compile } from "../compiler/index.js";

const source = (withLog: boolean) => `
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, ETH_P_IP, IPPROTO_UDP, htons, ntohs, sizeof, log } from "tsxdp";
export function parse(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null || eth.proto !== htons(ETH_P_IP)) return XDP.PASS;
  const ip = ctx.header<Ipv4Hdr>(sizeof<EthHdr>());
  if (ip === null || ip.protocol !== IPPROTO_UDP) return XDP.PASS;
  const udp = ctx.header<UdpHdr>(sizeof<EthHdr>() + sizeof<Ipv4Hdr>());
  if (udp === null) return XDP.PASS;
  ${withLog ? 'log.info("{:ipv4}:{} -> {:ipv4}:{} len {}", ip.saddr, ntohs(udp.source), ip.daddr, ntohs(udp.dest), ntohs(udp.len));' : ""}
  return ntohs(udp.dest) === 9 ? XDP.DROP : XDP.PASS;
}`;

async function objectFor(name: string, withLog: boolean, dir: string): Promise<string> {
  const file = path.join(dir, `${name}.xdp.ts`);
  fs.writeFileSync(file, source(withLog));
  const result = await compile({ files: [file], outDir: dir, noSkeleton: true });
  if (result.diagnostics.length) throw new Error(result.diagnostics.map((d) => d.message).join("\n"));
  return result.objects[0]!.object;
}

export async function runLogBench(rounds = 40, repeat = 4000): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-bench-logs-"));
  try {
    const plainObject = await objectFor("plain", false, dir);
    const loggedObject = await objectFor("logged", true, dir);
    await using plain = await (await BpfObject.open(plainObject)).load();
    await using logged = await (await BpfObject.open(loggedObject)).load();
    await using disabled = await (await BpfObject.open(loggedObject, { logLevel: "warn" })).load();
    const packet = buildPacket([
      { eth: {} },
      { ipv4: { src: "10.0.0.1", dst: "10.0.0.2" } },
      { udp: { sport: 1234, dport: 53 } },
      { payload: new Uint8Array(18) },
    ]);
    const samples = { plain: [] as number[], logged: [] as number[], disabled: [] as number[] };
    let records = 0;
    for (let round = 0; round < rounds; round++) {
      samples.plain.push(plain.program("parse").run(packet, { repeat }).durationNs);
      samples.logged.push(logged.program("parse").run(packet, { repeat }).durationNs);
      samples.disabled.push(disabled.program("parse").run(packet, { repeat }).durationNs);
      const lines = logged.logs.drain(repeat + 1);
      records += lines.length;
      if (round === 0 && lines[0]?.message !== "10.0.0.1:1234 -> 10.0.0.2:53 len 26")
        throw new Error(`unexpected log line: ${lines[0]?.message}`);
    }
    if (disabled.logs.drain().length) throw new Error("a disabled level wrote records");
    if (records !== rounds * repeat)
      throw new Error(`${records} records for ${rounds * repeat} calls: the ring overflowed, the measure would include dropped calls`);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const [p, l, d] = [mean(samples.plain), mean(samples.logged), mean(samples.disabled)];
    return [
      `parse UDP, no log:                  ${p.toFixed(1)} ns/packet`,
      `  + log.info with 5 arguments:      ${l.toFixed(1)} ns/packet → ${(l - p).toFixed(1)} ns per log call (${records} records written and read)`,
      `  + the same call, level "warn":    ${d.toFixed(1)} ns/packet → ${(d - p).toFixed(1)} ns per disabled call`,
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
