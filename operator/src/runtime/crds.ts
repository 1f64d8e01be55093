import { renderCrdFiles } from "../api/render.ts";
import type { KubeClient, KubeObject } from "./kube.ts";

/** Applies the operator's CRDs and waits until each is Established (tests, `npm start`). */
export async function installCrds(client: KubeClient, timeoutMs = 60_000): Promise<void> {
  const files = renderCrdFiles();
  for (const { crd } of files) await client.apply(crd as unknown as KubeObject);
  const deadline = Date.now() + timeoutMs;
  for (const { crd } of files) {
    const name = (crd.metadata as { name: string }).name;
    for (;;) {
      const current = (await client.get("CustomResourceDefinition", undefined, name)) as
        | { status?: { conditions?: Array<{ type: string; status: string }> } }
        | undefined;
      if (current?.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")) break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} not Established after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
