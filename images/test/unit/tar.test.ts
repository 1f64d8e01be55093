/**
 * Layer tars are deterministic: the same files in any order give the same bytes (so the same
 * diff ID and digest), parents come before children, and names past ustar's 100 bytes survive.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import { sha256Digest } from "../../oci.ts";
import { normalizeEntries, type TarEntry, writeTar } from "../../tar.ts";

const text = (s: string) => new TextEncoder().encode(s);
const longPath = `app/node_modules/${"deeply-nested-package/".repeat(6)}index.js`;
const entries: TarEntry[] = [
  { type: "file", path: "usr/local/bin/node", mode: 0o755, data: text("#!binary") },
  { type: "dir", path: "tmp", mode: 0o1777 },
  { type: "file", path: "etc/passwd", mode: 0o644, data: text("root:x:0:0::/:/bin/false\n") },
  { type: "file", path: longPath, mode: 0o644, data: text("module.exports = 1;\n") },
  { type: "symlink", path: "app/link", target: "node_modules" },
];

function listing(tar: Uint8Array): string[] {
  const dir = mkdtempSync(join(tmpdir(), "tar-test-"));
  try {
    writeFileSync(join(dir, "layer.tar"), tar);
    return execFileSync("tar", ["--numeric-owner", "-tvf", join(dir, "layer.tar")], { encoding: "utf8" })
      .trim()
      .split("\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("same entries in any order give identical bytes", (t) => {
  const a = writeTar(entries);
  const b = writeTar([...entries].reverse());
  t.is(sha256Digest(a), sha256Digest(b));
  t.is(a.length % 512, 0);
});

test("parents are added before children, sorted, and duplicates are refused", (t) => {
  const paths = normalizeEntries(entries).map((e) => e.path);
  t.deepEqual(paths, [...paths].sort());
  for (const path of paths) {
    const parent = path.slice(0, path.lastIndexOf("/"));
    if (parent) t.true(paths.indexOf(parent) < paths.indexOf(path), path);
  }
  t.throws(() => writeTar([...entries, entries[0]!]), { message: /given twice/ });
  t.throws(() => writeTar([{ type: "dir", path: "a/../b", mode: 0o755 }]), { message: /bad entry path/ });
});

test("GNU tar reads it: modes, owner 0/0, epoch mtime, long names via PAX, symlinks", (t) => {
  const lines = listing(writeTar(entries));
  const line = (suffix: string) => lines.find((l) => l.endsWith(suffix)) ?? "";
  t.regex(line(" tmp/"), /^drwxrwxrwt 0\/0 +0 1970-01-01 00:00 tmp\/$/);
  t.regex(line("usr/local/bin/node"), /^-rwxr-xr-x 0\/0 +8 1970-01-01/);
  t.true(
    lines.some((l) => l.endsWith(longPath)),
    "long path kept whole",
  );
  t.true(lines.some((l) => l.endsWith("app/link -> node_modules")));
  t.false(
    lines.some((l) => l.includes("PaxHeaders")),
    "PAX records are not files",
  );
});
