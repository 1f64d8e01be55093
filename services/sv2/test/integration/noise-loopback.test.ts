/**
 * Noise over real TCP (sv2-spec §4.5 handshake, §4.6 encrypted framing) through connection.ts:
 * a server on 127.0.0.1, port 0, and a client exchange 10,000 frames each way.
 */
import { once } from "node:events";
import { type AddressInfo, connect, createServer, type Socket } from "node:net";
import test from "ava";
import { acceptResponder, connectInitiator, type Sv2Connection } from "../../src/connection.ts";
import type { Frame } from "../../src/framing.ts";
import { NoiseError, xOnlyPublicKey } from "../../src/noise/index.ts";
import { testKeys } from "../unit/noise-fixtures.ts";

const FRAMES_EACH_WAY = 10_000;
const BIG_INDEX = 4_321;
const BIG_PAYLOAD = 200_000; // > 65,519: three full chunks and a partial one
const keys = testKeys();

/** Deterministic frame `i` of a direction: sizes vary, content depends on index and side. */
function frameAt(i: number, side: number): Frame {
  const length = i === BIG_INDEX ? BIG_PAYLOAD : (i * 37) % 300;
  const payload = new Uint8Array(length);
  for (let j = 0; j < length; j++) payload[j] = (i + j * 7 + side) & 0xff;
  return {
    header: { extensionType: 0, channelMsg: i % 2 === 1, msgType: i & 0xff, msgLength: length },
    payload,
  };
}

function sameFrame(a: Frame, b: Frame): boolean {
  const h = a.header;
  const g = b.header;
  return (
    h.extensionType === g.extensionType &&
    h.channelMsg === g.channelMsg &&
    h.msgType === g.msgType &&
    h.msgLength === g.msgLength &&
    a.payload.length === b.payload.length &&
    a.payload.every((byte, j) => byte === b.payload[j])
  );
}

async function sendAll(connection: Sv2Connection, side: number): Promise<void> {
  for (let i = 0; i < FRAMES_EACH_WAY; i++) await connection.send(frameAt(i, side));
}

/** Returns the index of the first mismatch, or -1 when all frames arrived intact and in order. */
async function receiveAll(connection: Sv2Connection, side: number): Promise<number> {
  let i = 0;
  for await (const frame of connection.frames()) {
    if (!sameFrame(frame, frameAt(i, side))) return i;
    if (++i === FRAMES_EACH_WAY) return -1;
  }
  return i;
}

async function listen(t: { teardown: (fn: () => void) => void }, onSocket: (socket: Socket) => void) {
  const server = createServer(onSocket);
  const sockets = new Set<Socket>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  t.teardown(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return (server.address() as AddressInfo).port;
}

async function dial(port: number): Promise<Socket> {
  const socket = connect(port, "127.0.0.1");
  await once(socket, "connect");
  return socket;
}

test("sv2-spec §4.5–4.6 [integration]: TCP loopback handshake and 10,000 frames each way in order", async (t) => {
  t.timeout(120_000);
  let serverSide: Promise<Sv2Connection> | undefined;
  const port = await listen(t, (socket) => {
    serverSide = acceptResponder(socket, {
      staticKey: keys.staticSecretKey,
      authoritySecretKey: keys.authoritySecretKey,
      certificateValiditySeconds: 3600,
      handshakeTimeoutMs: 5_000,
      maxPayload: 0xffffff,
    });
  });
  const clientSocket = await dial(port);
  t.teardown(() => clientSocket.destroy());
  const client = await connectInitiator(clientSocket, {
    authorityPublicKey: keys.authorityPublicKey,
    handshakeTimeoutMs: 5_000,
    maxPayload: 0xffffff,
  });
  const server = await serverSide!;
  t.deepEqual(client.responderStaticKey, xOnlyPublicKey(keys.staticSecretKey));
  t.deepEqual(client.handshakeHash, server.handshakeHash);

  const [clientGot, serverGot] = await Promise.all([
    receiveAll(client, 2),
    receiveAll(server, 1),
    sendAll(client, 1),
    sendAll(server, 2),
  ]);
  t.is(clientGot, -1, "client received every server frame in order");
  t.is(serverGot, -1, "server received every client frame in order");

  client.close();
  t.is(await server.closed, null);
});

test("sv2-spec §4.5.3 [integration]: wrong authority key ends the connection with a typed error", async (t) => {
  const port = await listen(t, (socket) => {
    acceptResponder(socket, {
      staticKey: keys.staticSecretKey,
      authoritySecretKey: keys.otherAuthoritySecretKey,
      certificateValiditySeconds: 3600,
      handshakeTimeoutMs: 5_000,
      maxPayload: 1024,
    }).catch(() => {});
  });
  const socket = await dial(port);
  t.teardown(() => socket.destroy());
  const error = await t.throwsAsync(
    connectInitiator(socket, {
      authorityPublicKey: keys.authorityPublicKey,
      handshakeTimeoutMs: 5_000,
      maxPayload: 1024,
    }),
    { instanceOf: NoiseError },
  );
  t.is(error?.code, "CERT_BAD_SIGNATURE");
  t.true(socket.destroyed);
});

test("sv2-spec §4.5 [integration]: a silent peer hits the handshake timeout", async (t) => {
  let accepted: Promise<Sv2Connection> | undefined;
  const port = await listen(t, (socket) => {
    accepted = acceptResponder(socket, {
      staticKey: keys.staticSecretKey,
      authoritySecretKey: keys.authoritySecretKey,
      certificateValiditySeconds: 3600,
      handshakeTimeoutMs: 200,
      maxPayload: 1024,
    });
  });
  const socket = await dial(port);
  t.teardown(() => socket.destroy());
  while (!accepted) await new Promise((resolve) => setTimeout(resolve, 5));
  const error = await t.throwsAsync(accepted, { instanceOf: NoiseError });
  t.is(error?.code, "HANDSHAKE_TIMEOUT");
  await once(socket, "close");
  t.true(socket.destroyed, "the responder closed the socket after the timeout");
});

test("sv2-spec §4.6 [integration]: a frame above maxPayload ends the connection with FRAME_TOO_LARGE", async (t) => {
  let serverSide: Promise<Sv2Connection> | undefined;
  const port = await listen(t, (socket) => {
    serverSide = acceptResponder(socket, {
      staticKey: keys.staticSecretKey,
      authoritySecretKey: keys.authoritySecretKey,
      certificateValiditySeconds: 3600,
      handshakeTimeoutMs: 5_000,
      maxPayload: 1024,
    });
  });
  const socket = await dial(port);
  t.teardown(() => socket.destroy());
  const client = await connectInitiator(socket, { handshakeTimeoutMs: 5_000, maxPayload: 1024 });
  const server = await serverSide!;
  await client.send(frameAt(1, 1));
  await client.send(frameAt(BIG_INDEX, 1)).catch(() => {}); // the server may close before the write ends
  const received: Frame[] = [];
  const error = await t.throwsAsync(
    (async () => {
      for await (const frame of server.frames()) received.push(frame);
    })(),
    { instanceOf: NoiseError },
  );
  t.is(error?.code, "FRAME_TOO_LARGE");
  t.is(received.length, 1, "frames before the bad one are still delivered, in order");
  t.is((await server.closed)?.code, "FRAME_TOO_LARGE");
  await client.closed;
});
