import type { PlatformSettings } from "@hyperhash/cdk8s";
import type { LightningWallet } from "@hyperhash/lightning";
import type { CoreClient } from "../core/core-client.ts";

/** Where the Core Treasury's lnd credentials live: a Secret with `socket`, `tls.cert`, `macaroon.hex`. */
export interface TreasurySecretRef {
  namespace: string;
  name: string;
}

/** Settings every reconciler shares. */
export interface OperatorSettings {
  platform: PlatformSettings;
  core: CoreClient;
  treasurySecret: TreasurySecretRef;
  /** Namespace PayoutWindows are mirrored into. */
  windowNamespace: string;
  /** Telemetry older than this sets TelemetryReporting=False. */
  telemetryStaleMs: number;
  /** Steady-state re-check period of HyperNodes and channels. */
  pollMs: number;
  /** Failed opens of one LightningChannel before it goes Failed (reason OpenFailed). */
  maxOpenAttempts: number;
  /** Opens an lnd connection; injectable so tests may count calls. */
  connectLnd(args: { socket: string; certPem: string; macaroonHex: string }): LightningWallet;
}
