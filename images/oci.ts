/**
 * OCI image layout archives: the image config, the manifest, and one tar holding `oci-layout`,
 * `index.json` (annotated with the full reference for containerd's importer), the blobs, and a
 * docker-style `manifest.json` so `docker load` accepts the same file.
 */
import { createHash } from "node:crypto";
import type { TarEntry } from "./tar.ts";
import { writeTar } from "./tar.ts";

export const mediaTypes = {
  index: "application/vnd.oci.image.index.v1+json",
  manifest: "application/vnd.oci.image.manifest.v1+json",
  config: "application/vnd.oci.image.config.v1+json",
  layerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
} as const;

/** A content-addressed blob with its bytes. */
export interface Blob {
  mediaType: string;
  digest: string;
  size: number;
  bytes: Uint8Array;
}

/** A gzip layer: `digest` of the compressed bytes, `diffId` of the tar inside. */
export interface LayerBlob extends Blob {
  diffId: string;
}

/** `sha256:<hex>` of some bytes. */
export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** A blob of `bytes` with its digest and size. */
export function blobOf(mediaType: string, bytes: Uint8Array): Blob {
  return { mediaType, digest: sha256Digest(bytes), size: bytes.length, bytes };
}

function jsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

/** The runtime part of an image config (docker's field names, which OCI adopted). */
export interface RuntimeConfig {
  user: string;
  env: Record<string, string>;
  entrypoint: readonly string[];
  workingDir?: string;
  ports?: readonly number[];
  labels?: Record<string, string>;
  /** A HEALTHCHECK for Docker; containerd and the kubelet ignore it (probes are in the chart). */
  healthcheck?: readonly string[];
}

/** The OCI architecture name of this machine. */
export function ociArchitecture(arch: string = process.arch): string {
  const names: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "arm", ppc64: "ppc64le" };
  const name = names[arch];
  if (!name) throw new Error(`no OCI architecture for ${arch}`);
  return name;
}

/** The image config blob: no creation time, so equal inputs give an equal digest. */
export function imageConfig(runtime: RuntimeConfig, layers: readonly LayerBlob[]): Blob {
  const config: Record<string, unknown> = {
    User: runtime.user,
    Env: Object.entries(runtime.env).map(([k, v]) => `${k}=${v}`),
    Entrypoint: runtime.entrypoint,
  };
  if (runtime.workingDir) config.WorkingDir = runtime.workingDir;
  if (runtime.ports?.length) {
    config.ExposedPorts = Object.fromEntries(runtime.ports.map((p) => [`${p}/tcp`, {}]));
  }
  if (runtime.labels) config.Labels = runtime.labels;
  if (runtime.healthcheck) {
    const s = 1_000_000_000;
    config.Healthcheck = {
      Test: ["CMD", ...runtime.healthcheck],
      Interval: 15 * s,
      Timeout: 3 * s,
      StartPeriod: 20 * s,
      Retries: 3,
    };
  }
  return blobOf(
    mediaTypes.config,
    jsonBytes({
      architecture: ociArchitecture(),
      os: "linux",
      config,
      rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) },
    }),
  );
}

function descriptor(blob: Blob): { mediaType: string; digest: string; size: number } {
  return { mediaType: blob.mediaType, digest: blob.digest, size: blob.size };
}

/** The image manifest blob for a config and its layers. */
export function imageManifest(config: Blob, layers: readonly LayerBlob[]): Blob {
  return blobOf(
    mediaTypes.manifest,
    jsonBytes({
      schemaVersion: 2,
      mediaType: mediaTypes.manifest,
      config: descriptor(config),
      layers: layers.map(descriptor),
    }),
  );
}

/** Splits `docker.io/hyperhash/pool:0.1.0` into the reference without registry, and the tag. */
export function splitReference(ref: string): { repoTag: string; tag: string } {
  const tag = ref.slice(ref.lastIndexOf(":") + 1);
  if (!tag || tag.includes("/")) throw new Error(`reference needs a tag: ${ref}`);
  const slash = ref.indexOf("/");
  const first = ref.slice(0, slash);
  const repoTag = slash > 0 && /[.:]/.test(first) ? ref.slice(slash + 1) : ref;
  return { repoTag, tag };
}

function blobPath(blob: Blob): string {
  return `blobs/sha256/${blob.digest.slice("sha256:".length)}`;
}

/** One image as an OCI layout tar, returning the archive bytes and the manifest digest. */
export function ociArchive(
  ref: string,
  runtime: RuntimeConfig,
  layers: readonly LayerBlob[],
): { archive: Uint8Array; manifest: Blob; config: Blob } {
  const config = imageConfig(runtime, layers);
  const manifest = imageManifest(config, layers);
  const { repoTag, tag } = splitReference(ref);
  const index = {
    schemaVersion: 2,
    mediaType: mediaTypes.index,
    manifests: [
      {
        ...descriptor(manifest),
        platform: { architecture: ociArchitecture(), os: "linux" },
        annotations: {
          "io.containerd.image.name": ref,
          "org.opencontainers.image.ref.name": tag,
        },
      },
    ],
  };
  const dockerManifest = [{ Config: blobPath(config), RepoTags: [repoTag], Layers: layers.map(blobPath) }];
  const blobs = new Map<string, Blob>();
  for (const blob of [config, manifest, ...layers]) blobs.set(blob.digest, blob);
  const file = (path: string, data: Uint8Array): TarEntry => ({ type: "file", path, mode: 0o644, data });
  const archive = writeTar([
    file("oci-layout", jsonBytes({ imageLayoutVersion: "1.0.0" })),
    file("index.json", jsonBytes(index)),
    file("manifest.json", jsonBytes(dockerManifest)),
    ...[...blobs.values()].map((blob) => file(blobPath(blob), blob.bytes)),
  ]);
  return { archive, manifest, config };
}
