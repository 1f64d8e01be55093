import { createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import {
  buildHyperNodeChildren,
  hyperNodeNames,
  LND_GRPC,
  type ManagedLightningMaterial,
} from "@hyperhash/cdk8s";
import type { Condition } from "../api/common.ts";
import { type ConditionUpdate, setConditions, summarizeReady } from "../api/conditions.ts";
import { type HyperNode, hyperNode } from "../api/hypernode-types.ts";
import type {
  ControllerContext,
  ControllerDefinition,
  ReconcileRequest,
  ReconcileResult,
} from "../runtime/controller.ts";
import { hasFinalizer, setFinalizer } from "../runtime/finalizers.ts";
import type { KubeObject } from "../runtime/kube.ts";
import { patchStatus } from "../runtime/status.ts";
import { syncChildren } from "./children.ts";
import { ensureTreasuryChannels } from "./hypernode-channels.ts";
import { finalizeHyperNode, HYPERNODE_FINALIZER } from "./hypernode-finalizer.ts";
import { ensureRegistered, telemetryCondition } from "./hypernode-registration.ts";
import { hyperNodeWorkloads, WORKLOADS_CONDITION } from "./hypernode-workloads.ts";
import { externalNodeWallet, managedNodeWallet, treasuryWallet } from "./lnd-access.ts";
import type { OperatorSettings } from "./settings.ts";
import { selfSignedCertificate } from "./tls.ts";

/** Conditions Ready depends on, in the order a human should fix them. */
export const READY_DEPENDS_ON = [
  "Registered",
  WORKLOADS_CONDITION,
  "LightningWalletReady",
  "TreasuryChannelOpen",
  "TelemetryReporting",
];

/**
 * Invariant 1 for a managed lnd: the pubkey comes from the `<hn>-lnd-macaroons` Secret the node
 * agent writes once the wallet exists (until then `WaitingForWalletInit`); the wallet check
 * uses the agent-baked operator macaroon, never admin.
 */
export async function managedLightningWallet(
  ctx: ControllerContext,
  settings: OperatorSettings,
  node: HyperNode,
): Promise<{ pubkey?: string; condition: ConditionUpdate }> {
  const type = "LightningWalletReady";
  const lookup = managedNodeWallet(
    ctx,
    settings,
    node.metadata.namespace!,
    hyperNodeNames(node.metadata.name),
    LND_GRPC,
  );
  if (!lookup.ok)
    return {
      pubkey: lookup.pubkey,
      condition: { type, status: "False", reason: lookup.reason, message: lookup.message },
    };
  const pubkey = lookup.pubkey;
  try {
    const info = await lookup.wallet.getInfo();
    if (info.pubkey !== pubkey)
      return {
        condition: {
          type,
          status: "False",
          reason: "PubkeyMismatch",
          message: `lnd answers as ${info.pubkey}, the macaroons Secret names ${pubkey}`,
        },
      };
    return info.syncedToChain
      ? {
          pubkey,
          condition: {
            type,
            status: "True",
            reason: "WalletReady",
            message: `lnd ${info.version} is synced to chain`,
          },
        }
      : {
          pubkey,
          condition: {
            type,
            status: "False",
            reason: "NotSynced",
            message: `lnd at height ${info.blockHeight} is not synced to chain`,
          },
        };
  } catch (err) {
    // The pubkey stands (the agent read it from lnd): the treasury may open toward it meanwhile.
    return {
      pubkey,
      condition: {
        type,
        status: "False",
        reason: "LndUnreachable",
        message: (err as Error).message.slice(0, 500),
      },
    };
  }
}

/** Invariant 1: the node's wallet answers and is synced; also yields its pubkey. */
async function lightningWallet(
  ctx: ControllerContext,
  settings: OperatorSettings,
  node: HyperNode,
): Promise<{ pubkey?: string; condition: ConditionUpdate }> {
  const type = "LightningWalletReady";
  const l = node.spec.lightning;
  if (l.mode === "managed") return managedLightningWallet(ctx, settings, node);
  const lookup = await externalNodeWallet(ctx, settings, node.metadata.namespace!, l.external!);
  if (!lookup.ok)
    return { condition: { type, status: "False", reason: lookup.reason, message: lookup.message } };
  try {
    const info = await lookup.wallet.getInfo();
    if (!info.syncedToChain)
      return {
        pubkey: info.pubkey,
        condition: {
          type,
          status: "False",
          reason: "NotSynced",
          message: `lnd at height ${info.blockHeight} is not synced to chain`,
        },
      };
    return {
      pubkey: info.pubkey,
      condition: {
        type,
        status: "True",
        reason: "WalletReachable",
        // No block height here: it would change with every block and cost a status write.
        message: `lnd ${info.version} is synced to chain`,
      },
    };
  } catch (err) {
    return {
      condition: {
        type,
        status: "False",
        reason: "LndUnreachable",
        message: (err as Error).message.slice(0, 500),
      },
    };
  }
}

/** Managed-Lightning Secret material: generated only when the Secrets do not exist yet. */
function managedMaterial(ctx: ControllerContext, node: HyperNode): ManagedLightningMaterial | undefined {
  if (node.spec.lightning.mode !== "managed") return undefined;
  const n = hyperNodeNames(node.metadata.name);
  const secrets = ctx.informer("Secret");
  if ([n.lndTls, n.walletPassword, n.macaroonRootKey].every((s) => secrets.get(node.metadata.namespace, s)))
    return undefined;
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const host = `${n.lnd}.${node.metadata.namespace}.svc`;
  return {
    tlsKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    tlsCertPem: selfSignedCertificate(privateKey, {
      commonName: n.lnd,
      dnsNames: [n.lnd, host, "localhost"],
      days: 3650,
    }),
    walletPassword: randomBytes(32).toString("base64url"),
    macaroonRootKeyHex: randomBytes(32).toString("hex"),
  };
}

/** The node agent's API token: generated only when its Secret does not exist yet. */
function agentToken(ctx: ControllerContext, node: HyperNode): string | undefined {
  const name = hyperNodeNames(node.metadata.name).agentToken;
  return ctx.informer("Secret").get(node.metadata.namespace, name)
    ? undefined
    : randomBytes(32).toString("base64url");
}

const treasuryPubkeys = new Map<string, string>();
/**
 * The Core Treasury's lnd pubkey the node agents accept invoice requests for: configured, or
 * asked of the treasury lnd once per connection (it does not change) and remembered.
 */
async function treasuryPubkey(
  ctx: ControllerContext,
  settings: OperatorSettings,
): Promise<string | undefined> {
  if (settings.platform.treasuryPubkey) return settings.platform.treasuryPubkey;
  const lookup = await treasuryWallet(ctx, settings);
  if (!lookup.ok) return undefined;
  const key = `${lookup.connection.socket}|${lookup.connection.macaroonHex}`;
  const known = treasuryPubkeys.get(key);
  if (known) return known;
  try {
    const { pubkey } = await lookup.wallet.getInfo();
    treasuryPubkeys.set(key, pubkey);
    return pubkey;
  } catch {
    return undefined;
  }
}

/** A stable digest of the spec, so steady-state passes can tell nothing changed. */
export function specDigest(node: HyperNode): string {
  return createHash("sha256").update(JSON.stringify(node.spec)).digest("hex").slice(0, 16);
}

/**
 * The HyperNodes a Secret concerns: external lnd refs that name it, or a managed node's
 * `<hn>-lnd-macaroons` (written by the node agent, not owned by the HyperNode, so ownership
 * does not enqueue it).
 */
export function nodesNaming(secret: KubeObject, nodes: KubeObject[]): ReconcileRequest[] {
  const { name, namespace } = secret.metadata;
  return nodes
    .filter((n) => {
      if (n.metadata.namespace !== namespace) return false;
      const lightning = (
        n.spec as { lightning?: { mode?: string; external?: Record<string, { name?: string }> } }
      ).lightning;
      if (lightning?.mode === "managed") return hyperNodeNames(n.metadata.name).macaroons === name;
      const ext = lightning?.external;
      return ext?.tlsCertSecretRef?.name === name || ext?.macaroonSecretRef?.name === name;
    })
    .map((n) => ({ namespace: namespace!, name: n.metadata.name }));
}

/**
 * The HyperNode controller: an ordered list of steps — wallet, registration, children,
 * treasury channels, telemetry — whose conditions are applied by one status patch.
 */
export function hyperNodeController(settings: OperatorSettings): ControllerDefinition {
  return {
    name: "hypernode",
    kind: "HyperNode",
    owns: [
      "ConfigMap",
      "Secret",
      "Service",
      "ServiceAccount",
      "Deployment",
      "StatefulSet",
      "PersistentVolumeClaim",
      "NetworkPolicy",
      "Role",
      "RoleBinding",
      "LightningChannel",
    ],
    // A user's lnd Secret appearing or changing re-runs the HyperNodes that name it at once.
    watches: [
      { kind: "Secret", map: (secret, informer) => nodesNaming(secret, informer("HyperNode").list()) },
    ],
    async reconcile(req: ReconcileRequest, ctx: ControllerContext): Promise<ReconcileResult> {
      let raw = ctx.informer("HyperNode").get(req.namespace, req.name);
      if (!raw) return {};
      // Deleted: deregister at Core, then owner references let the GC remove every child.
      if (raw.metadata.deletionTimestamp) return finalizeHyperNode(ctx, settings, raw);
      if (!hasFinalizer(raw, HYPERNODE_FINALIZER))
        raw = await setFinalizer(ctx.client, raw, HYPERNODE_FINALIZER, true);
      const node = hyperNode.parse(raw);
      const wallet = await lightningWallet(ctx, settings, node);
      const registration = await ensureRegistered(ctx, settings, node, wallet.pubkey);
      const platform = { ...settings.platform, treasuryPubkey: await treasuryPubkey(ctx, settings) };
      const sync = await syncChildren(
        ctx,
        req.namespace,
        node.metadata.uid!,
        buildHyperNodeChildren(node, platform, managedMaterial(ctx, node), agentToken(ctx, node)),
      );
      if (sync.applied.length) ctx.events.normal(raw, "ChildrenApplied", sync.applied.join(", "));
      if (sync.deleted.length) ctx.events.normal(raw, "ChildrenRemoved", sync.deleted.join(", "));
      const channels = await ensureTreasuryChannels(
        ctx,
        node,
        () => treasuryWallet(ctx, settings),
        wallet.pubkey,
      );
      const telemetry = await telemetryCondition(settings, registration.nodeId, ctx.now());
      const workloads = await hyperNodeWorkloads(ctx, req.namespace, req.name);
      const updates = [registration.condition, workloads, wallet.condition, channels.condition, telemetry];
      const generation = node.metadata.generation;
      await patchStatus<Record<string, unknown>>(ctx.client, raw, [
        (s) => {
          const conditions = setConditions(
            s.conditions as Condition[] | undefined,
            updates,
            generation,
            ctx.now(),
          );
          return {
            ...s,
            observedGeneration: generation,
            nodeId: registration.nodeId ?? s.nodeId,
            lightningPubkey: wallet.pubkey ?? s.lightningPubkey,
            treasuryChannels: channels.count,
            conditions: setConditions(
              conditions,
              [summarizeReady(conditions, READY_DEPENDS_ON)],
              generation,
              ctx.now(),
            ),
          };
        },
      ]);
      const opening =
        channels.condition.reason === "ChannelOpening" || channels.condition.reason === "ChannelMissing";
      // Pods are not the HyperNode's children (their ReplicaSets are), so a pod that stops
      // pulling or crashing is seen on the next pass: come back sooner while one is unwell.
      const unwell = workloads.status !== "True";
      return { requeueAfterMs: opening || unwell ? Math.min(settings.pollMs, 3_000) : settings.pollMs };
    },
  };
}
