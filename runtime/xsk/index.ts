export { XskSocket, busyPollSettings, type XskOptions, type XskStats, type XskBatch, type XskBusyPoll } from "./socket.js";
export { liveFrames, type LiveFramesOptions } from "./traffic.js";
export { FrameAllocator } from "./frames.js";
export { bindAttempts, fallsBackToCopy, type XskMode } from "./mode.js";
