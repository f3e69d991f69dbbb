import http, { type IncomingMessage, type ServerResponse } from "node:http";
import https from "node:https";
import type { AddressInfo, Socket } from "node:net";

export type RequestHandler = (request: IncomingMessage, response: ServerResponse) => Promise<void> | void;
/** Answers a request whose handler threw before it wrote its headers (after that, the connection is dropped). */
export type ErrorResponder = (response: ServerResponse, error: unknown) => void;

const plain500: ErrorResponder = (response, error) => {
  response.writeHead(500).end(error instanceof Error ? error.message : String(error));
};

/**
 * The server under every emulator: 127.0.0.1 on a free port, HTTPS with the given certificate (HTTP
 * without one, as the managed identity endpoint is), and a stop() that does not wait for clients'
 * keep-alive connections.
 */
export class LoopbackServer {
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();

  constructor(tls: { readonly cert: string; readonly key: string } | undefined, handle: RequestHandler, onError: ErrorResponder = plain500) {
    this.server = tls ? https.createServer({ cert: tls.cert, key: tls.key }) : http.createServer();
    this.server.on("connection", (socket: Socket) => {
      this.sockets.add(socket);
      socket.once("close", () => this.sockets.delete(socket));
    });
    this.server.on("request", (request: IncomingMessage, response: ServerResponse) => {
      Promise.resolve()
        .then(() => handle(request, response))
        .catch((error: unknown) => {
          if (response.headersSent) response.destroy();
          else onError(response, error);
        });
    });
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => resolve());
    });
  }

  /** `https://127.0.0.1:<port>` (or http), once listening. */
  get origin(): string {
    const address = this.server.address() as AddressInfo | null;
    if (!address) throw new Error("the emulator is not listening");
    return `${this.server instanceof https.Server ? "https" : "http"}://127.0.0.1:${address.port}`;
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}
