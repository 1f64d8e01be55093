/**
 * Builds every image of `images/spec.ts` as an OCI image archive, without a container engine
 * or a registry, for `ctr image import`:
 *   npx tsx images/build.ts [--out DIR] [--only pool,core] [--registry docker.io]
 * Node images are [system, node runtime, app] layers, Go images [system, binaries], pause one
 * static binary. An image whose inputs did not change is reused from the cache (cache.ts).
 */
import { execFile } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { parseArgs, promisify } from "node:util";
import { pinnedBinaries } from "../services/devnet/src/binaries.ts";
import { type BuiltLayer, cachedArchive, gzipLayer, imageCacheDir, inputKey, storeArchive } from "./cache.ts";
import {
  externalClosure,
  hostFile,
  nativeAddons,
  nodeRuntimeEntries,
  packageEntries,
  sharedLibraries,
  systemEntries,
} from "./layers.ts";
import { ociArchive, type RuntimeConfig, sha256Digest } from "./oci.ts";
import {
  allImages,
  esbuildArgs,
  type GoBinaryImage,
  healthcheckCommand,
  type ImageSpec,
  imagePath,
  imageRepository,
  imageUser,
  type NodeAppImage,
  nodeAppEntrypoint,
  nodeAppEnv,
  repoRoot,
  repoVersion,
} from "./spec.ts";
import type { TarEntry } from "./tar.ts";

const run = promisify(execFile);

/** Bumped when the builder's output changes for the same inputs (invalidates every archive). */
const builderVersion = 1;

/** Options of buildImages. */
export interface BuildOptions {
  /** Where archives are written; default `<cache>/archives`. */
  outDir?: string;
  /** Image names to build (default: all). */
  only?: readonly string[];
  /** Registry part of each reference; default docker.io (what an unqualified name means). */
  registry?: string;
  /** Default: HH_IMAGE_CACHE or `${XDG_CACHE_HOME:-~/.cache}/hyperhash/images`. */
  cacheDir?: string;
  /** Progress lines; default console.log. */
  log?: (line: string) => void;
  /** Images built at once; default the number of cores. */
  concurrency?: number;
  /** The node binary of the Node images; default the one running this. */
  nodeBinary?: string;
}

/** One built image. */
export interface BuiltImage {
  name: string;
  /** The full reference containerd records, e.g. `docker.io/hyperhash/pool:0.1.0`. */
  ref: string;
  archivePath: string;
  /** The manifest digest (what `ctr image ls` shows). */
  digest: string;
  /** Archive bytes. */
  size: number;
  /** True when the archive came from the cache unchanged. */
  reused: boolean;
}

/** The tag of an image: the repository version, or the pinned upstream version. */
export function imageTag(spec: ImageSpec): string {
  if (spec.kind === "node-base") return process.versions.node;
  if (spec.kind === "go-binary") {
    const binary = pinnedBinaries().get(spec.binaries[0]!);
    if (!binary) throw new Error(`${spec.binaries[0]} is not pinned in stack/build.sh`);
    return binary.version;
  }
  return repoVersion;
}

/** The full reference of an image. */
export function imageReference(spec: ImageSpec, registry = "docker.io"): string {
  return `${registry}/${imageRepository(spec)}:${imageTag(spec)}`;
}

const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

/** Everything one run shares: the cache, a scratch directory, the base layers (built once). */
interface BuildContext {
  cacheDir: string;
  work: string;
  nodeBinary: string;
  log: (line: string) => void;
  system?: Promise<BuiltLayer>;
  node?: Promise<{ layer: BuiltLayer; libraries: Set<string> }>;
}

function systemLayer(ctx: BuildContext): Promise<BuiltLayer> {
  ctx.system ??= gzipLayer(ctx.cacheDir, systemEntries());
  return ctx.system;
}

function nodeLayer(ctx: BuildContext): Promise<{ layer: BuiltLayer; libraries: Set<string> }> {
  ctx.node ??= (async () => {
    const started = performance.now();
    const libraries = new Set(await sharedLibraries(ctx.nodeBinary));
    const layer = await gzipLayer(ctx.cacheDir, await nodeRuntimeEntries(ctx.nodeBinary));
    const how = layer.cached ? "cached" : `compressed in ${seconds(started)}`;
    ctx.log(
      `[images] node runtime layer: ${ctx.nodeBinary} + ${libraries.size} libraries, ${mib(layer.tarSize)} → ${mib(layer.size)} (${how})`,
    );
    return { layer, libraries };
  })();
  return ctx.node;
}

/** A recipe: the runtime config, and the layers (or the key that lets us skip making them). */
interface Recipe {
  runtime: RuntimeConfig;
  key: string;
  layers: () => Promise<BuiltLayer[]>;
  detail: string;
}

function baseRuntime(env: Record<string, string>, entrypoint: readonly string[]): RuntimeConfig {
  return { user: `${imageUser.uid}:${imageUser.gid}`, env: { PATH: imagePath, ...env }, entrypoint };
}

function findNativeAddons(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir, { withFileTypes: true })) {
    if (name.name === "node_modules") continue;
    const path = join(dir, name.name);
    if (name.isDirectory()) found.push(...findNativeAddons(path));
    else if (name.isFile() && name.name.endsWith(".node")) found.push(path);
  }
  return found.sort();
}

/** Bundles with the Dockerfile's esbuild flags; returns the bundle and its source map. */
async function bundle(
  ctx: BuildContext,
  image: NodeAppImage,
): Promise<{ main: Uint8Array; map: Uint8Array }> {
  const outfile = join(ctx.work, image.name, "main.mjs");
  const esbuild = join(repoRoot, "node_modules", ".bin", "esbuild");
  await run(esbuild, esbuildArgs(image, outfile), { cwd: repoRoot });
  return { main: new Uint8Array(readFileSync(outfile)), map: new Uint8Array(readFileSync(`${outfile}.map`)) };
}

async function nodeAppRecipe(ctx: BuildContext, image: NodeAppImage, ref: string): Promise<Recipe> {
  const { main, map } = await bundle(ctx, image);
  const workspaceDir = join(repoRoot, image.entry.slice(0, image.entry.indexOf("/src/")));
  const copies = externalClosure(image.externals, workspaceDir, repoRoot);
  const natives = copies.flatMap((c) => findNativeAddons(c.from));
  const addons = (image.addons ?? []).map((relative) => {
    const path = join(repoRoot, relative);
    if (!existsSync(path)) throw new Error(`${relative} is not built (node scripts/bootstrap.mjs builds it)`);
    return { path, to: `app/${basename(relative)}`, digest: sha256Digest(readFileSync(path)) };
  });
  const [system, node] = await Promise.all([systemLayer(ctx), nodeLayer(ctx)]);
  const runtime: RuntimeConfig = {
    ...baseRuntime(nodeAppEnv(image), nodeAppEntrypoint),
    workingDir: "/app",
    ports: [image.opsPort],
    healthcheck: healthcheckCommand(image.opsPort),
    labels: {
      "org.opencontainers.image.title": imageRepository(image),
      "org.opencontainers.image.version": repoVersion,
    },
  };
  const key = inputKey({
    builderVersion,
    ref,
    image,
    runtime,
    bundle: sha256Digest(main),
    sourceMap: sha256Digest(map),
    packages: copies.map((c) => `${c.to}@${c.version}`),
    natives: natives.map((path) => `${path}:${sha256Digest(readFileSync(path))}`),
    addons: addons.map((a) => `${a.to}:${a.digest}`),
    base: [system.diffId, node.layer.diffId],
  });
  const layers = async () => {
    const entries: TarEntry[] = [
      { type: "file", path: "app/main.mjs", mode: 0o644, data: main },
      { type: "file", path: "app/main.mjs.map", mode: 0o644, data: map },
      ...copies.flatMap(packageEntries),
      ...addons.map((a) => hostFile(a.path, a.to)),
    ];
    // A native addon may link a library node itself does not: ship it at its ldd path.
    for (const addon of [...nativeAddons(entries, copies), ...addons.map((a) => a.path)]) {
      for (const lib of await sharedLibraries(addon)) {
        if (!node.libraries.has(lib) && !entries.some((e) => e.path === lib.slice(1)))
          entries.push(hostFile(lib, lib));
      }
    }
    return [system, node.layer, await gzipLayer(ctx.cacheDir, entries)];
  };
  return { runtime, key, layers, detail: `bundled ${mib(main.length)}, ${copies.length} packages` };
}

async function goRecipe(ctx: BuildContext, image: GoBinaryImage, ref: string): Promise<Recipe> {
  const entries = image.binaries.map((name) => {
    const binary = pinnedBinaries().get(name);
    if (!binary) throw new Error(`${name} is not pinned in stack/build.sh`);
    try {
      statSync(binary.path);
    } catch {
      throw new Error(`${name} ${binary.version} is not built (${binary.path}); run npm run stack:build`);
    }
    return hostFile(binary.path, `usr/local/bin/${name}`);
  });
  const [system, binaries] = await Promise.all([systemLayer(ctx), gzipLayer(ctx.cacheDir, entries)]);
  const runtime = { ...baseRuntime(image.env, [image.binaries[0]!]), ports: image.ports };
  const key = inputKey({ builderVersion, ref, image, runtime, diffIds: [system.diffId, binaries.diffId] });
  return { runtime, key, layers: async () => [system, binaries], detail: image.binaries.join(" + ") };
}

async function pauseRecipe(ctx: BuildContext, source: string, ref: string): Promise<Recipe> {
  const out = join(ctx.work, "pause");
  await run("gcc", ["-static", "-Os", "-s", "-o", out, join(repoRoot, source)]).catch((error: Error) => {
    throw new Error(`gcc -static failed (apt-get install gcc libc6-dev): ${error.message}`);
  });
  const layer = await gzipLayer(ctx.cacheDir, [hostFile(out, "pause")]);
  const runtime = baseRuntime({}, ["/pause"]);
  const key = inputKey({ builderVersion, ref, runtime, diffIds: [layer.diffId] });
  return { runtime, key, layers: async () => [layer], detail: `static ${mib(layer.tarSize)}` };
}

async function nodeBaseRecipe(ctx: BuildContext, ref: string): Promise<Recipe> {
  const [system, node] = await Promise.all([systemLayer(ctx), nodeLayer(ctx)]);
  const runtime = baseRuntime({}, ["node"]);
  const key = inputKey({ builderVersion, ref, runtime, diffIds: [system.diffId, node.layer.diffId] });
  return { runtime, key, layers: async () => [system, node.layer], detail: `node ${process.version}` };
}

function recipe(ctx: BuildContext, spec: ImageSpec, ref: string): Promise<Recipe> {
  switch (spec.kind) {
    case "node-app":
      return nodeAppRecipe(ctx, spec, ref);
    case "go-binary":
      return goRecipe(ctx, spec, ref);
    case "pause":
      return pauseRecipe(ctx, spec.source, ref);
    case "node-base":
      return nodeBaseRecipe(ctx, ref);
  }
}

async function buildOne(
  ctx: BuildContext,
  spec: ImageSpec,
  ref: string,
  outDir: string,
): Promise<BuiltImage> {
  const started = performance.now();
  const fileName = `${spec.name}-${imageTag(spec)}.oci.tar`;
  const { runtime, key, layers, detail } = await recipe(ctx, spec, ref);
  let record = cachedArchive(ctx.cacheDir, fileName, key);
  const reused = record !== undefined;
  let archivePath = join(ctx.cacheDir, "archives", fileName);
  if (!record) {
    const built = await layers();
    const { archive, manifest } = ociArchive(ref, runtime, built);
    record = { key, ref, digest: manifest.digest, size: archive.length };
    archivePath = storeArchive(ctx.cacheDir, fileName, archive, record);
    const top = built[built.length - 1]!;
    ctx.log(
      `[images] ${spec.name}: ${detail}, layer ${mib(top.tarSize)} → ${mib(top.size)}, archive ${mib(archive.length)}, ${seconds(started)}`,
    );
  } else {
    ctx.log(`[images] ${spec.name}: ${detail}, reused ${mib(record.size)}, ${seconds(started)}`);
  }
  if (resolve(outDir) !== resolve(ctx.cacheDir, "archives")) {
    copyFileSync(archivePath, join(outDir, fileName));
    archivePath = join(outDir, fileName);
  }
  return { name: spec.name, ref, archivePath, digest: record.digest, size: record.size, reused };
}

/** The specs named by `only` (all when absent); an unknown name is an error, not a no-op. */
export function selectImages(only?: readonly string[]): ImageSpec[] {
  if (!only?.length) return [...allImages];
  const unknown = only.filter((name) => !allImages.some((spec) => spec.name === name));
  if (unknown.length) {
    throw new Error(`unknown image ${unknown.join(", ")}; known: ${allImages.map((s) => s.name).join(", ")}`);
  }
  return allImages.filter((spec) => only.includes(spec.name));
}

/** Builds (or reuses) each selected image's OCI archive; see BuildOptions. */
export async function buildImages(options: BuildOptions = {}): Promise<BuiltImage[]> {
  const cacheDir = options.cacheDir ?? imageCacheDir();
  const outDir = options.outDir ?? join(cacheDir, "archives");
  mkdirSync(outDir, { recursive: true });
  const ctx: BuildContext = {
    cacheDir,
    work: mkdtempSync(join(tmpdir(), "hyperhash-images-")),
    nodeBinary: options.nodeBinary ?? process.execPath,
    log: options.log ?? ((line) => console.log(line)),
  };
  try {
    // A few images at a time: bundling is a child process and gzip runs on libuv's pool.
    const specs = selectImages(options.only);
    const built: BuiltImage[] = new Array(specs.length);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < specs.length; i = next++) {
        const spec = specs[i]!;
        built[i] = await buildOne(ctx, spec, imageReference(spec, options.registry), outDir);
      }
    };
    await Promise.all(Array.from({ length: options.concurrency ?? availableParallelism() }, worker));
    return built;
  } finally {
    rmSync(ctx.work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { out: { type: "string" }, only: { type: "string" }, registry: { type: "string" } },
  });
  const started = performance.now();
  const built = await buildImages({
    ...(values.out ? { outDir: resolve(values.out) } : {}),
    ...(values.only ? { only: values.only.split(",").map((s) => s.trim()) } : {}),
    ...(values.registry ? { registry: values.registry } : {}),
  });
  for (const image of built) {
    console.log(`${image.ref}  ${image.digest.slice(0, 19)}  ${mib(image.size)}  ${image.archivePath}`);
  }
  const reused = built.filter((b) => b.reused).length;
  console.log(`[images] ${built.length} images (${reused} reused) in ${seconds(started)}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
