/**
 * Who is calling. Today: bearer tokens — the admin and service tokens from config, node
 * credentials from the registry. Room for mTLS: an `Authenticator` is any function from the
 * request to a principal, so a TLS client-certificate authenticator (subject → node id,
 * issued by a Core CA) can be placed before or instead of the bearer one.
 */
import type { Request } from "express";
import { nodeForCredential, secretsEqual } from "../nodes.ts";
import type { CoreRepository } from "../store/repository.ts";
import type { Access, Principal } from "./route.ts";

/** Resolves the caller, or undefined when the request carries no valid credential. */
export type Authenticator = (req: Request) => Principal | undefined;

/** The static tokens of operators and services. */
export interface ServiceTokens {
  admin: string;
  pool: string;
  treasury: string;
}

/** Bearer authentication: `Authorization: Bearer <token>`. */
export function bearerAuthenticator(tokens: ServiceTokens, repo: CoreRepository): Authenticator {
  return (req) => {
    const header = req.headers.authorization;
    if (typeof header !== "string") return undefined;
    const match = /^Bearer ([\x21-\x7e]{1,512})$/.exec(header);
    if (!match) return undefined;
    const token = match[1] as string;
    if (secretsEqual(token, tokens.admin)) return { kind: "admin" };
    if (secretsEqual(token, tokens.pool)) return { kind: "pool" };
    if (secretsEqual(token, tokens.treasury)) return { kind: "treasury" };
    const node = nodeForCredential(repo, token);
    return node ? { kind: "node", nodeId: node.nodeId } : undefined;
  };
}

/** True when `principal` may call a route with `access`, given its raw path parameters. */
export function allowed(
  principal: Principal,
  access: readonly Access[],
  params: Record<string, unknown>,
): boolean {
  return access.some((a) =>
    a === "node-self"
      ? principal.kind === "node" && principal.nodeId === params.nodeId
      : principal.kind === a,
  );
}

/** A log-safe name of the caller. */
export function describePrincipal(p: Principal | undefined): string {
  if (!p) return "anonymous";
  return p.kind === "node" ? `node:${p.nodeId}` : p.kind;
}
