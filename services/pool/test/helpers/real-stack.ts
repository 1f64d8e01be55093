/**
 * The real stack the pool's integration tests run against, one per test file: btcd (regtest,
 * segwit active) and hh-tp on it with its RPC endpoint (BIP22 long poll, btcd mempool top-up).
 * Pools are started per test on this TP ({@link startTestPool}), so their metrics and share
 * logs stay separate while the slow parts are shared.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JsonRpcEndpoint } from "@hyperhash/bitcoin";
import { type Btcd, startBtcd } from "@hyperhash/devnet";
import { startTemplateProvider, type TemplateProviderHandle } from "@hyperhash/template-provider";
import type { TestFn } from "ava";

/** btcd + hh-tp, shared by the tests of one file. */
export interface RealStack {
  readonly dir: string;
  readonly btcd: Btcd;
  /** btcd's JSON-RPC endpoint (TLS with its self-signed certificate). */
  readonly rpcEndpoint: JsonRpcEndpoint;
  readonly tp: TemplateProviderHandle;
  /** What {@link startTestPool} takes to connect a pool to this TP. */
  readonly tpAddress: { readonly port: number; readonly authorityPublicKey: Uint8Array };
  /** Starts one more hh-tp on this btcd (stopped with the stack). */
  startTemplateProvider(options?: {
    listenPort?: number;
    authoritySecretKey?: Uint8Array;
  }): Promise<TemplateProviderHandle>;
}

/**
 * Registers `test.before` (start btcd and hh-tp) and `test.after.always` (stop them, even on
 * failure). `prepare` runs on btcd before hh-tp starts (a mempool transaction for the first template).
 */
export function useRealStack(
  test: TestFn<RealStack>,
  name: string,
  options: { prepare?: (btcd: Btcd) => Promise<void> } = {},
): void {
  const stops: (() => Promise<void>)[] = [];
  test.before(async (t) => {
    const dir = mkdtempSync(join(tmpdir(), `hh-pool-${name}-`));
    stops.push(async () => rmSync(dir, { recursive: true, force: true }));
    const btcd = await startBtcd({ dir });
    stops.push(() => btcd.stop());
    await options.prepare?.(btcd);
    const rpcEndpoint: JsonRpcEndpoint = {
      url: `https://${btcd.rpcHost}`,
      user: btcd.rpcUser,
      password: btcd.rpcPassword,
      caPem: btcd.rpcCertPem,
    };
    const launch = async (options: { listenPort?: number; authoritySecretKey?: Uint8Array } = {}) => {
      const tp = await startTemplateProvider({
        network: "regtest",
        rpc: btcd.rpc,
        rpcEndpoint,
        listenPort: options.listenPort ?? 0,
        authoritySecretKey: options.authoritySecretKey ?? randomBytes(32),
        feeUpdateIntervalMs: 500,
        logLevel: "error",
      });
      stops.push(() => tp.stop());
      return tp;
    };
    const tp = await launch();
    t.context = {
      dir,
      btcd,
      rpcEndpoint,
      tp,
      tpAddress: { port: tp.port, authorityPublicKey: tp.authorityPublicKey },
      startTemplateProvider: launch,
    };
  });
  test.after.always(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  });
}
