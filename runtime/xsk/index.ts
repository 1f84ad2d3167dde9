export { XskSocket, type XskOptions, type XskStats, type XskBatch } from "./socket.js";
export { liveFrames, type LiveFramesOptions } from "./traffic.js";
export { FrameAllocator } from "./frames.js";
