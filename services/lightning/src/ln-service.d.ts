// ln-service ships no type declarations. Only the calls this project makes are declared, and
// every answer is typed `unknown`: the mappers in mappers.ts validate it before use.
declare module "ln-service" {
  export interface AuthenticatedLnd {
    readonly __brand: "AuthenticatedLnd";
  }
  export function authenticatedLndGrpc(args: { cert?: string; macaroon: string; socket: string }): {
    lnd: AuthenticatedLnd;
  };
  type Call = (args: { lnd: AuthenticatedLnd } & Record<string, unknown>) => Promise<unknown>;
  export const getWalletInfo: Call;
  export const createChainAddress: Call;
  export const getChainBalance: Call;
  export const addPeer: Call;
  export const getPeers: Call;
  export const openChannel: Call;
  export const closeChannel: Call;
  export const getChannels: Call;
  export const getChannel: Call;
  export const getPendingChannels: Call;
  export const getChannelBalance: Call;
  export const createInvoice: Call;
  export const getInvoice: Call;
  export const pay: Call;
  export const getPayment: Call;
  export const getPayments: Call;
  export const getForwards: Call;
}
