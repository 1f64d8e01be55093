import { createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import { buildHyperNodeChildren, hyperNodeNames, type ManagedLightningMaterial } from "@hyperhash/cdk8s";
import type { Condition } from "../api/common.ts";
import { type ConditionUpdate, setConditions, summarizeReady } from "../api/conditions.ts";
import { type HyperNode, hyperNode } from "../api/hypernode-types.ts";
import type {
  ControllerContext,
  ControllerDefinition,
  ReconcileRequest,
  ReconcileResult,
} from "../runtime/controller.ts";
import type { KubeObject } from "../runtime/kube.ts";
import { patchStatus } from "../runtime/status.ts";
import { syncChildren } from "./children.ts";
import { ensureTreasuryChannels } from "./hypernode-channels.ts";
import { ensureRegistered, telemetryCondition } from "./hypernode-registration.ts";
import { externalNodeWallet, treasuryWallet } from "./lnd-access.ts";
import type { OperatorSettings } from "./settings.ts";
import { selfSignedCertificate } from "./tls.ts";

/** Conditions Ready depends on, in the order a human should fix them. */
export const READY_DEPENDS_ON = [
  "Registered",
  "LightningWalletReady",
  "TreasuryChannelOpen",
  "TelemetryReporting",
];

/** Invariant 1: the node's wallet answers and is synced; also yields its pubkey. */
async function lightningWallet(
  ctx: ControllerContext,
  settings: OperatorSettings,
  node: HyperNode,
): Promise<{ pubkey?: string; condition: ConditionUpdate }> {
  const type = "LightningWalletReady";
  const l = node.spec.lightning;
  if (l.mode === "managed") {
    const sts = ctx
      .informer("StatefulSet")
      .get(node.metadata.namespace, hyperNodeNames(node.metadata.name).lnd);
    const ready = (sts?.status as { readyReplicas?: number } | undefined)?.readyReplicas ?? 0;
    return ready > 0
      ? {
          pubkey: node.status?.lightningPubkey,
          condition: { type, status: "True", reason: "LndReady", message: "managed lnd pod is ready" },
        }
      : {
          condition: {
            type,
            status: "False",
            reason: "WaitingForLnd",
            message: "the managed lnd StatefulSet has no ready pod",
          },
        };
  }
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

/** A stable digest of the spec, so steady-state passes can tell nothing changed. */
export function specDigest(node: HyperNode): string {
  return createHash("sha256").update(JSON.stringify(node.spec)).digest("hex").slice(0, 16);
}

/** The HyperNodes whose external lnd refs name this Secret. */
export function nodesNaming(secret: KubeObject, nodes: KubeObject[]): ReconcileRequest[] {
  const { name, namespace } = secret.metadata;
  return nodes
    .filter((n) => {
      if (n.metadata.namespace !== namespace) return false;
      const ext = (n.spec as { lightning?: { external?: Record<string, { name?: string }> } }).lightning
        ?.external;
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
      const raw = ctx.informer("HyperNode").get(req.namespace, req.name);
      // Deleted: owner references let the garbage collector remove every child.
      if (!raw || raw.metadata.deletionTimestamp) return {};
      const node = hyperNode.parse(raw);
      const wallet = await lightningWallet(ctx, settings, node);
      const registration = await ensureRegistered(ctx, settings, node, wallet.pubkey);
      const sync = await syncChildren(
        ctx,
        req.namespace,
        node.metadata.uid!,
        buildHyperNodeChildren(node, settings.platform, managedMaterial(ctx, node)),
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
      const updates = [registration.condition, wallet.condition, channels.condition, telemetry];
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
      return { requeueAfterMs: opening ? Math.min(settings.pollMs, 3_000) : settings.pollMs };
    },
  };
}
