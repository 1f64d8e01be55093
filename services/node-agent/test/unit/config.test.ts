import test from "ava";
import { macaroonHex } from "../../src/config.ts";

test("HH_AGENT_LND_MACAROON_PATH: lnd's binary macaroon and a Secret's hex text give the same hex", (t) => {
  const binary = Uint8Array.from([0x02, 0x01, 0x03, 0x6c, 0x6e, 0x64]);
  t.is(macaroonHex(binary), "0201036c6e64");
  t.is(macaroonHex(new TextEncoder().encode("0201036C6E64\n")), "0201036c6e64");
});
