// The Hyper Hash services on top of the devnet, run in this process for `npm start`.
// Not exported from index.ts: the services' own tests import @hyperhash/devnet, and this
// module imports the services, so only the CLI loads it.

import { randomBytes } from "node:crypto";
import { createWriteStream, type WriteStream } from "node:fs";
import { join } from "node:path";
import { startTemplateProvider, type TemplateProviderHandle } from "@hyperhash/template-provider";
import type { Devnet } from "./devnet.ts";

/** What runs on top of the devnet. */
export interface HyperhashServices {
  templateProvider: TemplateProviderHandle;
  /** Lines for the start-up summary. */
  describe(): string[];
  /** Lines for the smoke check; throws when a part does not answer. */
  check(): Promise<string[]>;
  stop(): Promise<void>;
}

/** A log sink per service: JSON lines into `<dir>/<name>.log`. */
function logFile(dir: string, name: string): { write: (line: string) => void; stream: WriteStream } {
  const stream = createWriteStream(join(dir, `${name}.log`), { flags: "a" });
  return { stream, write: (line) => stream.write(`${line}\n`) };
}

/** Starts hh-tp on the devnet's btcd (and, as they arrive, the pool, miners, Core, treasury...). */
export async function startServices(devnet: Devnet, say: (line: string) => void): Promise<HyperhashServices> {
  const stoppers: Array<() => Promise<void>> = [];
  const streams: WriteStream[] = [];
  const stop = async () => {
    for (const s of stoppers.reverse()) await s().catch(() => {});
    for (const s of streams) s.end();
  };
  try {
    const btcd = devnet.btcd;
    const tpLog = logFile(devnet.dir, "hh-tp");
    streams.push(tpLog.stream);
    say("starting hh-tp (Template Provider) on btcd...");
    const templateProvider = await startTemplateProvider({
      network: "regtest",
      rpc: btcd.rpc,
      rpcEndpoint: {
        url: `https://${btcd.rpcHost}`,
        user: btcd.rpcUser,
        password: btcd.rpcPassword,
        caPem: btcd.rpcCertPem,
      },
      authoritySecretKey: new Uint8Array(randomBytes(32)),
      listenPort: 0,
      opsPort: 0,
      logWrite: tpLog.write,
    });
    stoppers.push(() => templateProvider.stop());

    return {
      templateProvider,
      describe: () => [
        `hh-tp           sv2+noise://${templateProvider.host}:${templateProvider.port} authority ${templateProvider.authorityPublicKeyBase58}`,
        `  ops           http://127.0.0.1:${templateProvider.opsPort}/metrics /healthz /readyz; log ${join(devnet.dir, "hh-tp.log")}`,
      ],
      check: async () => {
        const ready = await fetch(`http://127.0.0.1:${templateProvider.opsPort}/readyz`);
        if (ready.status !== 200) throw new Error(`hh-tp not ready: ${await ready.text()}`);
        const s = templateProvider.stats();
        return [
          `hh-tp     ok  tip height=${s.tipHeight} via ${s.tipSource}, templates issued=${s.templatesIssued}`,
        ];
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
