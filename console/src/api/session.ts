// Access + refresh tokens. The access token (short-lived) goes on every call; shortly before it expires, or when an
// answer is 401, the refresh token is traded for a new pair once (auth rotates refresh tokens and treats the reuse of
// a spent one as theft, so concurrent refreshes are merged, and serialised across tabs with the Web Locks API).
// A failed refresh ends the session as "expired"; logout revokes it at auth.

export type Tokens = { access: string; refresh: string; accessExpiresAt: number };
type TokenResponse = { access_token: string; refresh_token: string; expires_in: number };

const KEY = "crm.console.tokens";
const EARLY_MS = 30_000;

function load(): Tokens | null {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Tokens) : null;
  } catch {
    return null;
  }
}

export type SessionState = "signed-in" | "signed-out" | "expired";

class Session {
  private tokens: Tokens | null = load();
  private pending: Promise<boolean> | null = null;
  private listeners = new Set<(s: SessionState) => void>();
  state: SessionState = this.tokens ? "signed-in" : "signed-out";

  constructor() {
    // Another tab logged in, refreshed or logged out: follow it.
    window.addEventListener("storage", (e) => {
      if (e.key !== KEY) return;
      this.tokens = load();
      this.emit(this.tokens ? "signed-in" : "signed-out");
    });
  }

  subscribe(fn: (s: SessionState) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(state: SessionState) {
    this.state = state;
    this.listeners.forEach((fn) => fn(state));
  }

  private store(body: TokenResponse) {
    this.tokens = {
      access: body.access_token,
      refresh: body.refresh_token,
      accessExpiresAt: Date.now() + body.expires_in * 1000,
    };
    localStorage.setItem(KEY, JSON.stringify(this.tokens));
  }

  end(state: "signed-out" | "expired") {
    this.tokens = null;
    localStorage.removeItem(KEY);
    this.emit(state);
  }

  async login(email: string, password: string): Promise<{ ok: true } | { ok: false; status: number; detail: string }> {
    const r = await fetch("/api/v1/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password }),
    });
    if (!r.ok) {
      const body = await r.json().catch(() => ({}));
      return { ok: false, status: r.status, detail: String(body.detail ?? r.statusText) };
    }
    this.store(await r.json());
    this.emit("signed-in");
    return { ok: true };
  }

  /** Revoke the session at auth (with a fresh access token: an expired one would be refused), then forget it. */
  async logout() {
    if (this.tokens) {
      const request = () => new Request("/api/v1/auth/logout", { method: "POST" });
      await this.fetch(request()).catch(() => undefined);
    }
    this.end("signed-out");
  }

  /** A valid access token, refreshed first if it is about to expire; null when there is no session. */
  async accessToken(): Promise<string | null> {
    if (!this.tokens) return null;
    if (this.tokens.accessExpiresAt - Date.now() < EARLY_MS) await this.refresh();
    return this.tokens?.access ?? null;
  }

  refresh(): Promise<boolean> {
    if (!this.pending) {
      const run = () => this.doRefresh();
      const locks = (navigator as Navigator & { locks?: LockManager }).locks;
      this.pending = ((locks ? locks.request(KEY, run) : run()) as Promise<boolean>).finally(() => (this.pending = null));
    }
    return this.pending!;
  }

  private async doRefresh(): Promise<boolean> {
    const before = this.tokens?.refresh;
    const latest = load(); // another tab may have refreshed while we waited for the lock
    if (latest && latest.refresh !== before && latest.accessExpiresAt - Date.now() > EARLY_MS) {
      this.tokens = latest;
      return true;
    }
    if (!latest) {
      this.end("expired");
      return false;
    }
    const r = await fetch("/api/v1/auth/refresh", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ refresh_token: latest.refresh }),
    }).catch(() => null);
    if (r === null) return false; // network trouble: keep the session, the next call tries again
    if (!r.ok) {
      this.end("expired");
      return false;
    }
    this.store(await r.json());
    return true;
  }

  /** fetch with the access token; one silent refresh and retry on 401. */
  async fetch(request: Request): Promise<Response> {
    const retry = request.clone();
    const token = await this.accessToken();
    const first = await fetch(withToken(request, token));
    if (first.status !== 401 || !this.tokens) return first;
    if (!(await this.refresh())) return first;
    return fetch(withToken(retry, this.tokens?.access ?? null));
  }
}

function withToken(request: Request, token: string | null): Request {
  const headers = new Headers(request.headers);
  if (token) headers.set("authorization", `Bearer ${token}`);
  return new Request(request, { headers });
}

export const session = new Session();
