/**
 * Concurrent SV1 connections one translator process holds: N clients subscribe and stay
 * connected; the translator runs in a child process so its memory is measured alone.
 * (Subscribed, not authorized: an authorized per-miner connection also holds a pool channel.)
 */
import { fork } from "node:child_process";
import { connect, type Socket } from "node:net";
import { fileURLToPath } from "node:url";

const N = Number(process.env.CONNECTIONS ?? 5_000);
type Mem = { rss: number; heapUsed: number; external: number; miners: number };

const child = fork(fileURLToPath(new URL("./translator-child.ts", import.meta.url)), [], {
  execArgv: ["--import", "tsx", "--expose-gc"],
});
const next = <T>() => new Promise<T>((resolve) => child.once("message", (m) => resolve(m as T)));
const { port } = await next<{ port: number }>();
const mem = async () => {
  const p = next<Mem>();
  child.send("mem");
  return p;
};

const before = await mem();
const sockets: Socket[] = [];
const t0 = performance.now();
for (let i = 0; i < N; i++) {
  const s = connect({ host: "127.0.0.1", port });
  s.on("error", () => {});
  s.write(`{"id":1,"method":"mining.subscribe","params":["bench"]}\n`);
  sockets.push(s);
  if (i % 200 === 199) await new Promise((r) => setTimeout(r, 20));
}
let after = await mem();
while (after.miners < N && performance.now() - t0 < 60_000) {
  await new Promise((r) => setTimeout(r, 200));
  after = await mem();
}
const seconds = (performance.now() - t0) / 1000;
const per = (a: number, b: number) => ((a - b) / after.miners / 1024).toFixed(1);
console.log(`connections held: ${after.miners} of ${N} in ${seconds.toFixed(1)} s`);
console.log(
  `RSS per connection: ${per(after.rss, before.rss)} KiB (RSS ${(after.rss / 2 ** 20).toFixed(0)} MiB)`,
);
console.log(`heap per connection: ${per(after.heapUsed, before.heapUsed)} KiB`);
for (const s of sockets) s.destroy();
child.send("stop");
await new Promise((r) => child.once("exit", r));
