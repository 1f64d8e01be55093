/**
 * A STAND-IN for hyperhash-core: a tiny real HTTP server implementing only the endpoints the
 * operator calls, for integration tests until services/core lands. Tests marked "(Core
 * stand-in)" must switch to the real Core then.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { CoreWindow } from "../../src/core/core-client.ts";

export interface CoreStandIn {
  url: string;
  token: string;
  nodes: Map<
    string,
    {
      nodeId: string;
      name: string;
      visibility: string;
      lightningPubkey: string | null;
      telemetry: { reportedAt: string } | null;
      credential: string;
    }
  >;
  windows: Map<string, CoreWindow>;
  requests: string[];
  close(): Promise<void>;
}

export async function startCoreStandIn(): Promise<CoreStandIn> {
  const token = randomBytes(16).toString("hex");
  const nodes: CoreStandIn["nodes"] = new Map();
  const windows: CoreStandIn["windows"] = new Map();
  const requests: string[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      const send = (status: number, value?: unknown) =>
        res
          .writeHead(status, { "content-type": "application/json" })
          .end(value === undefined ? "" : JSON.stringify(value));
      requests.push(`${req.method} ${req.url}`);
      if (req.headers.authorization !== `Bearer ${token}`)
        return send(401, { error: { code: "unauthorized" } });
      const input = body ? JSON.parse(body) : {};
      const url = req.url ?? "";
      const rotate = /^\/api\/v1\/nodes\/([^/]+)\/credential$/.exec(url);
      const nodeGet = /^\/api\/v1\/nodes\/([^/]+)$/.exec(url);
      const windowPatch = /^\/api\/v1\/windows\/([0-9a-f]{64})$/.exec(url);
      if (req.method === "POST" && url === "/api/v1/nodes") {
        if ([...nodes.values()].some((n) => n.name === input.name))
          return send(409, { error: { code: "node-exists", message: `${input.name} exists` } });
        const node = {
          nodeId: randomUUID(),
          name: input.name,
          visibility: input.visibility,
          lightningPubkey: input.lightningPubkey ?? null,
          telemetry: null,
          credential: randomBytes(24).toString("base64url"),
        };
        nodes.set(node.nodeId, node);
        return send(201, { nodeId: node.nodeId, credential: node.credential });
      }
      if (req.method === "POST" && rotate) {
        const node = nodes.get(rotate[1]!);
        if (!node) return send(404, { error: { code: "not-found" } });
        node.credential = randomBytes(24).toString("base64url");
        return send(200, { nodeId: node.nodeId, credential: node.credential });
      }
      if (req.method === "GET" && nodeGet) {
        const node = nodes.get(nodeGet[1]!);
        if (!node) return send(404, { error: { code: "not-found" } });
        const { credential: _c, ...pub } = node;
        return send(200, pub);
      }
      if (req.method === "GET" && url === "/api/v1/windows")
        return send(200, { windows: [...windows.values()] });
      if (req.method === "PATCH" && windowPatch) {
        const w = windows.get(windowPatch[1]!);
        if (!w) return send(404, { error: { code: "not-found" } });
        w.hold = Boolean(input.hold);
        return send(200, w);
      }
      send(404, { error: { code: "not-found" } });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    token,
    nodes,
    windows,
    requests,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
