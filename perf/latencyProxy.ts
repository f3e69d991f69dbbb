import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * An HTTP proxy that holds each request for a fixed time before passing it on: the round trip a
 * cloud service adds (Table Storage from a function app), in front of Azurite.
 */
export async function startLatencyProxy(target: { host: string; port: number }, delayMs: number): Promise<{ port: number; stop(): Promise<void> }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      setTimeout(() => {
        const upstream = http.request({ host: target.host, port: target.port, method: request.method, path: request.url, headers: request.headers, agent }, (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        });
        upstream.on("error", () => response.destroy());
        upstream.end(Buffer.concat(chunks));
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    port: (server.address() as AddressInfo).port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}
