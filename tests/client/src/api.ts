// The client a mini-program would build: typed from openapi/openapi.json, no hand-written
// shapes. `wx.request` is stood in for by fetch; it sends no cookies and cannot PATCH.
import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "./schema.js";

export type Schemas = components["schemas"];
export type ErrorBody = Schemas["ErrorBody"];
export type ErrorCode = ErrorBody["code"];
export type Api = Client<paths>;

/** The server under test, e.g. `http://127.0.0.1:8080`. */
export const base = process.env.LINLI_API ?? "http://127.0.0.1:8080";

/** A client that sends `token` as a bearer token, as every page after login does. */
export function client(token?: string): Api {
  const headers: Record<string, string> = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  return createClient<paths>({ baseUrl: base, headers });
}

/** Fails the run with what was expected and what came back. */
export function check(cond: unknown, what: string, got?: unknown): asserts cond {
  if (!cond) {
    throw new Error(`${what}${got === undefined ? "" : `: ${JSON.stringify(got)}`}`);
  }
}

/** The data of a successful call, or a failure naming the call and the error body. */
export function ok<T>(what: string, r: { data?: T; error?: unknown; response: Response }): T {
  check(r.data !== undefined && r.response.ok, `${what} answered ${r.response.status}`, r.error);
  return r.data;
}

/** The error body of a call that must fail with `status`. */
export function failed(
  what: string,
  status: number,
  r: { data?: unknown; error?: unknown; response: Response },
): ErrorBody {
  check(r.response.status === status, `${what}: expected ${status}, got ${r.response.status}`, r.data ?? r.error);
  const body = r.error as ErrorBody;
  check(typeof body?.code === "string" && body.message.length > 0, `${what}: an error body`, body);
  return body;
}

/** What a page shows for an error: the server's Chinese message, or a page's own action. */
export function toast(e: ErrorBody): string {
  // Switching on the documented codes: a renamed or removed code stops this compiling.
  switch (e.code) {
    case "token_expired":
      return "refresh";
    case "unauthorized":
      return "login";
    case "insufficient_points":
      return `${e.message}（余额 ${String(e.details?.["balance"] ?? "?")}）`;
    case "limit_reached":
      return `${e.message}，下月再来`;
    case "redemption_code_not_found":
    case "validation_failed":
    default:
      return e.message;
  }
}

/** Calls a `PATCH` the way `wx.request` can: a `POST` with `X-HTTP-Method-Override`. */
export async function patchByPost<T>(path: string, token: string, body: unknown): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${token}`,
      "Content-Type": "application/json",
      "X-HTTP-Method-Override": "PATCH",
    },
    body: JSON.stringify(body),
  });
  check(res.ok, `POST ${path} with the PATCH override answered ${res.status}`, await res.clone().text());
  return (await res.json()) as T;
}

/** Logs in with a mock WeChat code, as `wx.login` + our login call would. */
export async function login(code: string): Promise<Schemas["TokenResponse"]> {
  return ok(
    `login ${code}`,
    await client().POST("/api/v1/auth/wechat-login", { body: { code: `mock:${code}` } }),
  );
}
