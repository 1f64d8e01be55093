/** Names of a HyperNode's children, in one place so builders and reconciler agree. */
export function hyperNodeNames(name: string) {
  return {
    config: `${name}-config`,
    credentials: `${name}-credentials`,
    agent: `${name}-node-agent`,
    /** Bearer token the treasury presents to the node agent's payout API (key `token`). */
    agentToken: `${name}-node-agent-token`,
    translator: `${name}-translator`,
    lnd: `${name}-lnd`,
    lndData: `${name}-lnd-data`,
    lndTls: `${name}-lnd-tls`,
    walletPassword: `${name}-lnd-wallet-password`,
    macaroonRootKey: `${name}-lnd-macaroon-root-key`,
    /** The aezeed the node agent generated (managed mode; key `mnemonic`). */
    seed: `${name}-lnd-seed`,
    /**
     * Macaroons the node agent bakes (managed mode): `operator.macaroon`, `agent.macaroon` (raw
     * bytes) and `pubkey` (the node's Lightning identity, hex). The operator reads this one.
     */
    macaroons: `${name}-lnd-macaroons`,
    /** lnd's static channel backup the node agent exports (managed mode; key `channel.backup`). */
    scb: `${name}-lnd-scb`,
  };
}
