import path from "node:path";
import { defineConfig } from "vitest/config";
import { ensureTestTls } from "./test/support/tls";

export default defineConfig(async () => {
  // The emulators speak HTTPS with a local self-signed certificate; test workers are forked from
  // this process, so they inherit the trust set here (NODE_EXTRA_CA_CERTS is read at start-up only).
  const tls = await ensureTestTls(path.resolve(__dirname, ".local/test-tls"));
  process.env["NODE_EXTRA_CA_CERTS"] = tls.certPath;
  return {
    test: {
      include: ["test/**/*.test.ts"],
      pool: "forks",
      testTimeout: 30_000,
      hookTimeout: 60_000,
    },
  };
});
