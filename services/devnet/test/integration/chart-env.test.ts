/**
 * Issue 20: the Helm chart's containers of our images get exactly the environment each service
 * reads. `helm template` renders every profile; each container's env is checked against the
 * service's own config contract (`@hyperhash/<service>/config`, the schema its main parses):
 * a variable the service does not read, or a value it refuses, fails here.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { coreEnvSchema } from "@hyperhash/core/config";
import { poolEnvSchema } from "@hyperhash/pool/config";
import { tpEnvSchema } from "@hyperhash/template-provider/config";
import { treasuryEnvSchema } from "@hyperhash/treasury/config";
import test from "ava";
import { parseAllDocuments } from "yaml";
import type { z } from "zod";
import { contractProblems, type EnvEntry } from "../../../../cdk8s/test/contract.ts";
import { chartDir } from "../../../../charts/scripts/sync.ts";
import { binaryPath } from "../../src/index.ts";

const run = promisify(execFile);
const PROFILES: Record<string, string[]> = {
  default: [],
  regtest: ["-f", join(chartDir, "values-regtest.yaml")],
  signet: ["-f", join(chartDir, "values-signet.yaml")],
};
/** Our images, by repository name, and the contract of the service each runs. */
const CONTRACTS: Record<string, z.ZodObject> = {
  core: coreEnvSchema,
  pool: poolEnvSchema,
  treasury: treasuryEnvSchema,
  "template-provider": tpEnvSchema,
};

interface Container {
  name: string;
  image: string;
  env?: EnvEntry[];
}

async function containers(profile: string): Promise<Container[]> {
  const dir = mkdtempSync(join(tmpdir(), "hh-chart-env-"));
  try {
    const { stdout } = await run(
      binaryPath("helm"),
      ["template", "hh", chartDir, "-n", "hyperhash", "--kube-version", "1.34.4", ...PROFILES[profile]!],
      {
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, HELM_CACHE_HOME: join(dir, "cache"), HELM_CONFIG_HOME: join(dir, "config") },
      },
    );
    return parseAllDocuments(stdout)
      .map((d) => d.toJS() as { spec?: { template?: { spec?: { containers?: Container[] } } } } | null)
      .flatMap((o) => o?.spec?.template?.spec?.containers ?? []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `ghcr.io/hyperhash/pool:0.1.0` → `pool`; images that are not ours → undefined. */
const serviceOf = (image: string) => /\/hyperhash\/([a-z-]+)(?::|@|$)/.exec(image)?.[1];

for (const profile of Object.keys(PROFILES)) {
  test(`issue 20, profile ${profile}: every core, pool, treasury and hh-tp container's env parses with its service's schema`, async (t) => {
    const checked: string[] = [];
    for (const ctr of await containers(profile)) {
      const service = serviceOf(ctr.image);
      const schema = service ? CONTRACTS[service] : undefined;
      if (!schema) continue;
      t.deepEqual(contractProblems(schema, ctr.env ?? []), [], `${ctr.name} (${ctr.image})`);
      checked.push(service!);
    }
    if (profile === "default") t.deepEqual(checked, [], "the default profile runs the operator only");
    else t.deepEqual(checked.sort(), ["core", "pool", "template-provider", "treasury"]);
  });
}
