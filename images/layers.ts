/**
 * What each layer holds, as tar entries read from this machine: the system files every image
 * shares, the Node runtime (the machine's node and exactly the libraries ldd lists for it), and
 * the production packages an app keeps external, resolved with Node's own lookup rules.
 */
import { execFile } from "node:child_process";
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { promisify } from "node:util";
import { imageUser } from "./spec.ts";
import type { TarEntry } from "./tar.ts";

const run = promisify(execFile);
const encoder = new TextEncoder();

/** Where the machine's CA bundle is copied from (and to), when it exists. */
export const caBundle = "/etc/ssl/certs/ca-certificates.crt";

/** /etc/passwd, /etc/group, /tmp (1777) and the CA bundle: the files every image carries. */
export function systemEntries(): TarEntry[] {
  const { uid, gid } = imageUser;
  const passwd = `root:x:0:0:root:/root:/usr/sbin/nologin\nhyperhash:x:${uid}:${gid}:hyperhash:/tmp:/usr/sbin/nologin\n`;
  const group = `root:x:0:\nhyperhash:x:${gid}:\n`;
  const entries: TarEntry[] = [
    { type: "file", path: "etc/passwd", mode: 0o644, data: encoder.encode(passwd) },
    { type: "file", path: "etc/group", mode: 0o644, data: encoder.encode(group) },
    { type: "dir", path: "tmp", mode: 0o1777 },
  ];
  if (existsSync(caBundle)) {
    entries.push({ type: "file", path: caBundle.slice(1), mode: 0o644, data: readFileSync(caBundle) });
  }
  return entries;
}

/** The shared libraries (and the dynamic loader) ldd lists for `file`; vdso has no file. */
export async function sharedLibraries(file: string): Promise<string[]> {
  const { stdout } = await run("ldd", [file]).catch((error: { stdout?: string; message: string }) => {
    // ldd exits 1 for a static executable ("not a dynamic executable").
    if (/not a dynamic executable|statically linked/.test(`${error.stdout ?? ""}${error.message}`)) {
      return { stdout: "" };
    }
    throw error;
  });
  const libraries: string[] = [];
  for (const line of stdout.split("\n")) {
    if (line.includes("not found")) throw new Error(`${file}: ${line.trim()}`);
    const match = line.match(/=>\s+(\/\S+)/) ?? line.match(/^\s*(\/\S+)\s+\(/);
    if (match?.[1]) libraries.push(match[1]);
  }
  return [...new Set(libraries)].sort();
}

function executableMode(path: string): number {
  return lstatSync(path).mode & 0o111 ? 0o755 : 0o644;
}

/** A host file copied to `path` in the image, symlinks followed (the layer holds the bytes). */
export function hostFile(host: string, path: string): TarEntry {
  const real = realpathSync(host);
  return {
    type: "file",
    path: path.replace(/^\/+/, ""),
    mode: executableMode(real),
    data: readFileSync(real),
  };
}

/** The Node runtime: `node` as /usr/local/bin/node plus its libraries at the paths ldd gives. */
export async function nodeRuntimeEntries(nodeBinary: string): Promise<TarEntry[]> {
  const libraries = await sharedLibraries(nodeBinary);
  return [hostFile(nodeBinary, "usr/local/bin/node"), ...libraries.map((lib) => hostFile(lib, lib))];
}

/** One package copied into the image's /app/node_modules. */
export interface PackageCopy {
  name: string;
  version: string;
  /** Its directory on this machine (real path). */
  from: string;
  /** Its place under /app, e.g. `node_modules/lightning/node_modules/bn.js`. */
  to: string;
}

interface PackageJson {
  name?: string;
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

function readPackageJson(dir: string): PackageJson {
  return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as PackageJson;
}

/** Node's lookup: `<dir>/node_modules/<name>` from `fromDir` up to the repository root. */
function resolvePackageDir(name: string, fromDir: string, root: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return realpathSync(candidate);
    if (dir === root || dirname(dir) === dir) return undefined;
  }
}

/**
 * The packages `externals` need at run time, found from `fromDir` as Node would find them, with
 * their dependency closure (dependencies, optional and peer dependencies that are installed),
 * each placed where Node in the image finds it from /app. Workspace packages must be bundled.
 */
export function externalClosure(externals: readonly string[], fromDir: string, root: string): PackageCopy[] {
  const byDir = new Map<string, PackageCopy>();
  const byTarget = new Map<string, string>();
  const queue: { name: string; from: string; required: boolean }[] = externals.map((name) => ({
    name,
    from: fromDir,
    required: true,
  }));
  for (let item = queue.shift(); item; item = queue.shift()) {
    const dir = resolvePackageDir(item.name, item.from, root);
    if (!dir) {
      if (item.required) throw new Error(`${item.name} is not installed (from ${item.from}); run npm ci`);
      continue;
    }
    if (byDir.has(dir)) continue;
    const rel = relative(root, dir).split(sep).join("/");
    const at = rel.indexOf("node_modules/");
    if (at < 0 || rel.startsWith("..")) {
      throw new Error(`${item.name} resolves to ${rel}, outside node_modules: bundle it instead`);
    }
    const to = rel.slice(at);
    const other = byTarget.get(to);
    if (other && other !== dir) throw new Error(`${to} is needed from both ${other} and ${dir}`);
    const pkg = readPackageJson(dir);
    byDir.set(dir, { name: item.name, version: pkg.version ?? "0.0.0", from: dir, to });
    byTarget.set(to, dir);
    const optionalPeers = pkg.peerDependenciesMeta ?? {};
    for (const name of Object.keys(pkg.dependencies ?? {})) queue.push({ name, from: dir, required: true });
    for (const name of Object.keys(pkg.optionalDependencies ?? {})) {
      queue.push({ name, from: dir, required: false });
    }
    for (const name of Object.keys(pkg.peerDependencies ?? {})) {
      queue.push({ name, from: dir, required: !optionalPeers[name]?.optional });
    }
  }
  return [...byDir.values()].sort((a, b) => (a.to < b.to ? -1 : 1));
}

/**
 * Build leftovers a package does not load at run time, by package: better-sqlite3's SQLite
 * sources and object files (its loaded addon is build/Release/better_sqlite3.node).
 */
export const buildLeftovers: Readonly<Record<string, readonly string[]>> = {
  "better-sqlite3": [
    "deps",
    "src",
    "build/deps",
    "build/Release/obj",
    "build/Release/obj.target",
    "build/Release/.deps",
    "build/Release/sqlite3.a",
    "build/Release/test_extension.node",
  ],
};

/** The files of one package under `app/<to>`, without its nested node_modules or leftovers. */
export function packageEntries(copy: PackageCopy): TarEntry[] {
  const skip = new Set(["node_modules", ...(buildLeftovers[copy.name] ?? [])]);
  const entries: TarEntry[] = [];
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(copy.from, rel)).sort()) {
      const relPath = rel ? `${rel}/${name}` : name;
      if (skip.has(relPath)) continue;
      const host = join(copy.from, relPath);
      const path = `app/${copy.to}/${relPath}`;
      const stat = lstatSync(host);
      if (stat.isSymbolicLink()) entries.push({ type: "symlink", path, target: readlinkSync(host) });
      else if (stat.isDirectory()) {
        entries.push({ type: "dir", path, mode: 0o755 });
        walk(relPath);
      } else if (stat.isFile()) {
        entries.push({
          type: "file",
          path,
          mode: stat.mode & 0o111 ? 0o755 : 0o644,
          data: readFileSync(host),
        });
      }
    }
  };
  entries.push({ type: "dir", path: `app/${copy.to}`, mode: 0o755 });
  walk("");
  return entries;
}

/** Native addons among the copied packages: their libraries must be in the image too. */
export function nativeAddons(entries: readonly TarEntry[], copies: readonly PackageCopy[]): string[] {
  const addons: string[] = [];
  for (const entry of entries) {
    if (entry.type !== "file" || !entry.path.endsWith(".node")) continue;
    const copy = copies.find((c) => entry.path.startsWith(`app/${c.to}/`));
    if (copy) addons.push(join(copy.from, entry.path.slice(`app/${copy.to}/`.length)));
  }
  return addons;
}
