import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { bitcoinRpc, jsonRpcClient, segwitActiveFrom } from "@hyperhash/bitcoin";
import test from "ava";

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

/** A real HTTP server on 127.0.0.1 that answers like a node would, or wouldn't. */
async function withServer(handler: Handler, run: (url: string) => Promise<void>): Promise<void> {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => handler(req, body, res));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

const secret = "s3cret-password-never-logged";
const client = (url: string, extra: object = {}) =>
  jsonRpcClient({ url, user: "u", password: secret, timeoutMs: 2_000, ...extra });

test("JSON-RPC 1.0: sends basic auth and the method, returns the result", async (t) => {
  await withServer(
    (req, body, res) => {
      const parsed = JSON.parse(body);
      t.is(req.headers.authorization, `Basic ${btoa(`u:${secret}`)}`);
      t.is(parsed.method, "getblockcount");
      res.end(JSON.stringify({ result: 432, error: null, id: parsed.id }));
    },
    async (url) => {
      t.is(await bitcoinRpc(client(url), "btcd").getBlockCount(), 432);
    },
  );
});

test("a node error becomes BitcoinRpcError with the node's code", async (t) => {
  await withServer(
    (_req, _body, res) => {
      res.statusCode = 500;
      res.end(
        JSON.stringify({ result: null, error: { code: -8, message: "Block height out of range" }, id: 1 }),
      );
    },
    async (url) => {
      const err = await t.throwsAsync(bitcoinRpc(client(url), "core").getBlockHash(99));
      t.is(err?.name, "BitcoinRpcError");
      t.is((err as { code?: number }).code, -8);
      t.regex(err!.message, /getblockhash: Block height out of range/);
    },
  );
});

test("refused credentials, non-JSON bodies, wrong shapes and oversize answers are errors without the password", async (t) => {
  const cases: Array<[Handler, RegExp, object?]> = [
    [
      (_q, _b, res) => {
        res.statusCode = 401;
        res.end();
      },
      /credentials refused/,
    ],
    [(_q, _b, res) => res.end("<html>oops</html>"), /not a JSON-RPC answer/],
    [
      (_q, _b, res) => res.end(JSON.stringify({ result: "not-a-hash", error: null, id: 1 })),
      /32-byte hash hex/,
    ],
    [
      (_q, _b, res) => res.end(JSON.stringify({ result: "a".repeat(5000) })),
      /response larger than 1024 bytes/,
      { maxResponseBytes: 1024 },
    ],
  ];
  for (const [handler, expected, extra] of cases) {
    await withServer(handler, async (url) => {
      const err = await t.throwsAsync(bitcoinRpc(client(url, extra), "btcd").getBestBlockHash());
      t.regex(err!.message, expected);
      t.false(err!.message.includes(secret));
    });
  }
});

test("a node that never answers times out", async (t) => {
  await withServer(
    () => {},
    async (url) => {
      const err = await t.throwsAsync(bitcoinRpc(client(url, { timeoutMs: 200 }), "btcd").getBestBlockHash());
      t.regex(err!.message, /no answer within 200 ms/);
    },
  );
});

test("generate: btcd mines to --miningaddr, Bitcoin Core needs generatetoaddress", async (t) => {
  const calls: string[] = [];
  const recorder = async (method: string) => {
    calls.push(method);
    return ["00".repeat(32)];
  };
  await bitcoinRpc(recorder, "btcd").generate(1);
  await bitcoinRpc(recorder, "core").generate(1, "bcrt1qexample");
  t.deepEqual(calls, ["generate", "generatetoaddress"]);
  t.throws(() => bitcoinRpc(recorder, "btcd").generate(1, "bcrt1qexample"));
  t.throws(() => bitcoinRpc(recorder, "core").generate(1));
  t.throws(() => bitcoinRpc(recorder, "btcd").generate(0));
});

test("segwit status is read from btcd's bip9_softforks and from Bitcoin Core's softforks", (t) => {
  const base = { chain: "regtest", blocks: 432, bestblockhash: "00".repeat(32) };
  t.true(segwitActiveFrom({ ...base, bip9_softforks: { segwit: { status: "active" } } }));
  t.false(segwitActiveFrom({ ...base, bip9_softforks: { segwit: { status: "lockedin" } } }));
  t.true(segwitActiveFrom({ ...base, softforks: { segwit: { type: "buried", active: true, height: 0 } } }));
  t.false(segwitActiveFrom({ ...base, softforks: { taproot: { active: true } } }));
});
