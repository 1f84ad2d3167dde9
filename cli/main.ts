// The `tsxdp` command line: argument parsing and the compiler's commands. The runtime's
// commands (runtime-commands.ts) are imported only when used, so build and check never
// load the native addon. Exit codes: 0 ok, 1 diagnostics (or a verifier rejection),
// 2 usage or environment error (e.g. LLVM missing), each with a one-line explanation.
import { parseArgs } from "node:util";
import fs from "node:fs";
import {
  compile,
  check,
  formatDiagnostic,
  Diagnostics,
  verifyObject,
  projectTypeScriptWarning,
  type FrontendSession,
  type PublicDiagnostic,
} from "../compiler/index.js";

const usage = `usage:
  tsxdp init [DIR] [--tsxdp SPEC]     write a new project in DIR (default: .): an XDP program, a Node script,
                                      a test, tsconfigs for the editor; SPEC: how it depends on tsxdp
                                      (default: file:<this tsxdp's folder>)
  tsxdp build <file.xdp.ts…> [-o DIR] [--emit-llvm] [--verify] [--no-skeleton] [--watch]
                                      compile to DIR/NAME.o and the typed skeleton DIR/NAME.skel.js (+ .d.ts)
  tsxdp check <file.xdp.ts…> [--watch]                           diagnostics only
                                      --watch: stay running, rebuild (recheck) what a saved change affects
  tsxdp run <obj|file.xdp.ts> --pcap IN [--out OUT] [--program NAME] [--repeat N] [--log-level LEVEL] [--vm]
                                      test-run every packet (BPF_PROG_TEST_RUN; --vm: in tsxdp's
                                      BPF VM, no kernel or root needed), print the verdicts
                                      and the log.* lines each packet produced
  tsxdp attach <obj|file.xdp.ts> --dev IFACE [--program NAME] [--mode native|generic|offload] [--pin DIR] [--replace]
                                      attach a program; --pin DIR keeps it (link in DIR/links/IFACE) with
                                      its maps in DIR/maps, shared by the programs attached with the same DIR;
                                      --replace takes the interface over from the program attached there
               [--follow [--count N] [--timeout S]]   then stream the programs' log.* lines
  tsxdp logs <obj|file.xdp.ts> [--dev IFACE | --prog-id ID] [--count N] [--timeout S]
                                      stream the log.* lines of that object, loaded in the kernel (by
                                      this process or another); with several loaded copies, the one
                                      attached to IFACE, or holding program ID (ids: bpftool prog)
  tsxdp trace [obj|file.xdp.ts] [--count N] [--timeout S]
                                      stream printk output from the trace pipe (mounting tracefs
                                      when needed); with an object, only its programs' lines
  tsxdp detach --dev IFACE [--mode …]
  tsxdp maps <obj|file.xdp.ts|pinned map or folder> [--max-entries N]
                                      dump typed map contents: an object's live kernel maps
                                      (found by name, type and sizes), or maps pinned on bpffs
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "build") return build(rest);
  if (command === "check") return checkCommand(rest);
  if (command === "init") return initCommand(rest);
  if (["run", "attach", "detach", "maps", "logs", "trace"].includes(command ?? "")) return runtimeCommand(command!, rest);
  if (command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(usage);
    return 0;
  }
  process.stderr.write(command ? `tsxdp: unknown command '${command}'\n${usage}` : usage);
  return 2;
}

function parse(args: string[], withBuildOptions: boolean) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: withBuildOptions
      ? {
          out: { type: "string", short: "o" },
          "emit-llvm": { type: "boolean" },
          verify: { type: "boolean" },
          "no-skeleton": { type: "boolean" },
          watch: { type: "boolean" },
        }
      : { watch: { type: "boolean" } },
  });
}

function missingFiles(files: string[]): string | undefined {
  if (!files.length) return "no input files";
  const missing = files.find((f) => !fs.existsSync(f));
  return missing ? `cannot read '${missing}': no such file` : undefined;
}

function printDiagnostics(diagnostics: PublicDiagnostic[]): void {
  for (const d of diagnostics) process.stderr.write(formatDiagnostic(d) + "\n");
  if (diagnostics.length) process.stderr.write(`\nFound ${diagnostics.length} error${diagnostics.length === 1 ? "" : "s"}.\n`);
}

/** Said once per run, before the diagnostics: the project's own TypeScript is one tsxdp does not support. */
function warnAboutProjectTypeScript(): void {
  const warning = projectTypeScriptWarning(process.cwd());
  if (warning) process.stderr.write(formatDiagnostic(warning) + "\n");
}

function environmentError(diagnostics: PublicDiagnostic[]): boolean {
  return diagnostics.some((d) => d.prefix === "TSX" && d.code === Diagnostics.LlvmNotFound.code);
}

async function build(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parse(args, true);
  } catch (error) {
    process.stderr.write(`tsxdp build: ${(error as Error).message}\n${usage}`);
    return 2;
  }
  const files = parsed.positionals;
  const problem = missingFiles(files);
  if (problem) {
    process.stderr.write(`tsxdp build: ${problem}\n${usage}`);
    return 2;
  }
  warnAboutProjectTypeScript();
  const values = parsed.values as { out?: string; "emit-llvm"?: boolean; "no-skeleton"?: boolean; verify?: boolean; watch?: boolean };
  const once = (roots: readonly string[], session?: FrontendSession) => buildOnce(roots, values, session);
  if (values.watch) return watchUntilInterrupted(files, once);
  return once(files);
}

async function buildOnce(
  files: readonly string[],
  values: { out?: string; "emit-llvm"?: boolean; "no-skeleton"?: boolean; verify?: boolean },
  session?: FrontendSession,
): Promise<number> {
  const result = await compile({ files, outDir: values.out, emitLlvm: values["emit-llvm"], noSkeleton: values["no-skeleton"], session });
  // An output folder that cannot be written, or two inputs that would overwrite each
  // other, is a usage error: one line, exit 2.
  const outputProblem = result.diagnostics.find(
    (d) => d.prefix === "TSX" && (d.code === Diagnostics.OutputNotWritable.code || d.code === Diagnostics.OutputNameClash.code),
  );
  if (outputProblem) {
    process.stderr.write(`tsxdp build: ${outputProblem.message}\n`);
    return 2;
  }
  printDiagnostics(result.diagnostics);
  if (environmentError(result.diagnostics)) return 2;
  if (result.diagnostics.length) return 1;
  let failed = false;
  for (const o of result.objects) {
    process.stdout.write(
      `${o.object}: ${o.programs.length} program${o.programs.length === 1 ? "" : "s"} (${o.programs.join(", ")}), ${o.maps.length} map${o.maps.length === 1 ? "" : "s"}\n`,
    );
    if (values.verify) {
      const outcome = verifyObject(o);
      if (!outcome.ok) {
        failed = true;
        process.stderr.write(outcome.report + "\n");
      } else {
        process.stdout.write(`${o.object}: verified by the kernel (${outcome.report})\n`);
      }
    }
  }
  return failed ? 1 : 0;
}

/** --watch: rebuilds on change until SIGINT/SIGTERM (exit 0); diagnostics never end it. */
async function watchUntilInterrupted(
  files: readonly string[],
  once: (roots: readonly string[], session?: FrontendSession) => Promise<number>,
): Promise<number> {
  const { watch } = await import("./watch.js");
  const stop = new AbortController();
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => stop.abort());
  await watch({
    roots: files,
    run: async (roots, session) => void (await once(roots, session)),
    print: (line) => process.stdout.write(line + "\n"),
    signal: stop.signal,
  });
  return 0;
}

async function checkCommand(args: string[]): Promise<number> {
  let files: string[];
  let watching: boolean | undefined;
  try {
    const parsed = parse(args, false);
    files = parsed.positionals;
    watching = parsed.values.watch as boolean | undefined;
  } catch (error) {
    process.stderr.write(`tsxdp check: ${(error as Error).message}\n${usage}`);
    return 2;
  }
  const problem = missingFiles(files);
  if (problem) {
    process.stderr.write(`tsxdp check: ${problem}\n${usage}`);
    return 2;
  }
  warnAboutProjectTypeScript();
  const once = async (roots: readonly string[], session?: FrontendSession) => {
    const result = await check({ files: roots, session });
    printDiagnostics(result.diagnostics);
    return result.diagnostics.length ? 1 : 0;
  };
  return watching ? watchUntilInterrupted(files, once) : once(files);
}

/** Commands that use the runtime (and its native addon), loaded only when needed. */
async function runtimeCommand(command: string, args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        pcap: { type: "string" },
        out: { type: "string" },
        program: { type: "string" },
        repeat: { type: "string" },
        dev: { type: "string" },
        mode: { type: "string" },
        pin: { type: "string" },
        replace: { type: "boolean" },
        "max-entries": { type: "string" },
        "prog-id": { type: "string" },
        follow: { type: "boolean" },
        count: { type: "string" },
        timeout: { type: "string" },
        "log-level": { type: "string" },
        vm: { type: "boolean" },
      },
    });
  } catch (error) {
    process.stderr.write(`tsxdp ${command}: ${(error as Error).message}\n${usage}`);
    return 2;
  }
  const v = parsed.values as Record<string, string | undefined>;
  const vm = (parsed.values as { vm?: boolean }).vm === true;
  if (vm && command !== "run") {
    process.stderr.write(`tsxdp ${command}: --vm is for tsxdp run (the VM runs programs in this process; ${command} needs the kernel)\n`);
    return 2;
  }
  const replace = (parsed.values as { replace?: boolean }).replace;
  const maxEntries = v["max-entries"] === undefined ? undefined : Number(v["max-entries"]);
  if (maxEntries !== undefined && !(Number.isInteger(maxEntries) && maxEntries >= 0)) {
    process.stderr.write(`tsxdp ${command}: --max-entries takes a whole number, not '${v["max-entries"]}'\n${usage}`);
    return 2;
  }
  const progId = v["prog-id"] === undefined ? undefined : Number(v["prog-id"]);
  if (progId !== undefined && !(Number.isInteger(progId) && progId > 0)) {
    process.stderr.write(
      `tsxdp ${command}: --prog-id takes a program id (a whole number, as bpftool prog lists them), not '${v["prog-id"]}'\n${usage}`,
    );
    return 2;
  }
  if (progId !== undefined && v.dev !== undefined && command === "logs") {
    process.stderr.write(`tsxdp logs: give --dev or --prog-id, not both\n${usage}`);
    return 2;
  }
  // A .xdp.ts target is compiled into a temporary folder, removed when the command ends.
  const temporary: string[] = [];
  const streaming = {
    count: v.count === undefined ? undefined : Number(v.count),
    timeoutMs: v.timeout === undefined ? undefined : Number(v.timeout) * 1000,
    write: (line: string) => process.stdout.write(line + "\n"),
    note: (line: string) => process.stderr.write(`tsxdp ${command}: ${line}\n`),
  };
  const [target] = parsed.positionals;
  const need = (what: string, value: string | undefined): value is string => {
    if (value) return true;
    process.stderr.write(`tsxdp ${command}: missing ${what}\n${usage}`);
    return false;
  };
  try {
    const commands = await import("./runtime-commands.js");
    let lines: string[];
    if (command === "trace") {
      const object = target === undefined ? undefined : await objectFor(target, temporary);
      if (target !== undefined && object === undefined) return 1;
      await (await import("./log-commands.js")).followTrace(object, streaming);
      return 0;
    }
    if (command === "logs") {
      if (!need("an object or .xdp.ts file", target)) return 2;
      const object = await objectFor(target, temporary);
      if (object === undefined) return 1;
      await (await import("./log-commands.js")).followLogs(object, { ...streaming, dev: v.dev, progId });
      return 0;
    }
    if (command === "detach") {
      if (!need("--dev IFACE", v.dev)) return 2;
      lines = commands.detachDevice({ dev: v.dev, mode: v.mode as never });
    } else if (command === "maps") {
      if (!need("an object, a .xdp.ts file or a pinned map path", target)) return 2;
      if (commands.isObjectTarget(target)) {
        const object = await objectFor(target, temporary);
        if (object === undefined) return 1;
        lines = await commands.dumpObjectMaps(object, { maxEntries });
      } else {
        lines = commands.dumpPinnedMaps(target, { maxEntries });
      }
    } else {
      if (!need("an object or .xdp.ts file", target)) return 2;
      const object = await objectFor(target, temporary);
      if (object === undefined) return 1;
      if (command === "run") {
        if (!need("--pcap FILE", v.pcap)) return 2;
        lines = await commands.runPcap({
          object,
          program: v.program,
          pcapIn: v.pcap,
          pcapOut: v.out,
          repeat: v.repeat ? Number(v.repeat) : undefined,
          logLevel: v["log-level"] as never,
          backend: vm ? "vm" : "kernel",
        });
      } else {
        if (!need("--dev IFACE", v.dev)) return 2;
        lines = await commands.attachObject({ object, program: v.program, dev: v.dev, mode: v.mode as never, pin: v.pin, replace });
        if (v.follow) {
          process.stdout.write(lines.join("\n") + "\n");
          // The copy just attached to --dev, not another loaded copy of the object.
          await (await import("./log-commands.js")).followLogs(object, { ...streaming, dev: v.dev });
          return 0;
        }
      }
    }
    process.stdout.write(lines.join("\n") + "\n");
    return 0;
  } catch (error) {
    const e = error as Error & { code?: string; log?: string };
    process.stderr.write(`tsxdp ${command}: ${e.message}${e.code ? ` (${e.code})` : ""}\n${e.log ? e.log + "\n" : ""}`);
    return e.code === "ENOADDON" ? 2 : 1;
  } finally {
    for (const dir of temporary) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** An object path: compiled first when given a .xdp.ts file (into a folder added to `temporary`). */
async function objectFor(target: string, temporary: string[]): Promise<string | undefined> {
  if (!target.endsWith(".ts")) return target;
  const out = fs.mkdtempSync(`${(await import("node:os")).tmpdir()}/tsxdp-cli-`);
  temporary.push(out);
  const result = await compile({ files: [target], outDir: out, noSkeleton: true });
  printDiagnostics(result.diagnostics);
  return result.diagnostics.length ? undefined : result.objects[0]?.object;
}

async function initCommand(args: string[]): Promise<number> {
  try {
    const parsed = parseArgs({ args, allowPositionals: true, options: { tsxdp: { type: "string" } } });
    if (parsed.positionals.length > 1) throw new Error("init takes one folder");
    const { initProject } = await import("./init.js");
    const lines = initProject({ dir: parsed.positionals[0] ?? ".", tsxdp: parsed.values.tsxdp });
    process.stdout.write(lines.join("\n") + "\n");
    return 0;
  } catch (error) {
    process.stderr.write(`tsxdp init: ${(error as Error).message}\n${usage}`);
    return 2;
  }
}
