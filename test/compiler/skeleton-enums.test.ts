// A program's exported const enums are exported by its skeleton too: members by name and
// names by value, as a TypeScript enum gives them; unexported and string enums are not.
import { test } from "uvu";
import * as assert from "uvu/assert";
import fs from "node:fs";
import { buildSkeleton } from "../lib/build.js";

const source = `
import { XdpContext, XDP, ArrayMap, u32 } from "tsxdp";
export const enum Verdict { Allowed = 1, Blocked = 7, Watched }
const enum Internal { A = 3 }
export const seen = new ArrayMap<u32>({ maxEntries: 8 });
export function judge(ctx: XdpContext): XDP {
  const slot = seen.lookup(Verdict.Watched);
  if (slot !== null) slot.value = Internal.A;
  return XDP.PASS;
}`;

test("exported const enums reach the skeleton, both ways, typed", async () => {
  const { module, skeleton } = await buildSkeleton<Record<string, Record<string, unknown>>>("enums", source);
  const verdict = module.Verdict!;
  assert.equal([verdict.Allowed, verdict.Blocked, verdict.Watched], [1, 7, 8]);
  assert.equal([verdict[1], verdict[7], verdict[8]], ["Allowed", "Blocked", "Watched"]);
  assert.ok(Object.isFrozen(verdict));
  assert.is(module.Internal, undefined, "a const enum the program does not export stays inside");
  const dts = fs.readFileSync(skeleton.replace(/\.js$/, ".d.ts"), "utf8");
  assert.match(dts, /export declare enum Verdict \{\n  Allowed = 1,\n  Blocked = 7,\n  Watched = 8,\n\}/);
});

test.run();
