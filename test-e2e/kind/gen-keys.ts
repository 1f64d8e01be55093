/**
 * Prints the two Secrets the regtest profile names (pool and TP Noise authority keys) as YAML for
 * `kubectl apply -f -`: fresh secp256k1 keys, base58check as SRI configs store them. Keys are
 * written to stdout only, never logged.
 */
import { randomBytes } from "node:crypto";
import { encodeAuthoritySecretKey, generateSecretKey } from "@hyperhash/sv2";

const namespace = process.argv[2] ?? "hyperhash";
const key = () => encodeAuthoritySecretKey(generateSecretKey((n) => new Uint8Array(randomBytes(n))));
for (const name of ["hyperhash-pool-authority", "hyperhash-tp-authority"]) {
  process.stdout.write(
    `---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\ntype: Opaque\nstringData:\n  authoritySecretKey: ${key()}\n`,
  );
}
