import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import {
  BitcoinRpcError,
  type BlockTemplate,
  type ChainTipEvent,
  longPollBlockTemplate,
  watchChainTip,
} from "@hyperhash/bitcoin";
import test from "ava";

const hashOf = (n: number) => n.toString(16).padStart(64, "0");

function template(prev: number, generated: number, longpoll = true): BlockTemplate {
  return {
    version: 0x2000_0000,
    previousblockhash: hashOf(prev),
    transactions: [],
    coinbasevalue: 5_000_000_000,
    target: `7fffff${"0".repeat(58)}`,
    mintime: 1,
    curtime: 2,
    bits: "207fffff",
    height: prev + 1,
    ...(longpoll ? { longpollid: `${hashOf(prev)}-${generated}` } : {}),
  };
}

/** A deferred long-poll answer the test releases when it wants the "node" to answer. */
function controllableLongPoll() {
  const calls: { id: string; answer: (t: BlockTemplate) => void; fail: (e: Error) => void }[] = [];
  let arrived: (() => void) | null = null;
  const longPoll = (id: string, signal: AbortSignal) =>
    new Promise<BlockTemplate>((resolve, reject) => {
      signal.addEventListener("abort", () => reject(new Error("aborted")), { once: true });
      calls.push({ id, answer: resolve, fail: reject });
      arrived?.();
    });
  const nextCall = async () => {
    const before = calls.length;
    while (calls.length === before) await new Promise<void>((r) => (arrived = r));
    return calls[calls.length - 1]!;
  };
  return { longPoll, calls, nextCall };
}

test("BIP22 long poll: a new tip arrives with its template, same-tip answers go to onTemplate", async (t) => {
  const controller = new AbortController();
  let best = 1;
  const tips: ChainTipEvent[] = [];
  const refreshed: BlockTemplate[] = [];
  const lp = controllableLongPoll();
  let tipSeen: (() => void) | null = null;
  const watcher = watchChainTip({
    rpc: { getBestBlockHash: async () => hashOf(best), getBlockTemplate: async () => template(best, 100) },
    longPoll: lp.longPoll,
    backstopIntervalMs: 60_000,
    signal: controller.signal,
    onTip: (e) => {
      tips.push(e);
      tipSeen?.();
    },
    onTemplate: (tpl) => refreshed.push(tpl),
  });
  const first = await lp.nextCall();
  t.is(first.id, `${hashOf(1)}-100`, "the long poll names the template it holds");
  t.is(tips.length, 1);
  t.is(tips[0]!.hash, hashOf(1));
  t.is(watcher.mode(), "long-poll");

  // The node refreshes its template on the same tip: not a new tip.
  first.answer(template(1, 160));
  const second = await lp.nextCall();
  t.is(second.id, `${hashOf(1)}-160`);
  t.is(refreshed.length, 1);
  t.is(tips.length, 1);

  // A block connects: the long poll answers with the template on top of it.
  best = 2;
  const seen = new Promise<void>((r) => (tipSeen = r));
  second.answer(template(2, 170));
  await seen;
  t.is(tips[1]!.hash, hashOf(2));
  t.is(tips[1]!.source, "long-poll");
  t.is(tips[1]!.template?.height, 3);
  controller.abort();
  await watcher.done;
});

test("without a longpollid the watcher polls getbestblockhash and reports each change once", async (t) => {
  const controller = new AbortController();
  const answers = [1, 1, 2, 2, 2, 3];
  let calls = 0;
  const tips: string[] = [];
  const watcher = watchChainTip({
    rpc: {
      getBestBlockHash: async () => {
        const n = answers[Math.min(calls++, answers.length - 1)]!;
        if (calls >= answers.length) controller.abort();
        return hashOf(n);
      },
      getBlockTemplate: async () => template(1, 1, false),
    },
    longPoll: async () => t.fail("no long poll without a longpollid") as never,
    pollIntervalMs: 1,
    signal: controller.signal,
    onTip: (e) => tips.push(e.hash),
  });
  await watcher.done;
  t.deepEqual(tips, [hashOf(1), hashOf(2)], "the last answer arrives after abort and is dropped");
  t.is(watcher.mode(), "poll");
});

test("a failing long poll falls back to polling and reports the error; injected timers drive the retry", async (t) => {
  const controller = new AbortController();
  const errors: unknown[] = [];
  const delays: number[] = [];
  const watcher = watchChainTip({
    rpc: {
      getBestBlockHash: async () => hashOf(7),
      getBlockTemplate: async () => {
        throw new BitcoinRpcError("getblocktemplate", "transport", "connection refused");
      },
    },
    longPoll: async () => template(7, 1),
    pollIntervalMs: 10,
    signal: controller.signal,
    onTip: () => {},
    onError: (e) => {
      errors.push(e);
      if (errors.length === 3) controller.abort();
    },
    timers: {
      setTimeout: (cb, ms) => {
        delays.push(ms);
        return setTimeout(cb, 0);
      },
      clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
    },
  });
  await watcher.done;
  t.is(watcher.mode(), "poll");
  t.true(errors[0] instanceof BitcoinRpcError);
  t.true(delays.includes(20) && delays.includes(40), `exponential backoff from the poll interval: ${delays}`);
});

test("longPollBlockTemplate sends the longpollid, validates the answer, and aborts cleanly", async (t) => {
  let heldResponse: ((body: string) => void) | null = null;
  const bodies: unknown[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      bodies.push(JSON.parse(body));
      heldResponse = (text) => res.end(text);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const longPoll = longPollBlockTemplate({ url, user: "u", password: "p" });

  const pending = longPoll("abc-1", new AbortController().signal);
  while (!heldResponse) await new Promise((r) => setTimeout(r, 5));
  (heldResponse as (b: string) => void)(JSON.stringify({ result: template(4, 9), error: null }));
  const answer = await pending;
  t.is(answer.height, 5);
  t.like(bodies[0], { method: "getblocktemplate", params: [{ rules: ["segwit"], longpollid: "abc-1" }] });

  heldResponse = null;
  const controller = new AbortController();
  const aborted = longPoll("abc-2", controller.signal);
  while (!heldResponse) await new Promise((r) => setTimeout(r, 5));
  controller.abort();
  const error = await t.throwsAsync(aborted, { instanceOf: BitcoinRpcError });
  t.is(error?.kind, "transport");

  heldResponse = null;
  const invalid = longPoll("abc-3", new AbortController().signal);
  while (!heldResponse) await new Promise((r) => setTimeout(r, 5));
  (heldResponse as (b: string) => void)(JSON.stringify({ result: { height: "x" }, error: null }));
  t.is((await t.throwsAsync(invalid, { instanceOf: BitcoinRpcError }))?.kind, "invalid-response");
});
