import type { LightningChannelState } from "@hyperhash/lightning";
import type { Btcd } from "./btcd.ts";
import type { Lnd } from "./lnd.ts";
import { waitFor } from "./wait.ts";

/** Sends `sats` from the faucet to a new address of `lnd` and waits until lnd counts it confirmed. */
export async function fundWallet(btcd: Btcd, lnd: Lnd, sats: bigint): Promise<void> {
  const before = await lnd.wallet.getChainBalance();
  await btcd.faucet.pay([{ address: await lnd.wallet.createAddress(), sats }]);
  await btcd.mine(1);
  await waitFor(async () => (await lnd.wallet.getChainBalance()) >= before + sats, {
    what: `${lnd.alias}'s wallet to see ${sats} sats confirmed`,
    timeoutMs: 60_000,
    intervalMs: 200,
    watch: [btcd.process, lnd.process],
  });
}

/**
 * Opens a channel funded by `opener` to `peer`, mines it to confirmation, and waits until it is
 * active on both sides and routable from the opener (both policies in its graph).
 */
export async function openActiveChannel(
  btcd: Btcd,
  opener: Lnd,
  peer: Lnd,
  capacitySats: bigint,
  pushSats?: bigint,
): Promise<LightningChannelState> {
  const funding = await openWithReconnect(opener, peer, capacitySats, pushSats);
  const watch = [btcd.process, opener.process, peer.process];
  const isOurs = (c: LightningChannelState) =>
    c.fundingTxid === funding.fundingTxid && c.fundingOutputIndex === funding.fundingOutputIndex && c.active;
  // Mine one block at a time until lnd reports the channel: confirmation depth is lnd's business.
  const channel = await waitFor(
    async () => {
      const found = (await opener.wallet.listChannels()).find(isOurs);
      if (!found) await btcd.mine(1);
      return found;
    },
    {
      what: `channel ${opener.alias} → ${peer.alias} to become active`,
      timeoutMs: 90_000,
      intervalMs: 300,
      watch,
    },
  );
  await waitFor(async () => (await peer.wallet.listChannels()).some(isOurs), {
    what: `${peer.alias} to see the channel active`,
    timeoutMs: 60_000,
    intervalMs: 200,
    watch,
  });
  await waitFor(() => opener.wallet.isChannelRoutable(channel.id), {
    what: `channel ${channel.id} to be routable from ${opener.alias}`,
    timeoutMs: 60_000,
    intervalMs: 200,
    watch,
  });
  return channel;
}

/**
 * Connects and opens. On a loaded machine lnd may drop a fresh peer connection while the open
 * is negotiated (`RemotePeerExited`, `RemotePeerDisconnected`, `peer ... is not online`: seen
 * in a full `npm test` beside two busy loops); ln-service's open resolves when lnd reports the
 * channel pending (funding published), so an error before that funded nothing, and reconnecting
 * and opening again is safe. Any other error is final.
 */
async function openWithReconnect(opener: Lnd, peer: Lnd, capacitySats: bigint, pushSats?: bigint) {
  for (let attempt = 1; ; attempt++) {
    try {
      await opener.wallet.connectPeer(peer.pubkey, peer.p2pSocket).catch((err: Error) => {
        if (!/already connected/i.test(err.message)) throw err;
      });
      return await opener.wallet.openChannel({ pubkey: peer.pubkey, capacitySats, pushSats });
    } catch (err) {
      const message = (err as Error).message;
      const transient =
        /RemotePeerExited|RemotePeerDisconnected|not online|PeerNotConnected|peer exited|WalletNotFullySynced/i.test(
          message,
        );
      if (!transient || attempt >= 3) throw err;
      // A loaded machine can leave lnd a block behind the chain: wait until it is synced.
      await waitFor(async () => (await opener.wallet.getInfo()).syncedToChain, {
        what: "lnd to answer, synced to chain, before retrying the open",
        timeoutMs: 60_000,
        intervalMs: 250,
      });
    }
  }
}
