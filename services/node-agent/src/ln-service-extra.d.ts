// The ln-service calls this workspace makes beyond those services/lightning declares. Answers
// are `unknown`: the mappers in lnd-reads.ts validate them before use. (Declarations of one
// ambient module merge, so this adds to services/lightning/src/ln-service.d.ts.)
declare module "ln-service" {
  type ExtraCall = (args: { lnd: AuthenticatedLnd } & Record<string, unknown>) => Promise<unknown>;
  export const getChainTransactions: ExtraCall;
  export const decodePaymentRequest: ExtraCall;
  export const payViaPaymentDetails: ExtraCall;
  export const sendToChainAddresses: ExtraCall;
  export const getInvoices: ExtraCall;
}

// Managed mode (macaroons.ts, backups.ts).
declare module "ln-service" {
  export const grantAccess: ExtraCall;
  export const getIdentity: ExtraCall;
  export const getBackups: ExtraCall;
  export const verifyBackups: ExtraCall;
  export function subscribeToBackups(args: { lnd: AuthenticatedLnd }): import("node:events").EventEmitter;
}
