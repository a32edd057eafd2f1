// The typed API client: openapi-fetch over the paths generated from the gateway's OpenAPI document (schema.d.ts),
// with the session's access token added and refreshed silently (see session.ts).
import createClient from "openapi-fetch";
import type { paths, components } from "./schema";
import { session } from "./session";

export type Schemas = components["schemas"];
export const api = createClient<paths>({ baseUrl: "", fetch: (request: Request) => session.fetch(request) });

export class ApiError extends Error {
  constructor(public status: number, public body: unknown) {
    super(typeof body === "object" && body && "detail" in body ? String((body as { detail: unknown }).detail) : `HTTP ${status}`);
  }
}

/** The data of an openapi-fetch answer, or an ApiError carrying the status and the uniform error body. */
export function ok<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || !result.response.ok) throw new ApiError(result.response.status, result.error);
  return result.data as T;
}
