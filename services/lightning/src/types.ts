/** What a Lightning node says about itself. */
export interface WalletInfo {
  pubkey: string;
  alias: string;
  version: string;
  blockHeight: number;
  syncedToChain: boolean;
  activeChannels: number;
  pendingChannels: number;
  peers: number;
}

/** One open channel as the local node sees it. Amounts are integer sats. */
export interface LightningChannelState {
  /** Short channel id, `block x tx x output`. */
  id: string;
  peerPubkey: string;
  fundingTxid: string;
  fundingOutputIndex: number;
  capacitySats: bigint;
  localBalanceSats: bigint;
  remoteBalanceSats: bigint;
  active: boolean;
  /** True when this node opened (and funded) the channel. */
  isOpener: boolean;
}

/** A BOLT 11 invoice this node issued. */
export interface LightningInvoice {
  /** Payment hash, hex. */
  id: string;
  request: string;
  sats: bigint;
  isConfirmed: boolean;
  receivedSats: bigint;
}

/** The outcome of a payment this node made. */
export interface LightningPayment {
  /** Payment hash, hex. */
  id: string;
  preimage: string;
  sats: bigint;
  feeSats: bigint;
}

/** A payment looked up by hash: settled, failed, in flight, or unknown to the node. */
export type PaymentStatus =
  | { state: "succeeded"; payment: LightningPayment }
  | { state: "failed"; reason: string }
  | { state: "pending" }
  | { state: "unknown" };

/**
 * The project's view of a Lightning wallet (lnd here). Sats are bigint; every answer is
 * validated by a mapper before it reaches domain code.
 */
export interface LightningWallet {
  getInfo(): Promise<WalletInfo>;
  /** A new P2WPKH address of the node's on-chain wallet. */
  createAddress(): Promise<string>;
  /** Confirmed on-chain balance. */
  getChainBalance(): Promise<bigint>;
  connectPeer(pubkey: string, socket: string): Promise<void>;
  /** Opens a channel funded by this node; resolves once the funding transaction is broadcast. */
  openChannel(args: { pubkey: string; capacitySats: bigint; pushSats?: bigint; socket?: string }): Promise<{
    fundingTxid: string;
    fundingOutputIndex: number;
  }>;
  listChannels(): Promise<LightningChannelState[]>;
  /**
   * True once this node's graph holds both directions' routing policies for the channel:
   * before that, pathfinding treats even a direct, active channel as unusable.
   */
  isChannelRoutable(channelId: string): Promise<boolean>;
  /** Sum of local balances over open channels. */
  getChannelBalance(): Promise<bigint>;
  createInvoice(args: {
    sats: bigint;
    description: string;
    expirySeconds?: number;
  }): Promise<LightningInvoice>;
  getInvoice(id: string): Promise<LightningInvoice>;
  /** Pays a BOLT 11 request, never spending more than `maxFeeSats` in fees. */
  payInvoice(args: { request: string; maxFeeSats: bigint }): Promise<LightningPayment>;
  getPaymentStatus(id: string): Promise<PaymentStatus>;
}
