// Series stay bounded whatever the number of miners (issue 16): a real Prometheus scrapes hh-tp,
// hh-pool and hh-translator (on btcd regtest) while 100 and then 1,000 simulated SV1 miners,
// each with its own payout address and worker name, connect, authorize and submit a share the
// translator rejects. The platform's own series (hyperhash_*) must not grow from 100 to 1,000:
// per-miner figures are in the APIs, not in labels. Process metrics (process_*, nodejs_*) are
// counted apart: their label sets (gc kinds, handle types) are the runtime's, not the miners'.
import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Prometheus, startPrometheus, waitFor } from "@hyperhash/devnet";
import { startTranslator, type Translator } from "@hyperhash/translator";
import test from "ava";
import {
  NODE,
  regtestAddress,
  type Stack,
  startStack,
} from "../../../services/translator/test/support/stack.ts";

/** One simulated SV1 miner: subscribe, authorize, one share on a job that does not exist. */
async function simulatedMiner(port: number, user: string): Promise<Socket> {
  const socket = connect({ host: "127.0.0.1", port });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  socket.setEncoding("utf8");
  let buffered = "";
  const answers = new Map<number, (line: { result?: unknown; error?: unknown }) => void>();
  socket.on("data", (chunk: string) => {
    buffered += chunk;
    for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
      const line = JSON.parse(buffered.slice(0, nl)) as { id?: number; result?: unknown; error?: unknown };
      buffered = buffered.slice(nl + 1);
      if (typeof line.id === "number") answers.get(line.id)?.(line);
    }
  });
  const call = (id: number, method: string, params: unknown[]) =>
    new Promise<{ result?: unknown; error?: unknown }>((resolve) => {
      answers.set(id, resolve);
      socket.write(`${JSON.stringify({ id, method, params })}\n`);
    });
  await call(1, "mining.subscribe", ["hh-sim/1.0"]);
  const auth = await call(2, "mining.authorize", [user, "x"]);
  if (auth.result !== true) throw new Error(`${user}: authorize answered ${JSON.stringify(auth)}`);
  const submit = await call(3, "mining.submit", [user, "deadbeef", "00000000", "00000000", "00000000"]);
  if (submit.error === null || submit.error === undefined)
    throw new Error(`${user}: a bogus share was accepted`);
  return socket;
}

async function seriesCount(prometheus: Prometheus, selector: string): Promise<number> {
  return (await prometheus.query(`count(${selector})`))[0]?.value ?? 0;
}

let stack: Stack;
let translator: Translator;
let prometheus: Prometheus;
const dir = mkdtempSync(join(tmpdir(), "hh-cardinality-"));

test.before(async () => {
  stack = await startStack();
  translator = await startTranslator({
    port: 0,
    opsPort: 0,
    upstreams: [
      {
        host: stack.pool.host,
        port: stack.pool.port,
        authorityPublicKey: stack.pool.authorityPublicKeyBase58,
      },
    ],
    nodeId: NODE.nodeId,
    credential: NODE.credential,
    channelMode: "aggregated",
    aggregatedIdentity: `${regtestAddress(77)}.farm`,
    nominalHashRate: 2e4,
    logLevel: "error",
  });
  prometheus = await startPrometheus({
    dir,
    staticJobs: [
      { job: "hh-tp", ports: [stack.tp.opsPort] },
      { job: "hh-pool", ports: [stack.pool.opsPort] },
      { job: "hh-translator", ports: [translator.opsPort] },
    ],
    intervalSeconds: 1,
  });
});
test.after.always(async () => {
  await prometheus?.stop();
  await translator?.stop();
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test.serial(
  "1,000 miners add no series: the platform's series count is the same at 100 and at 1,000 miners",
  async (t) => {
    t.timeout(300_000);
    const sockets: Socket[] = [];
    t.teardown(() => {
      for (const s of sockets) s.destroy();
    });
    const own = 'job=~"hh-tp|hh-pool|hh-translator",__name__=~"hyperhash_.+"';
    const runtime = 'job=~"hh-tp|hh-pool|hh-translator",__name__=~"process_.+|nodejs_.+"';
    /** Connects miners up to `n` and waits until Prometheus has scraped them all and their rejections. */
    const growTo = async (n: number) => {
      for (let i = sockets.length; i < n; i++) {
        sockets.push(await simulatedMiner(translator.port, `${regtestAddress(i % 250)}.rig-${i}`));
      }
      await waitFor(
        async () => {
          const [miners] = await prometheus.query(
            'hyperhash_translator_miners_connected{job="hh-translator"}',
          );
          const [rejected] = await prometheus.query(
            'sum(hyperhash_translator_shares_rejected_total{job="hh-translator"})',
          );
          const [up] = await prometheus.query('count(up{job=~"hh-tp|hh-pool|hh-translator"} == 1)');
          return miners?.value === n && rejected?.value === n && up?.value === 3;
        },
        { what: `Prometheus sees ${n} miners and ${n} rejected shares`, timeoutMs: 120_000, intervalMs: 500 },
      );
      return {
        own: await seriesCount(prometheus, `{${own}}`),
        runtime: await seriesCount(prometheus, `{${runtime}}`),
      };
    };
    const at100 = await growTo(100);
    const at1000 = await growTo(1000);
    const total = await seriesCount(prometheus, '{__name__=~".+"}');
    t.log(
      `hyperhash_* series: ${at100.own} at 100 miners, ${at1000.own} at 1,000; process/nodejs: ${at100.runtime} → ${at1000.runtime}; all series ${total}`,
    );
    t.true(at100.own > 20, "the series were scraped at all");
    t.is(at1000.own, at100.own, "no hyperhash_* series per miner");
    t.true(total < 2_000, `${total} series in all for 3 services and 1,000 miners`);
  },
);
