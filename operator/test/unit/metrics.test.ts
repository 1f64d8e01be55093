import test from "ava";
import { Registry } from "prom-client";
import { registerOperatorMetrics } from "../../src/metrics.ts";

const node = (status: string) => ({ status: { conditions: [{ type: "Ready", status }] } });

async function conditionSeries(objects: unknown[]): Promise<Record<string, number>> {
  const registry = new Registry();
  registerOperatorMetrics(registry, {
    requestCount: () => 0,
    resources: () => [{ kind: "HyperNode", objects }],
  });
  const metric = await registry.getSingleMetric("hyperhash_operator_resource_conditions")?.get();
  const out: Record<string, number> = {};
  for (const v of metric?.values ?? []) out[`${v.labels.type}/${v.labels.status}`] = v.value;
  return out;
}

test("conditions: every status of a condition type is exported, at zero when no resource has it", async (t) => {
  t.deepEqual(await conditionSeries([node("True"), node("True")]), {
    "Ready/True": 2,
    "Ready/False": 0,
    "Ready/Unknown": 0,
  });
  t.deepEqual(await conditionSeries([node("True"), node("False"), node("Maybe")]), {
    "Ready/True": 1,
    "Ready/False": 1,
    "Ready/Unknown": 1,
  });
  t.deepEqual(await conditionSeries([]), {}, "no condition type, no series");
});
