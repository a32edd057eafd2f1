// Who is signed in and what they may do (GET /auth/me, re-read after every sign-in); screens ask `can(permission)`.
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from "react";
import { api, ok, type Schemas } from "./api/client";
import { session, type SessionState } from "./api/session";

type Me = Schemas["MeResponse"];
type Ctx = { me: Me | null; state: SessionState; can: (...perms: string[]) => boolean; reload: () => void };
const Auth = createContext<Ctx | null>(null);

export const P = {
  products: "products:read",
  inventory: "inventory:read",
  inventoryWrite: "inventory:write",
  analytics: "analytics:read",
  notifications: "notifications:read",
  users: "admin:users",
  integrations: "admin:integrations",
  sync: "sync:run",
  health: "admin:health",
  customersWrite: "customers:write",
} as const;

export function AuthProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>(session.state);
  const [me, setMe] = useState<Me | null>(null);
  const reload = useCallback(() => {
    if (session.state !== "signed-in") return setMe(null);
    api.GET("/api/v1/auth/me").then(ok).then(setMe, () => setMe(null));
  }, []);
  useEffect(() => session.subscribe(setState), []);
  useEffect(reload, [state, reload]);
  const can = (...perms: string[]) => !!me && perms.some((p) => me.permissions.includes(p));
  return <Auth.Provider value={{ me, state, can, reload }}>{children}</Auth.Provider>;
}

export function useAuth(): Ctx {
  const ctx = useContext(Auth);
  if (!ctx) throw new Error("useAuth outside AuthProvider");
  return ctx;
}
