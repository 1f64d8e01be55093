/**
 * Fault injection for crash tests (issue 7), test-only: the shipped image bundles src/main.ts,
 * which refuses HH_FAULT; only test/support/main-fault.ts reads it.
 */

/** The exit code of the injected exit, so a test can tell it from a crash. */
export const FAULT_EXIT_CODE = 86;

/** `exit-after-payment:N` exits right after the Nth paid payment; anything else is refused. */
export function parseFault(spec: string | undefined): { exitAfterPayments?: number } {
  if (!spec) return {};
  const m = /^exit-after-payment:([1-9]\d{0,5})$/.exec(spec);
  if (!m) throw new Error(`HH_FAULT: unknown fault "${spec}" (known: exit-after-payment:N)`);
  return { exitAfterPayments: Number(m[1]) };
}
