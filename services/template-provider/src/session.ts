/**
 * One Template Distribution client (sv2-spec §7): SetupConnection (protocol 2), then
 * CoinbaseOutputConstraints, then templates. Frames are handled strictly in order by one
 * loop; anything undecodable or out of place ends this connection only.
 *
 * Per client: its constraints pick its template variant, its own rate limit spaces fee
 * updates (`feeUpdateIntervalMs` after the last template it got), and the ids it was sent
 * are remembered so RequestTransactionData for someone else's id is "not found".
 */

import {
  decodeMessage,
  encodeMessage,
  type Frame,
  type MessageOf,
  PROTOCOL,
  type SubmitSolution,
  type Sv2Message,
} from "@hyperhash/sv2";
import type { Sv2Connection } from "@hyperhash/sv2/connection";
import type { Logger } from "@hyperhash/telemetry";
import type { TpMetrics } from "./metrics.ts";
import {
  type CoinbaseConstraints,
  newTemplateMessage,
  setNewPrevHashMessage,
  type TemplateVariant,
} from "./template.ts";
import type { TemplateBook } from "./template-book.ts";

/** The SV2 protocol version this TP speaks (sv2-spec §3.6.1: version 2). */
export const SV2_VERSION = 2;
/** Ids remembered per client for RequestTransactionData. */
const REMEMBERED_IDS = 256;

/**
 * A new tip's NewTemplate(future) + SetNewPrevHash for a variant, encoded once for every client
 * that gets it (variants are immutable; only the encryption is per client).
 */
const tipFrames = new WeakMap<TemplateVariant, readonly Frame[]>();
function tipFramesFor(variant: TemplateVariant): readonly Frame[] {
  let frames = tipFrames.get(variant);
  if (!frames) {
    frames = [
      encodeMessage(newTemplateMessage(variant, true)),
      encodeMessage(setNewPrevHashMessage(variant)),
    ];
    tipFrames.set(variant, frames);
  }
  return frames;
}

/** What a session needs from the process. */
export interface SessionHost {
  readonly book: TemplateBook;
  readonly metrics: TpMetrics;
  readonly feeUpdateIntervalMs: number;
  now(): number;
  /** Assemble, submit and count a solution (the node's verdict is logged there). */
  submitSolution(solution: SubmitSolution, log: Logger): Promise<void>;
}

/** A connected client. */
export interface TdpSession {
  /** Reads frames until the client leaves or misbehaves; resolves after cleanup. */
  run(): Promise<void>;
  /** A new tip was published: future NewTemplate + SetNewPrevHash, at once. */
  onNewTip(): Promise<void>;
  /** A fee update was published: NewTemplate(future=false) once this client's rate limit allows. */
  onFeeUpdate(): void;
  /** True once constraints arrived and until the connection ends. */
  readonly active: boolean;
}

type Outcome = "continue" | "close";

/** Creates the session for an established Noise connection. */
export function createTdpSession(
  conn: Sv2Connection,
  host: SessionHost,
  log: Logger,
  destroy: () => void,
): TdpSession {
  let stage: "setup" | "constraints" | "active" | "closed" = "setup";
  let constraints: CoinbaseConstraints = { maxAdditionalSize: 0, maxAdditionalSigops: 0 };
  let lastSentId = 0n;
  let lastPrevHash = "";
  let lastTemplateAt = Number.NEGATIVE_INFINITY;
  let feeTimer: NodeJS.Timeout | null = null;
  const sentIds = new Set<bigint>();

  const closeOnFailure = (error: unknown) => {
    log.debug("send failed; closing", { error });
    destroy();
  };
  const send = (message: Sv2Message): Promise<void> =>
    conn.send(encodeMessage(message)).catch(closeOnFailure);

  const remember = (id: bigint) => {
    sentIds.add(id);
    if (sentIds.size > REMEMBERED_IDS) sentIds.delete(sentIds.values().next().value!);
  };

  const clearFeeTimer = () => {
    if (feeTimer) clearTimeout(feeTimer);
    feeTimer = null;
  };

  function onNewTip(): Promise<void> {
    if (stage !== "active") return Promise.resolve();
    const variant = host.book.variantFor(constraints);
    if (!variant || variant.candidate.prevHash === lastPrevHash) return Promise.resolve();
    clearFeeTimer();
    lastSentId = variant.id;
    lastPrevHash = variant.candidate.prevHash;
    lastTemplateAt = host.now();
    remember(variant.id);
    host.metrics.templatesSent.inc({ kind: "future" });
    // One write, in this order: SRI pools need the future template first.
    return conn.sendAll(tipFramesFor(variant)).catch(closeOnFailure);
  }

  function sendFeeUpdate(): void {
    feeTimer = null;
    if (stage !== "active") return;
    const variant = host.book.variantFor(constraints);
    // A tip that arrived meanwhile is onNewTip's to send, as a future template.
    if (!variant || variant.id === lastSentId || variant.candidate.prevHash !== lastPrevHash) return;
    lastSentId = variant.id;
    lastTemplateAt = host.now();
    remember(variant.id);
    host.metrics.templatesSent.inc({ kind: "fee" });
    void send(newTemplateMessage(variant, false));
  }

  function onFeeUpdate(): void {
    if (stage !== "active" || feeTimer) return;
    const wait = lastTemplateAt + host.feeUpdateIntervalMs - host.now();
    if (wait <= 0) sendFeeUpdate();
    else feeTimer = setTimeout(sendFeeUpdate, Math.ceil(wait));
  }

  async function handleSetup(m: Sv2Message): Promise<Outcome> {
    if (m.type !== "SetupConnection") {
      log.warn("first message is not SetupConnection; closing", { got: m.type });
      return "close";
    }
    const reply = (errorCode: string) =>
      send({ type: "SetupConnection.Error", flags: 0, errorCode }).then(() => "close" as const);
    if (m.protocol !== PROTOCOL.TEMPLATE_DISTRIBUTION) return reply("unsupported-protocol");
    if (m.minVersion > SV2_VERSION || m.maxVersion < SV2_VERSION) return reply("protocol-version-mismatch");
    await send({ type: "SetupConnection.Success", usedVersion: SV2_VERSION, flags: 0 });
    stage = "constraints";
    log.info("client set up", { vendor: m.vendor, firmware: m.firmware, endpoint: m.endpointHost });
    return "continue";
  }

  function handleConstraints(m: MessageOf<"CoinbaseOutputConstraints">): Outcome {
    constraints = {
      maxAdditionalSize: m.coinbaseOutputMaxAdditionalSize,
      maxAdditionalSigops: m.coinbaseOutputMaxAdditionalSigops,
    };
    log.info("coinbase output constraints", { ...constraints });
    if (stage === "constraints") {
      stage = "active";
      void onNewTip(); // nothing to send yet when no template exists; the first tip will do it
    }
    return "continue";
  }

  async function handleRequestTransactionData(templateId: bigint): Promise<Outcome> {
    const found = host.book.lookup(templateId);
    if (found.kind === "current" && sentIds.has(templateId)) {
      await send({
        type: "RequestTransactionData.Success",
        templateId,
        excessData: new Uint8Array(0),
        transactionList: found.variant.transactions.map((t) => t.data),
      });
    } else {
      const errorCode = found.kind === "stale" ? "stale-template-id" : "template-id-not-found";
      await send({ type: "RequestTransactionData.Error", templateId, errorCode });
    }
    return "continue";
  }

  async function handle(m: Sv2Message): Promise<Outcome> {
    if (stage === "setup") return handleSetup(m);
    switch (m.type) {
      case "CoinbaseOutputConstraints":
        return handleConstraints(m);
      case "RequestTransactionData":
        if (stage !== "active") break;
        return handleRequestTransactionData(m.templateId);
      case "SubmitSolution":
        if (stage !== "active") break;
        await host.submitSolution(m, log);
        return "continue";
      default:
        break;
    }
    log.warn("unexpected message; closing", { got: m.type, stage });
    return "close";
  }

  async function run(): Promise<void> {
    try {
      for await (const frame of conn.frames()) {
        let message: Sv2Message;
        try {
          message = decodeMessage(frame);
        } catch (error) {
          log.warn("undecodable frame; closing this connection", { error });
          break;
        }
        if ((await handle(message)) === "close") break;
      }
    } catch (error) {
      log.debug("connection ended with an error", { error });
    } finally {
      stage = "closed";
      clearFeeTimer();
      conn.close();
      destroy();
    }
  }

  return {
    run,
    onNewTip,
    onFeeUpdate,
    get active() {
      return stage === "active";
    },
  };
}
