/**
 * A stand-in template provider for the share-path benchmark only (no btcd, so the figures
 * measure the pool and nothing else): a Noise responder speaking Template Distribution with
 * synthetic empty-block templates. Tests never use it; they run against btcd and the real hh-tp.
 */
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { createServer, type Socket } from "node:net";
import {
  bip34HeightPush,
  coinbaseLockConvention,
  serializeOutputs,
  subsidy,
  witnessCommitment,
  witnessCommitmentOutput,
} from "@hyperhash/bitcoin";
import {
  decodeMessage,
  encodeMessage,
  type SubmitSolution,
  type Sv2Message,
  xOnlyPublicKey,
} from "@hyperhash/sv2";
import { acceptResponder, type Sv2Connection } from "@hyperhash/sv2/connection";

/** The fake TP's handle. */
export interface FakeTemplateProvider {
  readonly port: number;
  readonly authorityPublicKey: Uint8Array;
  readonly solutions: SubmitSolution[];
  /** Height of the current tip's template. */
  height: number;
  /** Sends a new tip (future template + SetNewPrevHash) to every client. */
  newTip(): Promise<void>;
  /** Sends a fee update (non-future template on the current tip). */
  feeUpdate(fees: bigint): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the fake TP; every client gets the current template and tip after CoinbaseOutputConstraints. */
export async function startFakeTemplateProvider(startHeight = 500): Promise<FakeTemplateProvider> {
  const authority = randomBytes(32);
  const clients = new Set<Sv2Connection>();
  const sockets = new Set<Socket>();
  const solutions: SubmitSolution[] = [];
  let templateId = 0n;
  let height = startHeight;
  let prevHash: Uint8Array = randomBytes(32);
  let current: Sv2Message[] = [];

  const template = (future: boolean, fees: bigint): Sv2Message => {
    const lock = coinbaseLockConvention(height);
    return {
      type: "NewTemplate",
      templateId: ++templateId,
      futureTemplate: future,
      version: 0x2000_0000,
      coinbaseTxVersion: 2,
      coinbasePrefix: bip34HeightPush(height),
      coinbaseTxInputSequence: lock.sequence,
      coinbaseTxValueRemaining: subsidy(height, "regtest") + fees,
      coinbaseTxOutputsCount: 1,
      coinbaseTxOutputs: serializeOutputs([witnessCommitmentOutput(witnessCommitment([]))]),
      coinbaseTxLocktime: lock.lockTime,
      merklePath: [],
    };
  };
  const tipMessages = (): Sv2Message[] => {
    const t = template(true, 1000n);
    return [
      t,
      {
        type: "SetNewPrevHashTdp",
        templateId: (t as { templateId: bigint }).templateId,
        prevHash,
        headerTimestamp: Math.floor(Date.now() / 1000) - 30,
        nBits: 0x207fffff,
        target: new Uint8Array(32).fill(0xff),
      },
    ];
  };
  current = tipMessages();
  const broadcast = async (messages: Sv2Message[]) => {
    for (const c of clients) for (const m of messages) await c.send(encodeMessage(m)).catch(() => {});
  };

  const advance = async () => {
    height++;
    prevHash = randomBytes(32);
    current = tipMessages();
    await broadcast(current);
  };
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    acceptResponder(socket, {
      staticKey: randomBytes(32),
      authoritySecretKey: authority,
      certificateValiditySeconds: 3600,
      handshakeTimeoutMs: 5000,
      maxPayload: 1 << 20,
    }).then(
      async (conn) => {
        try {
          for await (const frame of conn.frames()) {
            const m = decodeMessage(frame);
            if (m.type === "SetupConnection")
              await conn.send(encodeMessage({ type: "SetupConnection.Success", usedVersion: 2, flags: 0 }));
            else if (m.type === "CoinbaseOutputConstraints") {
              clients.add(conn);
              for (const c of current) await conn.send(encodeMessage(c));
            } else if (m.type === "SubmitSolution") {
              solutions.push(m);
              // As a node would: the solved block becomes the tip.
              await advance();
            }
          }
        } catch {
          // a client that broke the protocol is just dropped
        } finally {
          clients.delete(conn);
        }
      },
      () => {},
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    authorityPublicKey: xOnlyPublicKey(authority),
    solutions,
    get height() {
      return height;
    },
    newTip: advance,
    async feeUpdate(fees) {
      const t = template(false, fees);
      current = [...current, t];
      await broadcast([t]);
    },
    stop: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
