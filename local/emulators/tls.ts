import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";
import { generate } from "selfsigned";

export interface TestTls {
  readonly cert: string;
  readonly key: string;
  readonly certPath: string;
  readonly keyPath: string;
}

/**
 * A self-signed certificate for localhost / 127.0.0.1, made once per folder. Node trusts it when
 * NODE_EXTRA_CA_CERTS points at certPath (set before the process starts: test/support/globalSetup.ts does it
 * for the test workers, scripts/local.ts for the app it starts), so the emulators speak real HTTPS.
 */
export async function ensureTestTls(dir: string): Promise<TestTls> {
  const certPath = path.join(dir, "cert.pem");
  const keyPath = path.join(dir, "key.pem");
  if (!existsSync(certPath) || !existsSync(keyPath)) {
    mkdirSync(dir, { recursive: true });
    const notAfterDate = new Date(Date.now() + 5 * 365 * 24 * 3600 * 1000);
    const pems = await generate([{ name: "commonName", value: "localhost" }], {
      keySize: 2048,
      notAfterDate,
      extensions: [
        { name: "basicConstraints", cA: true },
        { name: "keyUsage", digitalSignature: true, keyEncipherment: true, keyCertSign: true },
        { name: "extKeyUsage", serverAuth: true },
        { name: "subjectAltName", altNames: [{ type: 2, value: "localhost" }, { type: 7, ip: "127.0.0.1" }, { type: 7, ip: "::1" }] },
      ],
    });
    writeFileSync(keyPath, pems.private, { mode: 0o600 });
    writeFileSync(certPath, pems.cert);
  }
  return { cert: readFileSync(certPath, "utf8"), key: readFileSync(keyPath, "utf8"), certPath, keyPath };
}

/** The TLS material of the running test session (see test/support/globalSetup.ts). */
export function loadTestTls(): TestTls {
  const certPath = process.env["NODE_EXTRA_CA_CERTS"];
  if (!certPath) throw new Error("NODE_EXTRA_CA_CERTS is not set: run the tests through vitest (vitest.config.ts makes the test certificate)");
  const keyPath = path.join(path.dirname(certPath), "key.pem");
  return { cert: readFileSync(certPath, "utf8"), key: readFileSync(keyPath, "utf8"), certPath, keyPath };
}
