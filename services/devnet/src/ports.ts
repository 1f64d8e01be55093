import { readFileSync } from "node:fs";
import { createServer } from "node:net";

const handedOut = new Set<number>();

/** Below the kernel's ephemeral range, above the well-known ports, clear of NodePorts (30000+). */
const LISTEN_RANGE = { low: 20_000, high: 29_999 } as const;

/**
 * The kernel's ephemeral port range (`ip_local_port_range`): the source ports of outgoing
 * connections. A listen port taken from it (as binding port 0 does) can be taken by any
 * outgoing connection between our check and the child's bind: one clean-clone run lost lnd to
 * "bind: address already in use" on such a port.
 */
function ephemeralRange(): { low: number; high: number } {
  try {
    const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8")
      .trim()
      .split(/\s+/)
      .map(Number);
    if (Number.isInteger(low) && Number.isInteger(high)) return { low: low!, high: high! };
  } catch {}
  return { low: 32_768, high: 60_999 };
}

const ephemeral = ephemeralRange();

function bindable(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(null));
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      const p = typeof address === "object" && address ? address.port : null;
      server.close(() => resolve(p));
    });
  });
}

/**
 * A free TCP port on 127.0.0.1 for a child to listen on: a random port outside the kernel's
 * ephemeral range that binds now (port 0's answer only when none does). Ports handed out by
 * this process are never returned twice, so children started together do not collide.
 */
export async function freePort(): Promise<number> {
  const outsideEphemeral = LISTEN_RANGE.high < ephemeral.low || LISTEN_RANGE.low > ephemeral.high;
  for (let attempt = 0; attempt < 100; attempt++) {
    const candidate =
      outsideEphemeral && attempt < 50
        ? LISTEN_RANGE.low + Math.floor(Math.random() * (LISTEN_RANGE.high - LISTEN_RANGE.low + 1))
        : 0;
    if (handedOut.has(candidate)) continue;
    const port = await bindable(candidate);
    if (port !== null && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error("no free port on 127.0.0.1 after 100 attempts");
}
