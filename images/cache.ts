/**
 * The image cache, `${XDG_CACHE_HOME:-~/.cache}/hyperhash/images` (override HH_IMAGE_CACHE):
 * gzip layers stored by the digest of the tar inside them (gzip is the slow part, and equal tar
 * bytes give equal blobs), and finished archives stored with the key of their inputs.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import { type LayerBlob, mediaTypes, sha256Digest } from "./oci.ts";
import { type TarEntry, writeTar } from "./tar.ts";

const gzipAsync = promisify(gzip);

/** Where images are cached on this machine. */
export function imageCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HH_IMAGE_CACHE) return env.HH_IMAGE_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "hyperhash", "images");
}

/** Writes a file by rename, so a reader (or a killed build) never sees half of it. */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, data);
  renameSync(temp, path);
}

/** A hex sha256 over a canonical JSON value: the key of some inputs. */
export function inputKey(inputs: unknown): string {
  return createHash("sha256").update(JSON.stringify(inputs)).digest("hex");
}

/** A layer with where it came from, for progress lines. */
export interface BuiltLayer extends LayerBlob {
  /** Bytes of the uncompressed tar. */
  tarSize: number;
  /** True when the gzip blob was already in the cache. */
  cached: boolean;
}

/**
 * The gzip layer of `entries`: the tar is always written (cheap) and its digest looked up, so a
 * blob is compressed once per distinct content. gzip level 6 from Node's zlib has no timestamp
 * in its header: the compressed digest is stable too.
 */
export async function gzipLayer(cacheDir: string, entries: readonly TarEntry[]): Promise<BuiltLayer> {
  const tar = writeTar(entries);
  const diffId = sha256Digest(tar);
  const indexDir = join(cacheDir, "layers");
  const blobDir = join(cacheDir, "blobs", "sha256");
  mkdirSync(indexDir, { recursive: true });
  mkdirSync(blobDir, { recursive: true });
  const indexFile = join(indexDir, `${diffId.slice(7)}.json`);
  if (existsSync(indexFile)) {
    const { digest } = JSON.parse(readFileSync(indexFile, "utf8")) as { digest: string };
    const blobFile = join(blobDir, digest.slice(7));
    if (existsSync(blobFile)) {
      const bytes = new Uint8Array(readFileSync(blobFile));
      if (sha256Digest(bytes) === digest) {
        return {
          mediaType: mediaTypes.layerGzip,
          digest,
          size: bytes.length,
          bytes,
          diffId,
          tarSize: tar.length,
          cached: true,
        };
      }
    }
  }
  const bytes = new Uint8Array(await gzipAsync(tar, { level: 6 }));
  const digest = sha256Digest(bytes);
  writeFileAtomic(join(blobDir, digest.slice(7)), bytes);
  writeFileAtomic(indexFile, JSON.stringify({ digest, size: bytes.length }));
  return {
    mediaType: mediaTypes.layerGzip,
    digest,
    size: bytes.length,
    bytes,
    diffId,
    tarSize: tar.length,
    cached: false,
  };
}

/** What the cache remembers of a finished archive. */
export interface ArchiveRecord {
  key: string;
  ref: string;
  digest: string;
  size: number;
}

/** The archive path and its record in the cache, for an image file name. */
export function archivePaths(cacheDir: string, fileName: string): { archive: string; record: string } {
  const dir = join(cacheDir, "archives");
  mkdirSync(dir, { recursive: true });
  return { archive: join(dir, fileName), record: join(dir, `${fileName}.json`) };
}

/** The cached archive for `key`, when its record matches and the file is still there. */
export function cachedArchive(cacheDir: string, fileName: string, key: string): ArchiveRecord | undefined {
  const paths = archivePaths(cacheDir, fileName);
  if (!existsSync(paths.record) || !existsSync(paths.archive)) return undefined;
  const record = JSON.parse(readFileSync(paths.record, "utf8")) as ArchiveRecord;
  return record.key === key ? record : undefined;
}

/** Stores a finished archive and its record (archive first: a record never names a missing file). */
export function storeArchive(
  cacheDir: string,
  fileName: string,
  archive: Uint8Array,
  record: ArchiveRecord,
): string {
  const paths = archivePaths(cacheDir, fileName);
  writeFileAtomic(paths.archive, archive);
  writeFileAtomic(paths.record, `${JSON.stringify(record, null, 2)}\n`);
  return paths.archive;
}
