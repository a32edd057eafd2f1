// The frame: navigation by permission, language switch, notifications bell, sign-out; screens load on demand.
import { lazy, Suspense, useEffect, useState, type ReactNode } from "react";
import { Link, NavLink, Route, Routes, useLocation } from "react-router-dom";
import { P, useAuth } from "./auth";
import { session } from "./api/session";
import { useI18n, type Key } from "./i18n";
import { useNotifications } from "./notifications";
import { Loading } from "./ui";
import { Login } from "./pages/Login";

const Dashboard = lazy(() => import("./pages/Dashboard"));
const SalesReport = lazy(() => import("./pages/SalesReport"));
const InventoryReport = lazy(() => import("./pages/InventoryReport"));
const Stock = lazy(() => import("./pages/Stock"));
const Products = lazy(() => import("./pages/Products"));
const Customers = lazy(() => import("./pages/Customers"));
const CustomerProfile = lazy(() => import("./pages/CustomerProfile"));
const Funnel = lazy(() => import("./pages/Funnel"));
const Notifications = lazy(() => import("./pages/Notifications"));
const Integrations = lazy(() => import("./pages/admin/Integrations"));
const Sync = lazy(() => import("./pages/admin/Sync"));
const Users = lazy(() => import("./pages/admin/Users"));
const Roles = lazy(() => import("./pages/admin/Roles"));
const Audit = lazy(() => import("./pages/admin/Audit"));
const Health = lazy(() => import("./pages/admin/Health"));

type Screen = { path: string; label: Key; perms: string[]; element: ReactNode; group?: "reports" | "admin"; nav?: boolean };
const SCREENS: Screen[] = [
  { path: "/", label: "dashboard", perms: [P.analytics], element: <Dashboard /> },
  { path: "/reports/sales", label: "sales", perms: [P.analytics], element: <SalesReport />, group: "reports" },
  { path: "/reports/inventory", label: "inventoryReport", perms: [P.analytics], element: <InventoryReport />, group: "reports" },
  { path: "/reports/funnel", label: "funnel", perms: [P.analytics], element: <Funnel />, group: "reports" },
  { path: "/stock", label: "stock", perms: [P.inventory], element: <Stock /> },
  { path: "/products", label: "products", perms: [P.products], element: <Products /> },
  { path: "/customers", label: "customers", perms: [P.analytics], element: <Customers /> },
  { path: "/customers/:id", label: "profile", perms: [P.analytics], element: <CustomerProfile />, nav: false },
  { path: "/notifications", label: "notifications", perms: [P.notifications, P.analytics], element: <Notifications /> },
  { path: "/admin/integrations", label: "integrations", perms: [P.integrations], element: <Integrations />, group: "admin" },
  { path: "/admin/sync", label: "sync", perms: [P.sync, P.integrations], element: <Sync />, group: "admin" },
  { path: "/admin/users", label: "users", perms: [P.users], element: <Users />, group: "admin" },
  { path: "/admin/roles", label: "roles", perms: [P.users], element: <Roles />, group: "admin" },
  { path: "/admin/audit", label: "audit", perms: [P.users], element: <Audit />, group: "admin" },
  { path: "/admin/health", label: "health", perms: [P.health], element: <Health />, group: "admin" },
];

function Forbidden() {
  const { t } = useI18n();
  return <div className="error" role="alert" data-testid="forbidden">{t("forbidden")}</div>;
}

export function App() {
  const { t, lang, setLang } = useI18n();
  const { me, state, can } = useAuth();
  const { unread, connected } = useNotifications();
  const [menuOpen, setMenuOpen] = useState(false);
  const location = useLocation();
  useEffect(() => setMenuOpen(false), [location.pathname]);

  if (state !== "signed-in") return <Login expired={state === "expired"} />;
  if (!me) return <Loading />;

  const visible = SCREENS.filter((s) => s.nav !== false && can(...s.perms));
  const link = (s: Screen) => (
    <li key={s.path}>
      <NavLink to={s.path} end={s.path === "/"}>
        {t(s.label)}
        {s.path === "/notifications" && unread > 0 && <span className="count" aria-label={`${unread}`}>{unread}</span>}
      </NavLink>
    </li>
  );
  const section = (title: Key, items: Screen[]) =>
    items.length > 0 && (
      <>
        <li className="nav-title" aria-hidden="true">{t(title)}</li>
        {items.map(link)}
      </>
    );
  return (
    <div className="shell">
      <header className="topbar">
        <button className="menu-button" aria-expanded={menuOpen} aria-controls="nav" onClick={() => setMenuOpen((o) => !o)}>
          {t("menu")}
        </button>
        <Link to="/" className="brand">{t("appName")}</Link>
        <span className={`live-dot ${connected ? "on" : ""}`} title={connected ? t("live") : t("connecting")} aria-hidden="true" />
        <span className="spacer" />
        <button onClick={() => setLang(lang === "ru" ? "en" : "ru")} title={t("language")} data-testid="lang">
          {t("langCode")}
        </button>
        <span className="who" data-testid="who">{me.email}</span>
        <button onClick={() => session.logout()} data-testid="logout">{t("logout")}</button>
      </header>
      <nav id="nav" className={`sidebar ${menuOpen ? "open" : ""}`} aria-label={t("menu")}>
        <ul>
          {visible.filter((s) => !s.group).map(link)}
          {section("reports", visible.filter((s) => s.group === "reports"))}
          {section("admin", visible.filter((s) => s.group === "admin"))}
        </ul>
      </nav>
      <main className="content">
        <Suspense fallback={<Loading />}>
          <Routes>
            {SCREENS.map((s) => (
              <Route key={s.path} path={s.path} element={can(...s.perms) ? s.element : <Forbidden />} />
            ))}
            <Route path="*" element={<p>{t("notFound")}</p>} />
          </Routes>
        </Suspense>
      </main>
    </div>
  );
}
