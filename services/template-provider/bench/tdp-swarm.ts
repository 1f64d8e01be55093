/**
 * The tip benchmark's clients, in their own process (tip.bench.ts spawns it), so that what a
 * client sees is not delayed by the TP's own event loop: `n` Template Distribution clients on
 * the TP at host:port. For every SetNewPrevHash a client receives it prints one JSON line with
 * the wall-clock time (performance.timeOrigin + now, the same clock across processes) at which
 * the socket read that carried it ran, taken by a 'data' listener placed before the connection's
 * own, so decrypting and decoding are not counted.
 *
 *   tsx bench/tdp-swarm.ts <host> <port> <authority-key-hex> <n>
 */
import { hashToDisplayHex } from "@hyperhash/bitcoin";
import { openTdpClient } from "../test/support/tdp-client.ts";

const [host, portArg, keyHex, nArg] = process.argv.slice(2);
if (!host || !portArg || !keyHex || !nArg) {
  console.error("usage: tdp-swarm.ts <host> <port> <authority-key-hex> <n>");
  process.exit(2);
}
const authorityPublicKey = Uint8Array.from(Buffer.from(keyHex, "hex"));
const n = Number(nArg);
const wallNow = () => performance.timeOrigin + performance.now();

const clients: Awaited<ReturnType<typeof openTdpClient>>[] = [];
for (let i = 0; i < n; i++) {
  const c = await openTdpClient({ host, port: Number(portArg), authorityPublicKey });
  await c.next("SetNewPrevHashTdp");
  clients.push(c);
}
console.log(JSON.stringify({ event: "ready", clients: n }));
clients.forEach((c, i) => {
  let readAt = 0;
  c.socket.prependListener("data", () => {
    readAt = wallNow();
  });
  void (async () => {
    for (;;) {
      const m = await c.next("SetNewPrevHashTdp", 3_600_000);
      console.log(
        JSON.stringify({ event: "tip", client: i, prevHash: hashToDisplayHex(m.prevHash), readAt }),
      );
    }
  })().catch(() => {});
});
process.stdin.once("end", () => {
  for (const c of clients) c.close();
  process.exit(0);
});
process.stdin.resume();
