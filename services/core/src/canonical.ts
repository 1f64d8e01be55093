/**
 * The canonical payout list of a window and its SHA-256 digest (`payoutDigest`).
 *
 * Form (UTF-8, every line ends with "\n", JSON without spaces, keys in the order shown,
 * integers of sats as decimal strings):
 *   line 1, the header:
 *     {"format":"hyperhash-payout-list/1","blockHash":…,"height":…,"subsidySats":…,
 *      "feesSats":…,"poolFeeSats":…,"treasurySats":…,"nodeNetworkSats":…,
 *      "carriedInSats":…,"carriedForwardSats":…,"recipientCount":…}
 *   then one line per recipient with a positive amount, sorted by recipientId in
 *   ascending UTF-8 byte order:
 *     {"recipientId":…,"kind":"miner"|"node"|"treasury","amountSats":…}
 * payoutDigest = lowercase hex SHA-256 of those bytes.
 */
import { createHash } from "node:crypto";
import { byteOrderComparator, type Payout, type PayoutRecipient } from "./payout.ts";

/** The format tag in the header line; a change of form changes it. */
export const PAYOUT_LIST_FORMAT = "hyperhash-payout-list/1";

/** The block a payout list belongs to. */
export interface PayoutBlock {
  blockHash: string;
  height: number;
}

/** Serializes the payout of `block` in the canonical form above. */
export function canonicalPayoutList(block: PayoutBlock, payout: Payout): string {
  const compare = byteOrderComparator(payout.recipients.map((r) => r.recipientId));
  const recipients = [...payout.recipients].sort((a, b) => compare(a.recipientId, b.recipientId));
  const header = {
    format: PAYOUT_LIST_FORMAT,
    blockHash: block.blockHash,
    height: block.height,
    subsidySats: payout.subsidySats.toString(),
    feesSats: payout.feesSats.toString(),
    poolFeeSats: payout.poolFeeSats.toString(),
    treasurySats: payout.treasurySats.toString(),
    nodeNetworkSats: payout.nodeNetworkSats.toString(),
    carriedInSats: payout.carriedInSats.toString(),
    carriedForwardSats: payout.carriedForwardSats.toString(),
    recipientCount: recipients.length,
  };
  const lines = [JSON.stringify(header)];
  for (const r of recipients) lines.push(recipientLine(r));
  return `${lines.join("\n")}\n`;
}

function recipientLine(r: PayoutRecipient): string {
  return JSON.stringify({ recipientId: r.recipientId, kind: r.kind, amountSats: r.amountSats.toString() });
}

/** Lowercase hex SHA-256 of the canonical list's UTF-8 bytes. */
export function payoutDigest(canonicalList: string): string {
  return createHash("sha256").update(canonicalList, "utf8").digest("hex");
}

/** Reads the recipient lines back from a canonical list (the header is skipped). */
export function parseCanonicalRecipients(canonicalList: string): PayoutRecipient[] {
  return canonicalList
    .split("\n")
    .slice(1)
    .filter((line) => line.length > 0)
    .map((line) => {
      const r = JSON.parse(line) as {
        recipientId: string;
        kind: PayoutRecipient["kind"];
        amountSats: string;
      };
      return { recipientId: r.recipientId, kind: r.kind, amountSats: BigInt(r.amountSats) };
    });
}
