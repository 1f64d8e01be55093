import { generateKeyPairSync, X509Certificate } from "node:crypto";
import test from "ava";
import { selfSignedCertificate } from "../../src/controllers/tls.ts";

test("Managed Lightning: the lnd TLS certificate is valid X.509, self-signed by its key, with the Service names", (t) => {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const pem = selfSignedCertificate(privateKey, {
    commonName: "edge-1-lnd",
    dnsNames: ["edge-1-lnd", "edge-1-lnd.miners.svc"],
    days: 365,
  });
  const cert = new X509Certificate(pem);
  t.true(cert.verify(publicKey));
  t.true(cert.checkIssued(cert));
  t.is(cert.subject, "CN=edge-1-lnd");
  t.regex(cert.subjectAltName ?? "", /DNS:edge-1-lnd\.miners\.svc/);
  t.regex(cert.subjectAltName ?? "", /IP Address:127\.0\.0\.1/);
  t.true(cert.ca);
  t.true(new Date(cert.validTo).getTime() > Date.now() + 364 * 86_400_000);
});
