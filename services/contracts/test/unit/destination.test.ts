import { scriptPubKeyToAddress } from "@hyperhash/bitcoin";
import test from "ava";
import fc from "fast-check";
import { blockFoundEvent, canonicalDestination, nodeId } from "../../src/index.ts";

// Scripts with an address form on regtest: P2WPKH (bech32), P2TR (bech32m), P2PKH (base58).
const script = fc.oneof(
  fc.uint8Array({ minLength: 20, maxLength: 20 }).map((h) => Uint8Array.from([0x00, 0x14, ...h])),
  fc.uint8Array({ minLength: 32, maxLength: 32 }).map((h) => Uint8Array.from([0x51, 0x20, ...h])),
  fc
    .uint8Array({ minLength: 20, maxLength: 20 })
    .map((h) => Uint8Array.from([0x76, 0xa9, 0x14, ...h, 0x88, 0xac])),
);
// (scure refuses a P2TR key that is not on the curve: those scripts have no address.)
const address = script.map((s) => scriptPubKeyToAddress(s, "regtest")).filter((a): a is string => a !== null);
const pubkey = fc
  .tuple(fc.constantFrom("02", "03"), fc.uint8Array({ minLength: 32, maxLength: 32 }))
  .map(([p, b]) => p + Buffer.from(b).toString("hex"));
const isBech32 = (a: string) => a.toLowerCase().startsWith("bcrt1");

test("ARCHITECTURE 'a miner is its payout destination': upper- and lower-case bech32 are one recipient", (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(address, (a) => {
        const lower = canonicalDestination(a.toLowerCase(), "regtest");
        const upper = canonicalDestination(a.toUpperCase(), "regtest");
        const asIs = canonicalDestination(a, "regtest");
        if (!asIs.ok) return false;
        if (!isBech32(a)) return asIs.destination === a; // base58: its case is the value
        return lower.ok && upper.ok && lower.destination === a && upper.destination === a;
      }),
    ),
  );
});

test("BIP173: a bech32 address in mixed case is refused, whatever letters are flipped", (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(address, fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), (a, flips) => {
        fc.pre(isBech32(a));
        const chars = [...a];
        const letters = chars.flatMap((c, i) => (/[a-z]/.test(c) ? [i] : []));
        for (const f of flips) {
          const i = letters[f % letters.length] as number;
          chars[i] = (chars[i] as string).toUpperCase();
        }
        const variant = chars.join("");
        const r = canonicalDestination(variant, "regtest");
        return variant === variant.toUpperCase() ? r.ok && r.destination === a : !r.ok;
      }),
    ),
  );
});

test("Lightning pubkeys: any case variant is the same lower-case hex", (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(pubkey, fc.array(fc.boolean(), { minLength: 66, maxLength: 66 }), (k, ups) => {
        const variant = [...k].map((c, i) => (ups[i] ? c.toUpperCase() : c)).join("");
        const r = canonicalDestination(variant, "regtest");
        return r.ok && r.kind === "lightning-pubkey" && r.destination === k;
      }),
    ),
  );
});

test("destinations of another network, bad checksums and junk are refused", (t) => {
  const mainnet = scriptPubKeyToAddress(
    Uint8Array.from([0x00, 0x14, ...new Uint8Array(20)]),
    "mainnet",
  ) as string;
  t.false(canonicalDestination(mainnet, "regtest").ok);
  const good = scriptPubKeyToAddress(
    Uint8Array.from([0x00, 0x14, ...new Uint8Array(20).fill(7)]),
    "regtest",
  ) as string;
  const bad = good.slice(0, -1) + (good.endsWith("q") ? "p" : "q");
  t.false(canonicalDestination(bad, "regtest").ok);
  t.false(canonicalDestination("", "regtest").ok);
  t.false(canonicalDestination("alice", "regtest").ok);
});

test("node ids: one rule (Core's hn_ + 16 base32); empty and foreign forms are refused", (t) => {
  t.true(nodeId.safeParse("hn_abcdefghijklmnop").success);
  for (const bad of ["", "node1", "hn_", "HN_ABCDEFGHIJKLMNOP", "hn_abcdefghijklmno1"])
    t.false(nodeId.safeParse(bad).success, bad);
});

test("outbox contract: case variants of one destination parse to one canonical text; '' as node id names the field", (t) => {
  const a = scriptPubKeyToAddress(
    Uint8Array.from([0x00, 0x14, ...new Uint8Array(20).fill(9)]),
    "regtest",
  ) as string;
  const event = (nodeIdValue: string | null) => ({
    seq: 1,
    type: "block-found",
    blockHash: "AB".repeat(32),
    height: 1,
    subsidySats: "5000000000",
    feesSats: "0",
    coinbaseValueSats: "5000000000",
    winner: { destination: a.toUpperCase(), nodeId: null, worker: "" },
    shares: [
      { destination: a.toUpperCase(), nodeId: nodeIdValue, work: "1", count: 1 },
      { destination: a, nodeId: null, work: "1", count: 1 },
    ],
    previousBlockHash: null,
    foundAt: "2026-12-03T00:00:00.000Z",
  });
  const ok = blockFoundEvent("regtest").parse(event(null));
  t.is(ok.blockHash, "ab".repeat(32));
  t.deepEqual(
    ok.shares.map((s) => s.destination),
    [a, a],
  );
  t.is(ok.winner.destination, a);
  const bad = blockFoundEvent("regtest").safeParse(event(""));
  t.false(bad.success);
  t.deepEqual(
    bad.error?.issues.map((i) => i.path.join(".")),
    ["shares.0.nodeId"],
  );
});
