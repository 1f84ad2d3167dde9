// A tsserver process driven over its protocol, as an editor drives it: requests are JSON
// lines on stdin, responses and events come back as `Content-Length`-framed JSON on stdout.
// Used by the editor tests and the latency benchmark (it is the real server, not a mock).
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { initProject } from "../../cli/init.js";

export interface Location {
  line: number;
  offset: number;
}
export interface ProtocolDiagnostic {
  start: Location;
  end: Location;
  text: string;
  code: number;
  category: string;
  source?: string;
}
export interface ProtocolTextChange {
  start: Location;
  end: Location;
  newText: string;
}
export interface ProtocolCodeFix {
  fixName: string;
  description: string;
  changes: { fileName: string; textChanges: ProtocolTextChange[] }[];
}

export class TsServer {
  private readonly child: ChildProcessWithoutNullStreams;
  private buffered = Buffer.alloc(0);
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (body: any) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();
  private exited = false;
  stderr = "";

  /** `tsserverPath`: the project's node_modules/typescript/lib/tsserver.js (VS Code's "workspace version"). */
  constructor(tsserverPath: string, cwd: string, nodeOptions: string[] = []) {
    this.child = spawn(process.execPath, [...nodeOptions, tsserverPath, "--disableAutomaticTypingAcquisition"], {
      cwd,
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.child.stdout.on("data", (chunk: Buffer) => this.receive(chunk));
    this.child.stderr.on("data", (chunk: Buffer) => (this.stderr += chunk.toString("utf8")));
    this.child.on("exit", () => {
      this.exited = true;
      for (const [, waiting] of this.pending) waiting.reject(new Error(`tsserver exited\n${this.stderr}`));
      this.pending.clear();
    });
  }

  /** A request that gets a response; rejects on failure or after `timeoutMs`. */
  request<T = any>(command: string, args: object, timeoutMs = 60_000): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`tsserver exited\n${this.stderr}`));
    const seq = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        reject(new Error(`tsserver: no response to ${command} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(seq, { resolve, reject, timer });
      this.child.stdin.write(JSON.stringify({ seq, type: "request", command, arguments: args }) + "\n");
    });
  }

  /** A request without a response (open, close, change). */
  notify(command: string, args: object): void {
    this.child.stdin.write(JSON.stringify({ seq: ++this.seq, type: "request", command, arguments: args }) + "\n");
  }

  open(file: string, projectRootPath: string): void {
    this.notify("open", { file, projectRootPath });
  }

  semanticDiagnostics(file: string): Promise<ProtocolDiagnostic[]> {
    return this.request("semanticDiagnosticsSync", { file, includeLinePosition: false });
  }

  /**
   * Applies edits given against the current text. tsserver applies a file's changes last to
   * first, so they are sent in document order and each position stays valid.
   */
  async edit(file: string, changes: readonly ProtocolTextChange[]): Promise<void> {
    const ordered = [...changes].sort((a, b) => a.start.line - b.start.line || a.start.offset - b.start.offset);
    await this.request("updateOpen", { changedFiles: [{ fileName: file, textChanges: ordered }] });
  }

  close(): void {
    if (!this.exited) this.child.kill();
  }

  get pid(): number {
    return this.child.pid!;
  }

  private receive(chunk: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    for (;;) {
      const headerEnd = this.buffered.indexOf("\r\n\r\n");
      if (headerEnd < 0) return;
      const length = Number(/Content-Length: (\d+)/.exec(this.buffered.subarray(0, headerEnd).toString("utf8"))?.[1]);
      const bodyStart = headerEnd + 4;
      if (this.buffered.length < bodyStart + length) return;
      const message = JSON.parse(this.buffered.subarray(bodyStart, bodyStart + length).toString("utf8"));
      this.buffered = this.buffered.subarray(bodyStart + length);
      if (message.type !== "response") continue;
      const waiting = this.pending.get(message.request_seq);
      if (!waiting) continue;
      this.pending.delete(message.request_seq);
      clearTimeout(waiting.timer);
      if (message.success) waiting.resolve(message.body);
      else waiting.reject(new Error(`tsserver: ${message.command} failed: ${message.message}`));
    }
  }
}

/**
 * A project as `tsxdp init` writes it, with the checkout at `repoRoot` linked in as its tsxdp
 * and a copy of the checkout's TypeScript (a copy, not a link: tsserver looks for plugins
 * beside its own real path, as with an installed TypeScript). Returns the project folder;
 * remove its parent when done.
 */
export function linkedProject(repoRoot: string): string {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-linked-")), "app");
  initProject({ dir, tsxdp: `file:${repoRoot}` });
  fs.mkdirSync(path.join(dir, "node_modules"));
  fs.symlinkSync(repoRoot, path.join(dir, "node_modules", "tsxdp"));
  fs.cpSync(path.join(repoRoot, "node_modules", "typescript"), path.join(dir, "node_modules", "typescript"), { recursive: true });
  return dir;
}
