import { hyperNodeNames, MANAGED_BY } from "@hyperhash/cdk8s";
import type { ConditionUpdate } from "../api/conditions.ts";
import type { HyperNode } from "../api/hypernode-types.ts";
import type { ControllerContext } from "../runtime/controller.ts";
import type { OperatorSettings } from "./settings.ts";

/** The outcome of registration: the node id (when known) and the Registered condition. */
export interface Registration {
  nodeId?: string;
  condition: ConditionUpdate;
}

/** The name the node is registered under in Core: unique across namespaces. */
export function coreNodeName(node: HyperNode): string {
  return `${node.metadata.namespace}.${node.metadata.name}`;
}

/**
 * Registers the node with Core once and keeps `<name>-credentials` in place. The Secret is
 * written right after Core answers (before status), so a crash between the two never loses
 * the node id; a lost Secret with a known node id gets a rotated credential.
 */
export async function ensureRegistered(
  ctx: ControllerContext,
  settings: OperatorSettings,
  node: HyperNode,
  lightningPubkey: string | undefined,
): Promise<Registration> {
  const ns = node.metadata.namespace!;
  const secretName = hyperNodeNames(node.metadata.name).credentials;
  const secret = ctx.informer("Secret").get(ns, secretName) as { data?: Record<string, string> } | undefined;
  const storedId = secret?.data?.nodeId ? Buffer.from(secret.data.nodeId, "base64").toString() : undefined;
  if (storedId && secret?.data?.credential)
    return {
      nodeId: storedId,
      condition: {
        type: "Registered",
        status: "True",
        reason: "Registered",
        message: `Core node id ${storedId}`,
      },
    };

  const knownId = node.status?.nodeId ?? storedId;
  let answer = knownId
    ? await settings.core.rotateCredential(knownId)
    : await settings.core.registerNode({
        name: coreNodeName(node),
        visibility: node.spec.visibility,
        lightningPubkey,
      });
  let rotated = knownId !== undefined;
  // The name is registered already (our status and Secret were lost, e.g. the HyperNode was
  // restored from a backup without status): adopt Core's id. A Secret still holding a
  // credential is kept as it is; otherwise the credential is rotated, since Core shows a
  // credential only once.
  if (!answer.ok && answer.error.code === "node-exists" && answer.error.nodeId) {
    const existingId = answer.error.nodeId;
    if (secret?.data?.credential)
      return adopt(
        ctx,
        node,
        secretName,
        existingId,
        Buffer.from(secret.data.credential, "base64").toString(),
      );
    answer = await settings.core.rotateCredential(existingId);
    rotated = true;
  }
  if (!answer.ok) {
    const reason =
      answer.error.code === "node-exists"
        ? "NodeExists"
        : answer.error.status === 0
          ? "CoreUnreachable"
          : "CoreRefused";
    return {
      nodeId: knownId,
      condition: {
        type: "Registered",
        status: "False",
        reason,
        message: `${answer.error.code}: ${answer.error.message}`,
      },
    };
  }
  return adopt(ctx, node, secretName, answer.value.nodeId, answer.value.credential, rotated);
}

/** Writes `<name>-credentials` (node id + credential) and answers Registered=True. */
async function adopt(
  ctx: ControllerContext,
  node: HyperNode,
  secretName: string,
  nodeId: string,
  credential: string,
  rotated = false,
): Promise<Registration> {
  const ns = node.metadata.namespace!;
  await ctx.client.apply({
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: secretName,
      namespace: ns,
      labels: { ...MANAGED_BY, "hyperhash.network/hypernode": node.metadata.name },
      ownerReferences: [
        {
          apiVersion: node.apiVersion,
          kind: node.kind,
          name: node.metadata.name,
          uid: node.metadata.uid!,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    type: "Opaque",
    stringData: { nodeId, credential },
  });
  ctx.events.normal(node as never, rotated ? "CredentialRotated" : "Registered", `Core node id ${nodeId}`);
  return {
    nodeId,
    condition: {
      type: "Registered",
      status: "True",
      reason: "Registered",
      message: `Core node id ${nodeId}`,
    },
  };
}

/** TelemetryReporting (invariant 3) from Core's view of the node. */
export async function telemetryCondition(
  settings: OperatorSettings,
  nodeId: string | undefined,
  now: Date,
): Promise<ConditionUpdate> {
  const type = "TelemetryReporting";
  if (!nodeId)
    return { type, status: "Unknown", reason: "NotRegistered", message: "the node has no Core node id yet" };
  const answer = await settings.core.getNode(nodeId);
  if (!answer.ok)
    return { type, status: "Unknown", reason: "CoreUnreachable", message: answer.error.message };
  const telemetry = answer.value.telemetry;
  if (!telemetry)
    return {
      type,
      status: "False",
      reason: "NoTelemetry",
      message: "Core has no telemetry from this node yet",
    };
  const ageMs = now.getTime() - Date.parse(telemetry.reportedAt);
  if (ageMs > settings.telemetryStaleMs)
    return {
      type,
      status: "False",
      reason: "TelemetryStale",
      message: `no report for more than ${settings.telemetryStaleMs / 1000} s (last at ${telemetry.reportedAt})`,
    };
  // No age in the message: it would change every poll and cost a status write each time.
  return {
    type,
    status: "True",
    reason: "Reporting",
    message: `Core has telemetry newer than ${settings.telemetryStaleMs / 1000} s`,
  };
}
