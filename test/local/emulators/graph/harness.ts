import { afterEach, expect } from "vitest";
import { loadTestTls } from "../../../../local/emulators/tls";
import { GraphEmulator, type GraphEmulatorOptions } from "../../../../local/emulators/graph/graphEmulator";
import { TokenIssuer, type IssueOptions } from "../../../../local/emulators/tokens";

/** Shared by the Graph emulator's tests: one emulator per test over real HTTPS, tokens from one issuer. */

export const READ = "BackupRestore-Restore.Read.All";
export const RESTORE = "/v1.0/solutions/backupRestore";
export const issuer = new TokenIssuer();

const running: GraphEmulator[] = [];

/** Stops every emulator a test started; call once at the top of a test file. */
export function stopEmulatorsAfterEach(): void {
  afterEach(async () => {
    await Promise.all(running.splice(0).map((e) => e.stop()));
  });
}

export async function start(options: Partial<GraphEmulatorOptions> = {}): Promise<GraphEmulator> {
  const emulator = await GraphEmulator.start({ tls: loadTestTls(), issuer, ...options });
  running.push(emulator);
  return emulator;
}

/** An app-only token with these roles. */
export function appToken(roles: string[] = [READ], extra: IssueOptions = {}): string {
  return issuer.issue({ roles, ...extra }).token;
}

/** A delegated token with these space-separated scopes. */
export function userToken(scp = READ): string {
  return issuer.issue({ scp }).token;
}

export interface CallOptions {
  token?: string;
  method?: string;
  body?: unknown;
  prefer?: string;
}

export function call(url: string, options: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { Authorization: `Bearer ${options.token ?? appToken()}` };
  if (options.prefer !== undefined) headers["Prefer"] = options.prefer;
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  return fetch(url, { method: options.method ?? "GET", headers, ...(options.body !== undefined && { body: JSON.stringify(options.body) }) });
}

export interface Page {
  "@odata.context": string;
  "@odata.nextLink"?: string;
  value: Record<string, unknown>[];
}

export async function json<T = Page>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

/** The Graph error envelope's error, after checking the status. */
export async function errorOf(response: Response, status: number): Promise<{ code: string; message: string }> {
  expect(response.status).toBe(status);
  return (await json<{ error: { code: string; message: string } }>(response)).error;
}

/** Follows nextLinks as a client must: absolute as-is, relative against <origin>/<version>. */
export async function collect(emulator: GraphEmulator, path: string, options: CallOptions = {}): Promise<{ pages: Page[]; items: Record<string, unknown>[] }> {
  const version = path.startsWith("/beta/") ? "beta" : "v1.0";
  const pages: Page[] = [];
  let next: string | undefined = `${emulator.url}${path}`;
  while (next) {
    const response = await call(next, options);
    expect(response.status, await response.clone().text()).toBe(200);
    const page = await json(response);
    pages.push(page);
    const link: string | undefined = page["@odata.nextLink"];
    next = link === undefined ? undefined : link.startsWith("https://") ? link : `${emulator.url}/${version}${link}`;
  }
  return { pages, items: pages.flatMap((p) => p.value) };
}
