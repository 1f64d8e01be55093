/** Names of a HyperNode's children, in one place so builders and reconciler agree. */
export function hyperNodeNames(name: string) {
  return {
    config: `${name}-config`,
    credentials: `${name}-credentials`,
    agent: `${name}-node-agent`,
    translator: `${name}-translator`,
    lnd: `${name}-lnd`,
    lndData: `${name}-lnd-data`,
    lndTls: `${name}-lnd-tls`,
    walletPassword: `${name}-lnd-wallet-password`,
    macaroonRootKey: `${name}-lnd-macaroon-root-key`,
    seed: `${name}-lnd-seed`,
  };
}
