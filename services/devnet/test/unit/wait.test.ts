import { readFileSync } from "node:fs";
import { freePort, waitFor } from "@hyperhash/devnet";
import test from "ava";

test("waitFor returns the first truthy value of the condition", async (t) => {
  let n = 0;
  const value = await waitFor(() => (++n >= 3 ? `done after ${n}` : undefined), {
    what: "three polls",
    timeoutMs: 5_000,
    intervalMs: 1,
  });
  t.is(value, "done after 3");
});

test("waitFor times out with what it waited for and the last error", async (t) => {
  const err = await t.throwsAsync(
    waitFor(
      () => {
        throw new Error("connection refused");
      },
      { what: "a server that never starts", timeoutMs: 50, intervalMs: 5 },
    ),
  );
  t.regex(err!.message, /waiting for a server that never starts; last error: connection refused/);
});

test("freePort never hands out the same port twice in one process", async (t) => {
  const ports = new Set<number>();
  for (let i = 0; i < 20; i++) ports.add(await freePort());
  t.is(ports.size, 20);
});

test("freePort hands out listen ports below the kernel's ephemeral range, so outgoing connections cannot take them", async (t) => {
  const [low] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8")
    .trim()
    .split(/\s+/)
    .map(Number);
  for (let i = 0; i < 20; i++) {
    const port = await freePort();
    t.true(port >= 20_000 && port < low!, `port ${port} is outside 20000..${low! - 1}`);
  }
});
