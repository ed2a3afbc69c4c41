/**
 * Typed calls to the Opsflow HTTP API with `fetch`, on the types that
 * `make client` generates into `schema.d.ts` from `docs/openapi.json`.
 *
 * Invariant: every path, method, query, body and answer used here is read
 * from the generated `paths`, so a call the API does not document (or no
 * longer documents) is a type error under `tsc --noEmit`, which CI runs.
 */
import type { components, paths } from "./schema";

/** The methods an operation may have. */
export type Method = "get" | "post" | "put" | "patch" | "delete";

/** The operation at path `P` for method `M`. */
export type Operation<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;

/** The JSON body operation `M P` takes. */
export type Body<P extends keyof paths, M extends Method> =
  Operation<P, M> extends { requestBody?: { content: { "application/json": infer B } } } ? B : never;

/** The query parameters of operation `M P`. */
export type Query<P extends keyof paths, M extends Method> =
  Operation<P, M> extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;

/** The JSON answer of operation `M P` with status `S`. */
export type Answer<P extends keyof paths, M extends Method, S extends number> =
  Operation<P, M> extends { responses: { [K in S]: { content: { "application/json": infer R } } } }
    ? R
    : never;

/** An RFC 9457 problem document: what every error answers. */
export type Problem = components["schemas"]["Problem"];

/** Where the API is, and the access token to send (when signed in). */
export interface Client {
  baseUrl: string;
  token?: string;
}

/** An answer with an error status, and its problem document. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(`${status} ${problem.title}${problem.detail ? `: ${problem.detail}` : ""}`);
  }
}

/** Sends one request; the JSON answer, or an `ApiError`. */
async function send<T>(
  client: Client,
  method: Uppercase<Method>,
  path: string,
  options: { query?: Record<string, unknown>; body?: unknown } = {},
): Promise<T> {
  const url = new URL(path, client.baseUrl);
  for (const [name, value] of Object.entries(options.query ?? {})) {
    if (value !== undefined) url.searchParams.set(name, String(value));
  }
  const headers: Record<string, string> = { accept: "application/json" };
  if (client.token) headers["authorization"] = `Bearer ${client.token}`;
  const init: RequestInit = { method, headers };
  if (options.body !== undefined) {
    headers["content-type"] = "application/json";
    init.body = JSON.stringify(options.body);
  }
  const response = await fetch(url, init);
  if (!response.ok) throw new ApiError(response.status, (await response.json()) as Problem);
  return (await response.json()) as T;
}

/** `POST /api/v1/auth/login`: the access and refresh tokens. */
export function logIn(
  client: Client,
  credentials: Body<"/api/v1/auth/login", "post">,
): Promise<Answer<"/api/v1/auth/login", "post", 200>> {
  return send(client, "POST", "/api/v1/auth/login", { body: credentials });
}

/** `GET /api/v1/approvals`: one page of the approvals the caller may see. */
export function listApprovals(
  client: Client,
  query: Query<"/api/v1/approvals", "get"> = {},
): Promise<Answer<"/api/v1/approvals", "get", 200>> {
  return send(client, "GET", "/api/v1/approvals", { query });
}

/** Signs in and lists the titles of the requests waiting for the caller. */
export async function waitingForMe(
  baseUrl: string,
  email: string,
  password: string,
): Promise<string[]> {
  const tokens = await logIn({ baseUrl }, { email, password });
  const page = await listApprovals(
    { baseUrl, token: tokens.access_token },
    { assigned: "me", limit: 50 },
  );
  return page.items.map((approval) => approval.title);
}
