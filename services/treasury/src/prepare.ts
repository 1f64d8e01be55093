import { createHash, randomBytes } from "node:crypto";
import type { AgentAnswer, AgentEndpoint } from "./agent-client.ts";
import { feeLimitSats, invoiceProblem, isLightningPubkey } from "./checks.ts";
import type { DuePayment } from "./core-client.ts";
import { type DriveDeps, liquidityWait, type Wait } from "./payer.ts";
import type { LocalPayment } from "./store.ts";

/** What preparing a due payment needs beyond driving it. */
export interface PrepareDeps extends DriveDeps {
  /**
   * A node's agent: the static directory (HH_TREASURY_AGENTS) first, else what the agent
   * reported to Core (`GET /api/v1/nodes/:nodeId/agent`); undefined when neither knows it.
   */
  agentFor: (nodeId: string) => Promise<AgentEndpoint | undefined>;
  requestInvoice: (agent: AgentEndpoint, windowBlockHash: string, amountSats: bigint) => Promise<AgentAnswer>;
  /** The node's pubkey from Core, for agents configured without one. */
  nodePubkeyFromCore: (nodeId: string) => Promise<string | undefined>;
  minInvoiceLifeSeconds: number;
  onchainMinSats: bigint;
  now: () => Date;
}

export type Prepared = { ok: true; payment: LocalPayment } | { ok: false; wait: Wait };

const waiting = (reason: Wait["reason"], detail: string): Prepared => ({
  ok: false,
  wait: { reason, detail },
});

/**
 * Turns a due payment into a stored one, before anything is paid: a node's invoice (checked:
 * exact amount, the node's pubkey, the agent's hash, enough life), a keysend preimage made here,
 * or an on-chain output. Returns why it waits instead when it cannot be paid now.
 */
export async function prepareDuePayment(deps: PrepareDeps, due: DuePayment): Promise<Prepared> {
  if (due.kind === "node") return prepareNode(deps, due);
  const destination = due.destination ?? due.recipientId.slice("miner:".length);
  if (isLightningPubkey(destination)) {
    const wait = await liquidityWait(deps, due.amountSats);
    if (wait) return { ok: false, wait };
    // The preimage is ours: stored before the first send, so every retry reuses its hash.
    const preimage = randomBytes(32).toString("hex");
    const paymentHash = createHash("sha256").update(Buffer.from(preimage, "hex")).digest("hex");
    return store(deps, due, { method: "keysend", destination, paymentHash, preimage, invoice: null });
  }
  if (due.amountSats < deps.onchainMinSats)
    return waiting(
      "BelowOnchainThreshold",
      `${due.amountSats} sats < on-chain minimum ${deps.onchainMinSats}`,
    );
  return store(deps, due, {
    method: "onchain",
    destination,
    paymentHash: null,
    preimage: null,
    invoice: null,
  });
}

async function prepareNode(deps: PrepareDeps, due: DuePayment): Promise<Prepared> {
  const nodeId = due.nodeId ?? due.recipientId.slice("node:".length);
  const agent = await deps.agentFor(nodeId);
  if (!agent)
    return waiting("NoNodeAgent", `no agent endpoint for ${nodeId} (configured or reported to Core)`);
  const pubkey = agent.pubkey ?? (await deps.nodePubkeyFromCore(nodeId));
  if (!pubkey) return waiting("NodePubkeyUnknown", `no Lightning pubkey known for ${nodeId}`);
  const liquidity = await liquidityWait(deps, due.amountSats);
  if (liquidity) return { ok: false, wait: liquidity };

  const answer = await deps.requestInvoice(agent, due.windowBlockHash, due.amountSats);
  if (!answer.ok) {
    const { reason, message } = answer.refusal;
    return reason === "insufficient-inbound"
      ? waiting("InsufficientLiquidity", `node inbound: ${message}`)
      : waiting("AgentRefused", `${reason}: ${message}`);
  }
  const decoded = await deps.lnd.decodeRequest(answer.invoice.request);
  const problem = invoiceProblem(decoded, {
    amountSats: due.amountSats,
    destination: pubkey,
    paymentHash: answer.invoice.paymentHash,
    now: deps.now(),
    minLifeSeconds: deps.minInvoiceLifeSeconds,
  });
  if (problem) return waiting("InvalidInvoice", problem);
  deps.logger.debug("node invoice checked", {
    nodeId,
    paymentHash: decoded.paymentHash,
    feeLimitSats: feeLimitSats(due.amountSats, deps.feeLimits),
  });
  return store(deps, due, {
    method: "invoice",
    destination: pubkey,
    paymentHash: decoded.paymentHash,
    preimage: null,
    invoice: answer.invoice.request,
  });
}

function store(
  deps: PrepareDeps,
  due: DuePayment,
  fields: Pick<LocalPayment, "method" | "destination" | "paymentHash" | "preimage" | "invoice">,
): Prepared {
  return {
    ok: true,
    payment: deps.store.insert({
      windowBlockHash: due.windowBlockHash,
      recipientId: due.recipientId,
      kind: due.kind,
      amountSats: due.amountSats,
      ...fields,
    }),
  };
}
