import { lnCall } from "@hyperhash/lightning";
import * as ln from "ln-service";
import { z } from "zod";
import type { SecretStore, StoredSecret } from "./secrets.ts";

/**
 * The operator's macaroon: channels and peers, and reads of the node and its chain wallet.
 * No invoices, no payments, no on-chain sends, no macaroon baking.
 */
export const OPERATOR_PERMISSIONS = [
  "info:read",
  "offchain:read",
  "offchain:write",
  "onchain:read",
  "peers:read",
  "peers:write",
] as const;

/** The node agent's own macaroon: payout invoices and the reads telemetry and the SCB export need. */
export const AGENT_PERMISSIONS = [
  "info:read",
  "invoices:read",
  "invoices:write",
  "offchain:read",
  "onchain:read",
] as const;

/** Keys of `<hypernode>-lnd-macaroons`: raw macaroon bytes (a mounted key is a `.macaroon` file) and the pubkey. */
export const MACAROON_KEYS = {
  operator: "operator.macaroon",
  agent: "agent.macaroon",
  pubkey: "pubkey",
} as const;

/** The restricted macaroons and the node identity they belong to. */
export interface NodeAccess {
  operatorMacaroon: Uint8Array;
  agentMacaroon: Uint8Array;
  /** The node's Lightning identity, 33-byte compressed key, hex. */
  pubkey: string;
}

const pubkeySchema = z.string().regex(/^0[23][0-9a-f]{64}$/);

/** The Secret's data for NodeAccess. */
export function macaroonSecretData(access: NodeAccess): Record<string, Uint8Array> {
  pubkeySchema.parse(access.pubkey);
  return {
    [MACAROON_KEYS.operator]: access.operatorMacaroon,
    [MACAROON_KEYS.agent]: access.agentMacaroon,
    [MACAROON_KEYS.pubkey]: new TextEncoder().encode(access.pubkey),
  };
}

/** Reads the Secret back; undefined when a key is missing or malformed (then it is not reused). */
export function toNodeAccess(secret: StoredSecret): NodeAccess | undefined {
  const { data } = secret;
  const operatorMacaroon = data[MACAROON_KEYS.operator];
  const agentMacaroon = data[MACAROON_KEYS.agent];
  const pubkey = pubkeySchema.safeParse(
    data[MACAROON_KEYS.pubkey] && new TextDecoder().decode(data[MACAROON_KEYS.pubkey]),
  );
  if (!operatorMacaroon?.length || !agentMacaroon?.length || !pubkey.success) return undefined;
  return { operatorMacaroon, agentMacaroon, pubkey: pubkey.data };
}

/** The lnd calls baking needs, behind an interface (one call each). */
export interface MacaroonBakery {
  /** lnd BakeMacaroon (root key id 0: the operator's root key) with `entity:action` permissions. */
  bake(adminMacaroon: Uint8Array, permissions: readonly string[]): Promise<Uint8Array>;
  /** The node pubkey, asked with the given macaroon. */
  pubkey(macaroon: Uint8Array): Promise<string>;
}

/** The bakery on lnd's gRPC listener through ln-service (`grantAccess`, `getIdentity`). */
export function lndMacaroonBakery(options: { socket: string; certPem: string }): MacaroonBakery {
  const handle = (macaroon: Uint8Array) =>
    ln.authenticatedLndGrpc({
      cert: Buffer.from(options.certPem).toString("base64"),
      macaroon: Buffer.from(macaroon).toString("hex"),
      socket: options.socket,
    }).lnd;
  return {
    bake: (admin, permissions) =>
      lnCall("grantAccess", async () => {
        const answer = z
          .object({ macaroon: z.base64().min(1) })
          .parse(await ln.grantAccess({ lnd: handle(admin), permissions: [...permissions] }));
        return new Uint8Array(Buffer.from(answer.macaroon, "base64"));
      }),
    pubkey: (macaroon) =>
      lnCall("getIdentity", async () =>
        pubkeySchema.parse(
          z.object({ public_key: z.string() }).parse(await ln.getIdentity({ lnd: handle(macaroon) }))
            .public_key,
        ),
      ),
  };
}

/** Raised when the macaroons must be baked and no admin macaroon is at hand. */
export class NoAdminMacaroon extends Error {
  override readonly name = "NoAdminMacaroon";
}

/**
 * Ensures `<hypernode>-lnd-macaroons` holds both restricted macaroons and the pubkey: reuses a
 * complete Secret, else bakes with the admin macaroon (the one InitWallet returned, or lnd's file)
 * and creates the Secret. The admin macaroon is used here and nowhere else.
 */
export async function ensureNodeAccess(deps: {
  secrets: SecretStore;
  secretName: string;
  bakery: MacaroonBakery;
  adminMacaroon: () => Uint8Array | undefined;
  labels?: Record<string, string>;
}): Promise<{ access: NodeAccess; baked: boolean }> {
  const existing = await deps.secrets.get(deps.secretName);
  const reused = existing && toNodeAccess(existing);
  if (reused) return { access: reused, baked: false };
  const admin = deps.adminMacaroon();
  if (!admin)
    throw new NoAdminMacaroon(
      `${deps.secretName} is missing or incomplete and no admin macaroon is available to bake it (set HH_AGENT_LND_ADMIN_MACAROON_PATH to lnd's admin.macaroon)`,
    );
  const agentMacaroon = await deps.bakery.bake(admin, AGENT_PERMISSIONS);
  const operatorMacaroon = await deps.bakery.bake(admin, OPERATOR_PERMISSIONS);
  const access: NodeAccess = {
    agentMacaroon,
    operatorMacaroon,
    pubkey: await deps.bakery.pubkey(agentMacaroon),
  };
  const data = macaroonSecretData(access);
  // An incomplete Secret (an older contract) is replaced; a complete one is never touched.
  if (existing) await deps.secrets.put(deps.secretName, { data, labels: deps.labels });
  else if ((await deps.secrets.create(deps.secretName, { data, labels: deps.labels })) === "exists") {
    const raced = await deps.secrets.get(deps.secretName);
    const theirs = raced && toNodeAccess(raced);
    if (theirs) return { access: theirs, baked: false };
    await deps.secrets.put(deps.secretName, { data, labels: deps.labels });
  }
  return { access, baked: true };
}
