// @ts-check
// Runs the program on packets (BPF_PROG_TEST_RUN: needs root) and checks verdicts and counters.
import { test } from "node:test";
import assert from "node:assert/strict";
import { __CLASS__ } from "../src/__FILE__.skel.js";
import { XDP } from "tsxdp/runtime";

/**
 * Ethernet + IPv4 + UDP to `port`, with `payload` bytes after the UDP header.
 * @param {number} port
 * @param {number} [payload]
 */
function udpPacket(port, payload = 8) {
  const packet = new Uint8Array(14 + 20 + 8 + payload);
  const view = new DataView(packet.buffer);
  view.setUint16(12, 0x0800);                 // EtherType IPv4
  packet[14] = 0x45;                          // version 4, 5 words of header
  view.setUint16(16, 20 + 8 + payload);       // total length
  packet[22] = 64;                            // TTL
  packet[23] = 17;                            // protocol UDP
  view.setUint16(14 + 20 + 2, port);          // destination port
  view.setUint16(14 + 20 + 4, 8 + payload);   // UDP length
  return packet;
}

test("drops UDP to the configured port, passes the rest, counts both", async () => {
  const program = await __CLASS__.open();
  try {
    program.config.blockedPort = 5353;
    await program.load();
    const run = (/** @type {Uint8Array} */ packet) => program.programs.__PROGRAM__.run(packet).action;
    assert.equal(run(udpPacket(5353)), XDP.DROP);
    assert.equal(run(udpPacket(53)), XDP.PASS);
    assert.equal(run(udpPacket(5353).slice(0, 24)), XDP.ABORTED, "the IPv4 header is cut short");
    assert.equal(program.maps.verdicts.sum(XDP.DROP), 1n);
    assert.equal(program.maps.verdicts.sum(XDP.PASS), 1n);
  } finally {
    program.close();
  }
});
