// The REST client shared by the console, the widget and the plugin tabs (ctx.api).
import { t } from "./i18n.js";

export class ApiError extends Error {
  constructor(message, { status = 0, errors = null, body = null } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    /** Field errors from a 422 (`errors.json`), e.g. {to: ["…"]}; {} when none. */
    this.errors = errors || {};
    this.body = body;
  }
}

/**
 * Where a path goes: "/api/…", "/plugins/…" and absolute URLs as given; anything
 * else is relative to the REST API, so "chats/4" and "/chats/4" both mean
 * "/api/v1/chats/4".
 */
export function apiUrl(path) {
  const text = String(path);
  if (/^https?:\/\//.test(text) || text.startsWith("/api/") || text.startsWith("/plugins/")) return text;
  return "/api/v1" + (text.startsWith("/") ? text : "/" + text);
}

function firstFieldError(errors) {
  for (const problems of Object.values(errors || {})) {
    const first = Array.isArray(problems) ? problems[0] : problems;
    if (typeof first === "string") return first;
    if (first && typeof first === "object") {
      const nested = firstFieldError(first);
      if (nested) return nested;
    }
  }
  return null;
}

/** A readable message for a failed response body. */
export function messageFor(status, body) {
  const fieldErrors = body?.errors?.json || body?.errors?.query || null;
  const fromFields = firstFieldError(fieldErrors);
  if (fromFields) return fromFields;
  if (body?.message && !/^(Unprocessable Entity|Bad Request)$/.test(body.message)) return body.message;
  if (status === 401) return t("api.401");
  if (status === 403) return t("api.403");
  if (status === 404) return t("api.404");
  if (status >= 500) return t("api.500");
  return body?.message || t("api.failed", { status });
}

/**
 * Make `api(path, {method, json})` → Promise of parsed JSON (null for 204).
 * Throws ApiError with a readable message; `error.errors` holds field errors.
 * With `token` (an API token held in memory, e.g. by a widget framed where third-party
 * cookies are blocked) requests carry `Authorization: Bearer` and no cookies.
 */
export function createApi(csrfToken, { token: tokenOf = null } = {}) {
  // `token` may be a function: a widget that renews its token hands out the current one.
  return async function api(path, { method = "GET", json, form, signal } = {}) {
    const token = typeof tokenOf === "function" ? tokenOf() : tokenOf;
    const headers = { Accept: "application/json" };
    const init = { method, headers, credentials: token ? "omit" : "same-origin", signal };
    if (token) headers.Authorization = `Bearer ${token}`;
    if (json !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(json);
    } else if (form !== undefined) {
      init.body = form; // FormData: the browser sets the multipart Content-Type
    }
    if (!["GET", "HEAD", "OPTIONS"].includes(method.toUpperCase()) && csrfToken) {
      headers["X-CSRFToken"] = csrfToken;
    }
    let response;
    try {
      response = await fetch(apiUrl(path), init);
    } catch (exc) {
      if (exc?.name === "AbortError") throw exc;
      throw new ApiError(t("api.unreachable"));
    }
    if (response.status === 204) return null;
    const text = await response.text();
    let body = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    if (!response.ok) {
      throw new ApiError(messageFor(response.status, body), {
        status: response.status,
        errors: body?.errors?.json || null,
        body,
      });
    }
    return body;
  };
}
