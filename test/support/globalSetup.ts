import path from "node:path";
import { ensureTestTls } from "../../local/emulators/tls";

/**
 * Runs in vitest's main process before any worker is forked. The emulators speak HTTPS with a local
 * self-signed certificate; NODE_EXTRA_CA_CERTS is read only at process start, so it is set here and
 * inherited by the forked test workers (and by any child process a test starts).
 */
export default async function setup(): Promise<void> {
  const tls = await ensureTestTls(path.resolve(__dirname, "../../.local/test-tls"));
  process.env["NODE_EXTRA_CA_CERTS"] = tls.certPath;
}
