// `tsxdp init [DIR]`: writes a project that works once `npm install` finishes, from the
// template in templates/project (shipped in the package). The layout is what editors need:
// a solution-style tsconfig.json whose references give src/*.xdp.ts the XDP configuration
// (noLib, the tsxdp plugin) and the Node scripts the Node one — tsserver opens the nearest
// tsconfig.json and follows its references. The project pins the TypeScript tsxdp is built
// on, and depends on this tsxdp (see dependencySpec).
import fs from "node:fs";
import path from "node:path";
import ts from "#typescript";
import { packageRoot, skeletonClassName } from "../compiler/index.js";

export interface InitOptions {
  readonly dir: string;
  /** How the project depends on tsxdp (an npm spec); default: see dependencySpec. */
  readonly tsxdp?: string;
}

const templateDir = path.join(packageRoot, "templates", "project");
/** npm strips .gitignore from packages, so the template's is stored under another name. */
const renamed: Readonly<Record<string, string>> = { gitignore: ".gitignore" };

/** Returns the lines to print; throws an Error with a usage message when DIR cannot be used. */
export function initProject(options: InitOptions): string[] {
  const dir = path.resolve(options.dir);
  if (fs.existsSync(dir) && (!fs.statSync(dir).isDirectory() || fs.readdirSync(dir).length > 0)) {
    throw new Error(`'${options.dir}' exists and is not an empty folder: init writes a new project`);
  }
  const file =
    path
      .basename(dir)
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "") || "program";
  const className = skeletonClassName(`${file}.xdp.ts`);
  const spec = dependencySpec(options.tsxdp);
  const own = JSON.parse(fs.readFileSync(path.join(packageRoot, "package.json"), "utf8")) as { devDependencies?: Record<string, string> };
  const values: Record<string, string> = {
    __PACKAGE__: file,
    __FILE__: file,
    __CLASS__: className,
    __PROGRAM__: className[0]!.toLowerCase() + className.slice(1),
    __TSXDP__: spec.spec,
    __TYPESCRIPT__: ts.version,
    __TYPES_NODE__: own.devDependencies?.["@types/node"] ?? "^20",
  };
  const fill = (text: string) => text.replace(/__[A-Z_]+__/g, (key) => values[key] ?? key);
  const written: string[] = [];
  const copy = (from: string, to: string) => {
    for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
      const target = path.join(to, fill(renamed[entry.name] ?? entry.name));
      if (entry.isDirectory()) {
        fs.mkdirSync(target, { recursive: true });
        copy(path.join(from, entry.name), target);
      } else {
        fs.writeFileSync(target, fill(fs.readFileSync(path.join(from, entry.name), "utf8")));
        written.push(path.relative(dir, target));
      }
    }
  };
  fs.mkdirSync(dir, { recursive: true });
  copy(templateDir, dir);
  return [
    `created ${options.dir}: ${written.sort().join(", ")}`,
    `tsxdp dependency: "${spec.spec}"${spec.note ? ` (${spec.note})` : ""}`,
    `next: cd ${options.dir} && npm install && npm test   (npm test runs the program in the kernel: as root)`,
  ];
}

/**
 * tsxdp is not on the npm registry, so by default the project depends on the tsxdp that ran
 * init, by its folder (a checkout or an unpacked package; npm links it). Run from npx's
 * cache that folder is temporary: the project then needs `--tsxdp` (a tarball path, a git
 * URL or a registry version).
 */
function dependencySpec(given: string | undefined): { spec: string; note?: string } {
  if (given) return { spec: given };
  if (packageRoot.split(path.sep).includes("_npx")) {
    return {
      spec: "^0.1.0",
      note: "tsxdp ran from npx's cache: pass --tsxdp with the tarball or folder you installed it from, e.g. --tsxdp file:/path/to/tsxdp-0.1.0.tgz",
    };
  }
  return { spec: `file:${packageRoot}`, note: "the tsxdp that ran init; --tsxdp SPEC picks another (a tarball, a folder, a git URL)" };
}
