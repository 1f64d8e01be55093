import { ApiObject, type ApiObjectProps, App, Chart } from "cdk8s";
import type { DesiredChild, ManifestObject } from "./inputs.ts";

/**
 * Renders plain objects through a cdk8s Chart: cdk8s resolves and normalises them (undefined
 * fields dropped, stable key order), so the operator applies exactly what `synth` writes.
 */
export function synthObjects(objects: readonly ManifestObject[]): ManifestObject[] {
  const chart = new Chart(new App(), "hyperhash", { disableResourceNameHashes: true });
  objects.forEach((o, i) => {
    new ApiObject(chart, `${i}-${o.kind}-${o.metadata.name}`, o as unknown as ApiObjectProps);
  });
  return chart.toJson() as ManifestObject[];
}

/** Renders the present children of a desired list; absent ones stay null ("must not exist"). */
export function synthChildren(children: readonly DesiredChild[]): DesiredChild[] {
  const present = children.filter((c) => c.object !== null).map((c) => c.object as ManifestObject);
  const rendered = synthObjects(present);
  let i = 0;
  return children.map((c) => (c.object === null ? c : { ...c, object: rendered[i++] ?? null }));
}
