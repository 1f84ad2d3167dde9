// @ts-check
// Loads the program, attaches it to an interface, and prints the verdict counters.
//   npm run build && sudo node src/main.js <ifname> [seconds] [port]
import { __CLASS__ } from "./__FILE__.skel.js";
import { XDP } from "tsxdp/runtime";

const [ifname, seconds = "10", port = "9"] = process.argv.slice(2);
if (!ifname) {
  console.error("usage: node src/main.js <ifname> [seconds] [port]");
  process.exit(2);
}

const program = await __CLASS__.open();
try {
  program.config.blockedPort = Number(port);
  await program.load();
  const link = program.programs.__PROGRAM__.attach(ifname);
  try {
    await new Promise((resolve) => setTimeout(resolve, Number(seconds) * 1000));
  } finally {
    link.detach();
  }
  const counts = Object.fromEntries([XDP.ABORTED, XDP.DROP, XDP.PASS].map((v) => [XDP[v], String(program.maps.verdicts.sum(v))]));
  console.log(JSON.stringify(counts));
} finally {
  program.close();
}
