// Small shared pieces: loading/error states, a data hook, tables, paging, status badges.
import { useCallback, useEffect, useState, type ReactNode } from "react";
import { api, ApiError, ok } from "./api/client";
import { useI18n, type Key } from "./i18n";

export function useData<T>(load: () => Promise<T>, deps: unknown[]): { data: T | null; error: unknown; loading: boolean; reload: () => void } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const run = useCallback(load, deps);
  useEffect(() => {
    let live = true;
    setLoading(true);
    run().then(
      (d) => live && (setData(d), setError(null), setLoading(false)),
      (e) => live && (setError(e), setLoading(false)),
    );
    return () => {
      live = false;
    };
  }, [run, tick]);
  return { data, error, loading, reload: () => setTick((n) => n + 1) };
}

export function Loading() {
  const { t } = useI18n();
  return <p className="muted" role="status">{t("loading")}</p>;
}

export function ErrorBox({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useI18n();
  const text = error instanceof ApiError && error.status === 403 ? t("forbidden") : error instanceof Error ? error.message : String(error);
  return (
    <div className="error" role="alert">
      {t("error")}: {text} {onRetry && <button onClick={onRetry}>{t("retry")}</button>}
    </div>
  );
}

export function Async<T>({ state, children }: { state: { data: T | null; error: unknown; loading: boolean; reload: () => void }; children: (d: T) => ReactNode }) {
  if (state.error) return <ErrorBox error={state.error} onRetry={state.reload} />;
  if (state.data === null) return <Loading />;
  return <>{children(state.data)}</>;
}

export function Pager({ offset, limit, total, onChange }: { offset: number; limit: number; total: number; onChange: (o: number) => void }) {
  const { t } = useI18n();
  const pages = Math.max(1, Math.ceil(total / limit));
  const page = Math.floor(offset / limit) + 1;
  return (
    <nav className="pager" aria-label="pagination">
      <button disabled={offset === 0} onClick={() => onChange(Math.max(0, offset - limit))}>{t("prev")}</button>
      <span>{t("pageOf", { page, pages })} · {t("total", { n: total })}</span>
      <button disabled={offset + limit >= total} onClick={() => onChange(offset + limit)}>{t("next")}</button>
    </nav>
  );
}

export function Status({ value }: { value: string }) {
  const { t } = useI18n();
  const known = ["pending", "running", "succeeded", "failed", "skipped", "done", "ok", "degraded", "unavailable"];
  return <span className={`badge badge-${value}`}>{known.includes(value) ? t(value as Key) : value}</span>;
}

export function Page({ title, actions, children }: { title: string; actions?: ReactNode; children: ReactNode }) {
  useEffect(() => {
    document.title = `${title} — CRM`;
  }, [title]);
  return (
    <section className="page">
      <header className="page-head">
        <h1>{title}</h1>
        {actions && <div className="actions">{actions}</div>}
      </header>
      {children}
    </section>
  );
}

/** A file from the API (CSV/XLSX export) downloaded with the session's token. */
export async function download(url: string, name: string, fetcher: (r: Request) => Promise<Response>) {
  const response = await fetcher(new Request(url));
  if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
  const href = URL.createObjectURL(await response.blob());
  const a = document.createElement("a");
  a.href = href;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
}

/** A table in a horizontally scrolling frame, with the pager under it. */
export function Paged({ children, offset, limit, total, onChange }: { children: ReactNode; offset: number; limit: number; total: number; onChange: (o: number) => void }) {
  return (
    <>
      <div className="scroll" tabIndex={0}>{children}</div>
      <Pager offset={offset} limit={limit} total={total} onChange={onChange} />
    </>
  );
}

/** The stores of inventory, "all stores" first. */
export function StoreSelect({ value, onChange }: { value: string; onChange: (id: string) => void }) {
  const { t } = useI18n();
  const stores = useData(() => api.GET("/api/v1/inventory/stores", { params: { query: { limit: 500 } } }).then(ok).catch(() => null), []);
  return (
    <label>
      {t("store")}
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">{t("allStores")}</option>
        {stores.data?.items.map((s) => <option key={s.id} value={s.id}>{s.name}</option>)}
      </select>
    </label>
  );
}
