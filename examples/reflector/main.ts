// Reflect UDP datagrams back to their sender on an interface, for a while.
//   node main.js <ifname> <seconds>
import { Reflector } from "./reflector.skel.js";

const [ifname, seconds = "10"] = process.argv.slice(2);
if (!ifname) {
  console.error("usage: node main.js <ifname> <seconds>");
  process.exit(2);
}
await using reflector = await Reflector.load();
using link = reflector.programs.reflector.attach(ifname, { mode: "native" });
console.log(JSON.stringify({ attached: ifname, via: link.kind }));
await new Promise((resolve) => setTimeout(resolve, Number(seconds) * 1000));
