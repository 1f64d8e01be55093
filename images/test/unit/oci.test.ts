/**
 * OCI image layout (image-spec v1.0 image-layout.md, manifest.md): every descriptor's digest and
 * size match its blob, the config's diff_ids are the digests of the uncompressed layers, the
 * index carries containerd's name annotation, and docker's manifest.json names the same blobs.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import test from "ava";
import { gzipLayer } from "../../cache.ts";
import { externalClosure, packageEntries, systemEntries } from "../../layers.ts";
import { ociArchive, sha256Digest, splitReference } from "../../oci.ts";
import { repoRoot } from "../../spec.ts";

const work = mkdtempSync(join(tmpdir(), "oci-test-"));
test.after.always(() => rmSync(work, { recursive: true, force: true }));

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

const blob = (dir: string, d: Descriptor) =>
  new Uint8Array(readFileSync(join(dir, "blobs/sha256", d.digest.slice(7))));

test("an archive is a well-formed OCI layout whose digests and sizes match its blobs", async (t) => {
  const cache = join(work, "cache");
  const app = [
    { type: "file" as const, path: "app/main.mjs", mode: 0o644, data: new TextEncoder().encode("1") },
  ];
  const layers = [await gzipLayer(cache, systemEntries()), await gzipLayer(cache, app)];
  const ref = "docker.io/hyperhash/test:0.1.0";
  const { archive, manifest } = ociArchive(ref, { user: "10001:10001", env: {}, entrypoint: ["/x"] }, layers);
  const dir = join(work, "layout");
  execFileSync("mkdir", ["-p", dir]);
  writeFileSync(join(work, "image.tar"), archive);
  execFileSync("tar", ["-xf", join(work, "image.tar"), "-C", dir]);

  t.deepEqual(JSON.parse(readFileSync(join(dir, "oci-layout"), "utf8")), { imageLayoutVersion: "1.0.0" });
  const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as { manifests: Descriptor[] };
  t.is(index.manifests.length, 1);
  const top = index.manifests[0]!;
  t.is(top.digest, manifest.digest);
  t.is(top.annotations?.["io.containerd.image.name"], ref);
  t.is(top.annotations?.["org.opencontainers.image.ref.name"], "0.1.0");

  const manifestBytes = blob(dir, top);
  t.is(manifestBytes.length, top.size);
  t.is(sha256Digest(manifestBytes), top.digest);
  const m = JSON.parse(new TextDecoder().decode(manifestBytes)) as {
    config: Descriptor;
    layers: Descriptor[];
  };
  for (const d of [m.config, ...m.layers]) {
    const bytes = blob(dir, d);
    t.is(bytes.length, d.size, d.digest);
    t.is(sha256Digest(bytes), d.digest);
  }
  const config = JSON.parse(new TextDecoder().decode(blob(dir, m.config))) as {
    rootfs: { diff_ids: string[] };
    config: { User: string };
  };
  t.deepEqual(
    config.rootfs.diff_ids,
    m.layers.map((d) => sha256Digest(gunzipSync(blob(dir, d)))),
  );
  t.is(config.config.User, "10001:10001");

  const docker = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as {
    Config: string;
    RepoTags: string[];
    Layers: string[];
  }[];
  t.deepEqual(docker[0]?.RepoTags, ["hyperhash/test:0.1.0"]);
  t.is(docker[0]?.Config, `blobs/sha256/${m.config.digest.slice(7)}`);
  for (const path of docker[0]?.Layers ?? []) t.true(statSync(join(dir, path)).isFile(), path);
});

test("a layer is compressed once: the second request is served from the cache, same digest", async (t) => {
  const cache = join(work, "cache2");
  const first = await gzipLayer(cache, systemEntries());
  const second = await gzipLayer(cache, systemEntries());
  t.false(first.cached);
  t.true(second.cached);
  t.is(second.digest, first.digest);
  t.is(second.diffId, first.diffId);
});

test("references: registry stripped for docker's RepoTags, tag required", (t) => {
  t.deepEqual(splitReference("docker.io/hyperhash/pool:0.1.0"), {
    repoTag: "hyperhash/pool:0.1.0",
    tag: "0.1.0",
  });
  t.deepEqual(splitReference("hyperhash/lnd:v0.20.1-beta"), {
    repoTag: "hyperhash/lnd:v0.20.1-beta",
    tag: "v0.20.1-beta",
  });
  t.throws(() => splitReference("localhost:5000/hyperhash/pool"));
});

test("externals: better-sqlite3 comes with its closure and built addon, without build leftovers", (t) => {
  const copies = externalClosure(["better-sqlite3"], join(repoRoot, "services", "pool"), repoRoot);
  const names = copies.map((c) => c.name);
  t.true(names.includes("better-sqlite3") && names.includes("bindings"), names.join(" "));
  const sqlite = copies.find((c) => c.name === "better-sqlite3")!;
  const paths = packageEntries(sqlite).map((e) => e.path);
  t.true(paths.includes("app/node_modules/better-sqlite3/build/Release/better_sqlite3.node"));
  t.false(paths.some((p) => p.includes("/deps/") || p.includes("/obj.target")));
  t.throws(() => externalClosure(["@hyperhash/telemetry"], join(repoRoot, "services", "pool"), repoRoot), {
    message: /bundle it instead/,
  });
});
