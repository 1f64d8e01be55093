import { encodeAuthoritySecretKey } from "@hyperhash/sv2";
import test from "ava";
import { ConfigError, loadEnvConfig } from "../../src/index.ts";

const secret = new Uint8Array(32).fill(3);
const base = {
  HH_TP_NETWORK: "regtest",
  HH_TP_RPC_URL: "https://127.0.0.1:18334",
  HH_TP_RPC_USER: "hyperhash",
  HH_TP_RPC_PASSWORD: "pw-do-not-print",
  HH_TP_RPC_DIALECT: "btcd",
  HH_TP_AUTHORITY_SECRET_KEY: encodeAuthoritySecretKey(secret),
};

test("HH_TP_* env: defaults, coerced numbers, files for the password, key and certificate", (t) => {
  const { env, endpoint, authoritySecretKey } = loadEnvConfig(base);
  t.deepEqual(authoritySecretKey, secret);
  t.is(env.HH_TP_FEE_UPDATE_INTERVAL_MS, 5_000, "fee updates default to 5 s");
  t.is(env.HH_TP_LISTEN_HOST, "127.0.0.1");
  t.like(endpoint, { url: base.HH_TP_RPC_URL, user: "hyperhash", password: "pw-do-not-print" });
  const files: Record<string, string> = {
    "/s/pw": "from-file\n",
    "/s/key": `${base.HH_TP_AUTHORITY_SECRET_KEY}\n`,
    "/s/cert": "PEM",
  };
  const fromFiles = loadEnvConfig(
    {
      ...base,
      HH_TP_RPC_PASSWORD: undefined,
      HH_TP_RPC_PASSWORD_FILE: "/s/pw",
      HH_TP_AUTHORITY_SECRET_KEY: undefined,
      HH_TP_AUTHORITY_SECRET_KEY_FILE: "/s/key",
      HH_TP_RPC_CERT_FILE: "/s/cert",
      HH_TP_FEE_UPDATE_INTERVAL_MS: "1500",
    },
    (p) => files[p]!,
  );
  t.is(fromFiles.endpoint.password, "from-file");
  t.is(fromFiles.endpoint.caPem, "PEM");
  t.is(fromFiles.env.HH_TP_FEE_UPDATE_INTERVAL_MS, 1_500);
});

test("HH_TP_* env: bad values are a ConfigError naming the variable, never echoing a secret", (t) => {
  const bad = t.throws(() => loadEnvConfig({ ...base, HH_TP_NETWORK: "moon", HH_TP_LISTEN_PORT: "70000" }), {
    instanceOf: ConfigError,
  });
  t.regex(bad.message, /HH_TP_NETWORK/);
  t.regex(bad.message, /HH_TP_LISTEN_PORT/);
  const key = t.throws(
    () => loadEnvConfig({ ...base, HH_TP_AUTHORITY_SECRET_KEY: "not-a-key-pw-do-not-print" }),
    {
      instanceOf: ConfigError,
    },
  );
  t.notRegex(key.message, /do-not-print/);
  t.throws(() => loadEnvConfig({ ...base, HH_TP_RPC_PASSWORD: undefined }), {
    message: /HH_TP_RPC_PASSWORD/,
  });
});
