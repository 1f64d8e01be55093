import { execFileSync } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** A key pair and certificate written to disk as PEM. */
export interface IssuedCert {
  certPath: string;
  keyPath: string;
  certPem: string;
  keyPem: string;
}

function openssl(args: string[]): void {
  try {
    execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? "";
    if ((err as NodeJS.ErrnoException).code === "ENOENT")
      throw new Error("openssl is not on PATH; install it (Debian: apt-get install openssl)");
    throw new Error(`openssl ${args[0]} failed: ${stderr.trim()}`);
  }
}

function writeKey(path: string): string {
  // Keys come from node:crypto; openssl only signs certificates.
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  writeFileSync(path, pem, { mode: 0o600 });
  return pem;
}

/** A throwaway certificate authority for the local control plane. */
export interface CertificateAuthority extends IssuedCert {
  /** Issues a leaf certificate signed by this CA. */
  issue(args: {
    name: string;
    commonName: string;
    organization?: string;
    usage: "server" | "client" | "both";
    ipAddresses?: string[];
    dnsNames?: string[];
  }): IssuedCert;
}

/** Creates a CA (EC P-256, 10 years) in `dir`. */
export function createCertificateAuthority(dir: string, commonName: string): CertificateAuthority {
  const keyPath = join(dir, "ca.key");
  const certPath = join(dir, "ca.crt");
  const keyPem = writeKey(keyPath);
  openssl([
    "req",
    "-x509",
    "-new",
    "-key",
    keyPath,
    "-subj",
    `/CN=${commonName}`,
    "-days",
    "3650",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
    "-out",
    certPath,
  ]);
  const certPem = readFileSync(certPath, "utf8");
  return {
    keyPath,
    certPath,
    keyPem,
    certPem,
    issue({ name, commonName: cn, organization, usage, ipAddresses = [], dnsNames = [] }) {
      const leafKey = join(dir, `${name}.key`);
      const leafCsr = join(dir, `${name}.csr`);
      const leafCert = join(dir, `${name}.crt`);
      const extPath = join(dir, `${name}.ext`);
      const leafKeyPem = writeKey(leafKey);
      const subject = organization ? `/O=${organization}/CN=${cn}` : `/CN=${cn}`;
      openssl(["req", "-new", "-key", leafKey, "-subj", subject, "-out", leafCsr]);
      const eku = { server: "serverAuth", client: "clientAuth", both: "serverAuth,clientAuth" }[usage];
      const sans = [...ipAddresses.map((ip) => `IP:${ip}`), ...dnsNames.map((d) => `DNS:${d}`)];
      writeFileSync(
        extPath,
        [
          "basicConstraints=critical,CA:FALSE",
          "keyUsage=critical,digitalSignature,keyEncipherment",
          `extendedKeyUsage=${eku}`,
          ...(sans.length ? [`subjectAltName=${sans.join(",")}`] : []),
        ].join("\n"),
      );
      openssl([
        "x509",
        "-req",
        "-in",
        leafCsr,
        "-CA",
        certPath,
        "-CAkey",
        keyPath,
        "-set_serial",
        `0x${randomBytes(16).toString("hex")}`,
        "-days",
        "365",
        "-extfile",
        extPath,
        "-out",
        leafCert,
      ]);
      return {
        certPath: leafCert,
        keyPath: leafKey,
        certPem: readFileSync(leafCert, "utf8"),
        keyPem: leafKeyPem,
      };
    },
  };
}

/** A service-account signing key pair (PKCS#8 private, SPKI public), as kube-apiserver takes them. */
export function createServiceAccountKeys(dir: string): { privateKeyPath: string; publicKeyPath: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const privateKeyPath = join(dir, "sa.key");
  const publicKeyPath = join(dir, "sa.pub");
  writeFileSync(privateKeyPath, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  writeFileSync(publicKeyPath, publicKey.export({ type: "spki", format: "pem" }));
  return { privateKeyPath, publicKeyPath };
}
