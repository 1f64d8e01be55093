/**
 * A deterministic tar writer (POSIX ustar, with a PAX `path`/`linkpath` record for names that
 * do not fit). Entries are sorted by path, parents are emitted before children, the mtime is
 * fixed and the owner is 0:0 unless an entry says otherwise, so the same files always give the
 * same bytes and therefore the same layer digest.
 */

/** One entry of a layer. `path` is relative to the root, without a leading slash. */
export type TarEntry =
  | { type: "file"; path: string; mode: number; data: Uint8Array; uid?: number; gid?: number }
  | { type: "dir"; path: string; mode: number; uid?: number; gid?: number }
  | { type: "symlink"; path: string; target: string };

/** Every entry's mtime: the epoch, so builds on different days agree. */
export const fixedMtime = 0;

const encoder = new TextEncoder();
const BLOCK = 512;

function writeString(header: Uint8Array, offset: number, length: number, value: string): void {
  const bytes = encoder.encode(value);
  if (bytes.length > length) throw new Error(`tar header field too long: ${value}`);
  header.set(bytes, offset);
}

function writeOctal(header: Uint8Array, offset: number, length: number, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`tar: bad numeric field ${value}`);
  const text = value.toString(8).padStart(length - 1, "0");
  if (text.length > length - 1) throw new Error(`tar: ${value} does not fit ${length} bytes`);
  writeString(header, offset, length, text);
}

function fits(value: string, length: number): boolean {
  return encoder.encode(value).length <= length;
}

interface HeaderFields {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  typeflag: string;
  linkname: string;
}

function header(fields: HeaderFields): Uint8Array {
  const h = new Uint8Array(BLOCK);
  writeString(h, 0, 100, fields.name);
  writeOctal(h, 100, 8, fields.mode);
  writeOctal(h, 108, 8, fields.uid);
  writeOctal(h, 116, 8, fields.gid);
  writeOctal(h, 124, 12, fields.size);
  writeOctal(h, 136, 12, fixedMtime);
  h.fill(0x20, 148, 156); // checksum is computed with its own field as spaces
  writeString(h, 156, 1, fields.typeflag);
  writeString(h, 157, 100, fields.linkname);
  writeString(h, 257, 6, "ustar");
  writeString(h, 263, 2, "00");
  let sum = 0;
  for (const byte of h) sum += byte;
  writeString(h, 148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return h;
}

function paxRecord(key: string, value: string): string {
  // "<length> key=value\n", where length counts its own digits too.
  const body = ` ${key}=${value}\n`;
  const bytes = encoder.encode(body).length;
  let length = bytes + 1;
  while (length !== bytes + String(length).length) length = bytes + String(length).length;
  return `${length}${body}`;
}

function padding(size: number): Uint8Array {
  return new Uint8Array((BLOCK - (size % BLOCK)) % BLOCK);
}

function entryChunks(entry: TarEntry): Uint8Array[] {
  const name = entry.type === "dir" ? `${entry.path}/` : entry.path;
  const linkname = entry.type === "symlink" ? entry.target : "";
  const pax: string[] = [];
  if (!fits(name, 100)) pax.push(paxRecord("path", name));
  if (!fits(linkname, 100)) pax.push(paxRecord("linkpath", linkname));
  const chunks: Uint8Array[] = [];
  if (pax.length) {
    const data = encoder.encode(pax.join(""));
    const paxName = `PaxHeaders/${name.slice(-80).replace(/^\/+/, "")}`;
    chunks.push(
      header({ name: paxName, mode: 0o644, uid: 0, gid: 0, size: data.length, typeflag: "x", linkname: "" }),
      data,
      padding(data.length),
    );
  }
  const base = {
    name: fits(name, 100) ? name : name.slice(0, 99),
    linkname: fits(linkname, 100) ? linkname : "",
  };
  if (entry.type === "file") {
    const owner = { uid: entry.uid ?? 0, gid: entry.gid ?? 0 };
    const size = entry.data.length;
    chunks.push(header({ ...base, ...owner, mode: entry.mode, size, typeflag: "0" }), entry.data);
    chunks.push(padding(size));
  } else if (entry.type === "dir") {
    const owner = { uid: entry.uid ?? 0, gid: entry.gid ?? 0 };
    chunks.push(header({ ...base, ...owner, mode: entry.mode, size: 0, typeflag: "5" }));
  } else {
    chunks.push(header({ ...base, uid: 0, gid: 0, mode: 0o777, size: 0, typeflag: "2" }));
  }
  return chunks;
}

/**
 * Sorted entries with every missing parent directory added (mode 0755); a path given twice is
 * an error, so two sources cannot silently overwrite each other in one layer.
 */
export function normalizeEntries(entries: readonly TarEntry[]): TarEntry[] {
  const byPath = new Map<string, TarEntry>();
  for (const entry of entries) {
    const path = entry.path.replace(/^\/+/, "").replace(/\/+$/, "");
    if (!path || path.split("/").some((part) => part === ".." || part === ".")) {
      throw new Error(`tar: bad entry path ${JSON.stringify(entry.path)}`);
    }
    if (byPath.has(path)) throw new Error(`tar: ${path} given twice`);
    byPath.set(path, { ...entry, path });
  }
  for (const path of [...byPath.keys()]) {
    const parts = path.split("/");
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join("/");
      if (!byPath.has(parent)) byPath.set(parent, { type: "dir", path: parent, mode: 0o755 });
    }
  }
  return [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The tar archive of `entries` as one byte array (two zero blocks end it). */
export function writeTar(entries: readonly TarEntry[]): Uint8Array {
  const chunks = normalizeEntries(entries).flatMap(entryChunks);
  chunks.push(new Uint8Array(BLOCK * 2));
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
