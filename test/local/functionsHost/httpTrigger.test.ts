import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FunctionsHost, type HostLogLine, type InvocationResult } from "../../../local/functionsHost/functionsHost";
import { authorizes, generateHostKeys, httpRouteOf, matchRoute, RESERVED_ROUTE_MESSAGE, type HttpRoute } from "../../../local/functionsHost/httpRoutes";
import { HttpTriggerServer } from "../../../local/functionsHost/httpServer";

/**
 * HTTP triggers in the emulated host: the host's routing (prefix `api/`, route or function name,
 * methods, parameters, reserved `admin`/`runtime` routes), its keys (`x-functions-key` or `code`,
 * function and admin levels), the request and answer converted by the real @azure/functions library
 * (HttpRequest in, HttpResponseInit out), and the admin endpoint that starts a timer function.
 */
const ROOT = path.resolve(__dirname, "../../..");

const APP = String.raw`
const { app } = require("@azure/functions");
app.http("echo", {
  route: "items/{id}/{rest?}",
  methods: ["GET", "POST"],
  authLevel: "anonymous",
  handler: async (request, context) => ({
    status: 201,
    headers: { "x-seen-by": context.functionName },
    jsonBody: {
      isHttpRequest: request.constructor.name,
      method: request.method,
      url: request.url,
      params: request.params,
      query: Object.fromEntries(request.query),
      header: request.headers.get("x-custom"),
      body: request.method === "POST" ? await request.json() : null,
    },
  }),
});
app.http("functionLevel", { authLevel: "function", handler: () => ({ body: "function level ok" }) });
app.http("adminLevel", { route: "ops/thing", methods: ["POST"], authLevel: "admin", handler: () => ({ body: "admin level ok" }) });
app.http("failing", { authLevel: "anonymous", handler: () => { throw new Error("handler blew up"); } });
app.http("adminReserved", { authLevel: "anonymous", handler: () => ({ body: "never served" }) });
app.http("runtimeRoute", { route: "Runtime/status", authLevel: "anonymous", handler: () => ({ body: "never served" }) });
app.timer("tick", { schedule: "0 0 0 1 1 *", handler: (timer, context) => context.log("tick ran, isPastDue=" + timer.isPastDue) });
`;

let appDir: string;
let host: FunctionsHost;
let server: HttpTriggerServer;
const lines: HostLogLine[] = [];
const served: string[] = [];
const invoked: { result: InvocationResult; via: string }[] = [];
const invokedWaiters: (() => void)[] = [];

beforeAll(async () => {
  appDir = mkdtempSync(path.join(tmpdir(), "rw-http-"));
  writeFileSync(path.join(appDir, "package.json"), JSON.stringify({ name: "http-fidelity", main: "functions/*.js" }));
  mkdirSync(path.join(appDir, "functions"));
  writeFileSync(path.join(appDir, "functions", "app.js"), APP);
  symlinkSync(path.join(ROOT, "node_modules"), path.join(appDir, "node_modules"), "dir");
  host = await FunctionsHost.load(appDir, { log: (line) => lines.push(line) });
  server = await HttpTriggerServer.start(host, {
    port: 0,
    log: (message) => served.push(message),
    onInvoked: (result, via) => {
      invoked.push({ result, via });
      for (const wake of invokedWaiters.splice(0)) wake();
    },
  });
});
afterAll(async () => {
  await server?.close();
  rmSync(appDir, { recursive: true, force: true });
});

const route = (name: string, trigger: Record<string, unknown>): HttpRoute => httpRouteOf({ name, trigger: { type: "httpTrigger", direction: "in", ...trigger } });

describe("the host's HTTP routes and keys (unit)", () => {
  it("takes the route or the function name, and refuses routes that start with admin or runtime with the host's message", () => {
    expect(route("opsTestAlert", { route: "ops/test-alert", methods: ["POST"], authLevel: "admin" })).toMatchObject({ template: "ops/test-alert", methods: ["POST"], authLevel: "admin" });
    expect(route("hello", { authLevel: "function" }).template).toBe("hello");
    expect(() => route("adminTestAlert", { authLevel: "admin" })).toThrow(RESERVED_ROUTE_MESSAGE);
    expect(() => route("x", { route: "admin/test-alert" })).toThrow(RESERVED_ROUTE_MESSAGE);
    expect(() => route("x", { route: "/RUNTIME/x" })).toThrow(RESERVED_ROUTE_MESSAGE);
    // Only a prefix counts: a route that merely contains the word is served.
    expect(route("x", { route: "ops/admin" }).template).toBe("ops/admin");
    expect(() => route("x", { authLevel: "system" })).toThrow("'system' is not an authorization level");
  });

  it("matches path and method together, case-insensitively, with parameters; anything else is no route (404)", () => {
    const routes = [route("a", { route: "ops/test-alert", methods: ["POST"] }), route("b", { route: "items/{id}/{rest?}", methods: ["GET"] }), route("c", { route: "files/{*path}" })];
    expect(matchRoute(routes, "post", "/api/Ops/Test-Alert")?.route.functionName).toBe("a");
    expect(matchRoute(routes, "GET", "/api/ops/test-alert")).toBeUndefined();
    expect(matchRoute(routes, "POST", "/ops/test-alert")).toBeUndefined();
    expect(matchRoute(routes, "POST", "/api/ops/test-alert/more")).toBeUndefined();
    expect(matchRoute(routes, "GET", "/api/items/42")).toMatchObject({ route: { functionName: "b" }, params: { id: "42" } });
    expect(matchRoute(routes, "GET", "/api/items/42/x%20y")).toMatchObject({ params: { id: "42", rest: "x y" } });
    expect(matchRoute(routes, "GET", "/api/items")).toBeUndefined();
    expect(matchRoute(routes, "DELETE", "/api/files/a/b/c.txt")).toMatchObject({ route: { functionName: "c" }, params: { path: "a/b/c.txt" } });
  });

  it("opens admin functions with the master key only, function ones with the function's key, a host key or the master key", () => {
    const keys = generateHostKeys(["one", "two"]);
    const one = keys.functions["one"]?.["default"];
    const two = keys.functions["two"]?.["default"];
    const hostKey = keys.host["default"];
    expect(new Set([keys.master, one, two, hostKey]).size).toBe(4);
    expect(authorizes(keys, "admin", "one", keys.master)).toBe(true);
    expect([one, two, hostKey, undefined, "", `${keys.master}x`].map((key) => authorizes(keys, "admin", "one", key))).toEqual([false, false, false, false, false, false]);
    expect([keys.master, one, hostKey, two, undefined].map((key) => authorizes(keys, "function", "ONE", key))).toEqual([true, true, true, false, false]);
    expect(authorizes(keys, "anonymous", "one", undefined)).toBe(true);
  });
});

describe("HTTP functions served by the emulated host", () => {
  it("indexes the HTTP functions, putting those on reserved routes in error with the host's message", () => {
    expect(server.routes.map((r) => r.functionName).sort()).toEqual(["adminLevel", "echo", "failing", "functionLevel"]);
    expect(Object.fromEntries(server.functionErrors)).toEqual({ adminReserved: RESERVED_ROUTE_MESSAGE, runtimeRoute: RESERVED_ROUTE_MESSAGE });
    expect(served).toContain(`The 'adminReserved' function is in error: ${RESERVED_ROUTE_MESSAGE}`);
    expect(server.functionUrl("adminLevel")).toBe(`${server.url}/api/ops/thing`);
  });

  it("hands the function the library's own HttpRequest and writes back its HttpResponseInit", async () => {
    const response = await fetch(`${server.url}/api/items/7/extra?color=blue`, { method: "POST", headers: { "x-custom": "hello", "content-type": "application/json" }, body: JSON.stringify({ a: 1 }) });
    expect(response.status).toBe(201);
    expect(response.headers.get("x-seen-by")).toBe("echo");
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({
      isHttpRequest: "HttpRequest",
      method: "POST",
      url: `${server.url}/api/items/7/extra?color=blue`,
      params: { id: "7", rest: "extra" },
      query: { color: "blue" },
      header: "hello",
      body: { a: 1 },
    });
    expect(invoked.at(-1)).toMatchObject({ via: "http", result: { functionName: "echo", ok: true } });
  });

  it("answers 404 for an unknown route, a method the function does not take, and a function in error", async () => {
    const statuses = await Promise.all([
      fetch(`${server.url}/api/nothing-here`),
      fetch(`${server.url}/api/ops/thing?code=${server.keys.master}`),
      fetch(`${server.url}/api/items/7`, { method: "DELETE" }),
      fetch(`${server.url}/api/adminReserved`),
      fetch(`${server.url}/api/runtime/status`),
    ]).then((responses) => responses.map((r) => r.status));
    expect(statuses).toEqual([404, 404, 404, 404, 404]);
  });

  it("asks for keys as the host does: 401 without one, the master key alone for admin level, in the header or ?code=", async () => {
    const post = (url: string, headers: Record<string, string> = {}): Promise<number> => fetch(url, { method: "POST", headers }).then((r) => r.status);
    const admin = `${server.url}/api/ops/thing`;
    const functionKey = server.keys.functions["functionLevel"]?.["default"] ?? "";
    const adminFunctionKey = server.keys.functions["adminLevel"]?.["default"] ?? "";
    expect(await post(admin)).toBe(401);
    expect(await post(admin, { "x-functions-key": adminFunctionKey })).toBe(401);
    expect(await post(admin, { "x-functions-key": server.keys.host["default"] ?? "" })).toBe(401);
    expect(await post(admin, { "x-functions-key": server.keys.master })).toBe(200);
    expect(await post(`${admin}?code=${encodeURIComponent(server.keys.master)}`)).toBe(200);
    const functionLevel = `${server.url}/api/functionLevel`;
    expect(await post(functionLevel)).toBe(401);
    expect(await post(functionLevel, { "x-functions-key": adminFunctionKey })).toBe(401);
    expect(await post(`${functionLevel}?code=${encodeURIComponent(functionKey)}`)).toBe(200);
    const ok = await fetch(functionLevel, { headers: { "x-functions-key": server.keys.master } });
    expect([ok.status, await ok.text()]).toEqual([200, "function level ok"]);
  });

  it("answers 500 with no body when the function throws", async () => {
    const response = await fetch(`${server.url}/api/failing`);
    expect([response.status, await response.text()]).toEqual([500, ""]);
    expect(invoked.at(-1)?.result).toMatchObject({ functionName: "failing", ok: false, error: "handler blew up" });
  });

  it("starts a timer function on POST /admin/functions/<name> with the master key: 202, then the run", async () => {
    const admin = (name: string, key: string | undefined, body = '{"input":""}'): Promise<number> =>
      fetch(`${server.url}/admin/functions/${name}`, { method: "POST", headers: { "content-type": "application/json", ...(key && { "x-functions-key": key }) }, body }).then((r) => r.status);
    const before = invoked.length;
    expect(await admin("tick", undefined)).toBe(401);
    expect(await admin("tick", server.keys.functions["tick"]?.["default"])).toBe(401);
    expect(await admin("nope", server.keys.master)).toBe(404);
    expect(await admin("tick", server.keys.master, "")).toBe(400);
    expect(invoked.length).toBe(before);
    const ran = new Promise<void>((resolve) => invokedWaiters.push(resolve));
    expect(await admin("tick", server.keys.master)).toBe(202);
    await ran;
    expect(invoked.at(-1)).toMatchObject({ via: "admin", result: { functionName: "tick", ok: true } });
    const id = invoked.at(-1)?.result.invocationId;
    expect(lines.find((l) => l.invocationId === id && l.category === "user")?.message).toBe("tick ran, isPastDue=false");
  });
});
