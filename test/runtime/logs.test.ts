// skel.logs end to end through the kernel: the async iterator, the load-time level, and a
// program that never logs paying nothing (no ring, no level variable, no format table).
import { test } from "uvu";
import * as assert from "uvu/assert";
import fs from "node:fs";
import { spawnSync } from "node:child_process";
import elfy from "elfy";
import { BpfObject, formatLogLine, type LogLine } from "../../runtime/index.js";
import { buildPacket } from "../../runtime/packets/index.js";
import { requireKernel } from "../lib/kernel-env.js";
import { buildSkeleton, buildSource } from "../lib/build.js";

const logging = `
import { XdpContext, XDP, log } from "tsxdp";
export function lengths(ctx: XdpContext): XDP {
  log.debug("debug {}", ctx.len);
  log.info("info {}", ctx.len);
  log.warn("warn {}", ctx.len);
  log.error("error {}", ctx.len);
  return XDP.PASS;
}`;
const silent = `
import { XdpContext, XDP } from "tsxdp";
export function lengths(ctx: XdpContext): XDP { return ctx.len > 100 ? XDP.DROP : XDP.PASS; }`;

const frame = () => buildPacket([{ eth: {} }, { payload: new Uint8Array(50) }]);

test("a program that never logs has no log ring, level variable or format table", async () => {
  const { object } = await buildSource("silent", silent);
  const sections = elfy.parse(fs.readFileSync(object)).body.sections.map((s) => s.name);
  assert.not.ok(
    sections.some((s) => s.includes("tsxdp")),
    sections.join(" "),
  );
  assert.not.ok(sections.includes(".rodata"));
  if (!requireKernel("BPF_PROG_LOAD")) return;
  await using obj = await (await BpfObject.open(object)).load();
  assert.equal(
    obj.mapSpecs.map((m) => m.name),
    [],
  );
  assert.equal(obj.variableNames, []);
  obj.program("lengths").run(frame());
  assert.equal(obj.logs.drain(), []);
  for await (const line of obj.logs) assert.unreachable(`a silent program logged ${JSON.stringify(line)}`);
});

test("skel.logs yields typed lines in order, with the program's timestamps", async () => {
  if (!requireKernel("BPF_PROG_TEST_RUN + ring buffer")) return;
  const { module } = await buildSkeleton("logging", logging);
  await using skel = await module.Logging.load();
  const before = process.hrtime.bigint();
  skel.programs.lengths.run(frame());
  const lines: LogLine[] = [];
  for await (const line of skel.logs as AsyncIterable<LogLine>) {
    lines.push(line);
    if (lines.length === 4) break;
  }
  assert.equal(lines.map(formatLogLine), [
    "[debug] lengths: debug 64",
    "[info] lengths: info 64",
    "[warn] lengths: warn 64",
    "[error] lengths: error 64",
  ]);
  assert.equal(lines[1]!.args, [64]);
  assert.ok(
    lines.every((l) => l.timestamp >= before && l.timestamp <= process.hrtime.bigint()),
    "timestamps are CLOCK_MONOTONIC, taken during the run",
  );
});

test("the minimum level is load-time configuration; 'off' silences everything", async () => {
  if (!requireKernel("BPF_PROG_TEST_RUN + ring buffer")) return;
  const { object } = await buildSource("levels", logging);
  for (const [level, want] of [
    ["warn", ["warn 64", "error 64"]],
    ["error", ["error 64"]],
    ["off", []],
  ] as const) {
    await using obj = await (await BpfObject.open(object, { logLevel: level })).load();
    obj.program("lengths").run(frame());
    assert.equal(
      obj.logs.drain().map((l) => l.message),
      want,
      level,
    );
  }
  const loaded = await (await BpfObject.open(object)).load();
  assert.throws(() => loaded.setLogLevel("error"), /set it before load/);
  loaded.close();
  const refused = await BpfObject.open(object, { logLevel: "verbose" as never }).then(
    () => undefined,
    (e: Error & { code?: string }) => e,
  );
  assert.match(refused?.message ?? "opened", /unknown log level 'verbose'/);
  assert.is(refused?.code, "EINVAL");
});

test("bpftool loads an object with logs without a word on stderr", async () => {
  if (!requireKernel("BPF_PROG_LOAD")) return;
  const { object } = await buildSource("bpftool-logs", logging);
  const pin = `/sys/fs/bpf/tsxdp-logs-${process.pid}`;
  try {
    const r = spawnSync("bpftool", ["prog", "loadall", object, pin], { encoding: "utf8" });
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stderr.trim(), "");
  } finally {
    fs.rmSync(pin, { recursive: true, force: true });
  }
});

test.run();
