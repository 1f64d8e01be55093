/** Child process of connections.bench.ts: a translator whose memory is measured alone. */
import { startTranslator } from "../src/index.ts";

const translator = await startTranslator({
  port: 0,
  upstreams: [{ host: "127.0.0.1", port: Number(process.env.DEAD_PORT ?? 1) }],
  nodeId: "bench",
  credential: "bench",
  reconnectMinMs: 5_000,
  logLevel: "error",
});
process.on("message", (m: unknown) => {
  if (m === "mem") {
    (globalThis as { gc?: () => void }).gc?.();
    const u = process.memoryUsage();
    process.send?.({
      rss: u.rss,
      heapUsed: u.heapUsed,
      external: u.external,
      miners: translator.stats().miners,
    });
  } else if (m === "stop") {
    translator.stop().then(() => process.exit(0));
  }
});
process.send?.({ port: translator.port });
