import { useState } from "react";
import { useSearchParams } from "react-router-dom";
import { api, ok, type Schemas } from "../api/client";
import { P, useAuth } from "../auth";
import { useI18n } from "../i18n";
import { dateTime, money, num } from "../format";
import { Async, Paged, StoreSelect, ErrorBox, Page, useData } from "../ui";

const LIMIT = 50;

function Minimum({ item, onSaved }: { item: Schemas["StockItem"]; onSaved: () => void }) {
  const { t } = useI18n();
  const [value, setValue] = useState(item.minimum ?? "");
  const [open, setOpen] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  if (!open) return <button onClick={() => setOpen(true)} aria-label={`${t("setMinimum")}: ${item.name ?? ""}`}>{t("setMinimum")}</button>;
  return (
    <form className="inline-form" onSubmit={async (e) => {
      e.preventDefault();
      try {
        ok(await api.PUT("/api/v1/inventory/thresholds/{assortment_id}", { params: { path: { assortment_id: item.assortment_id } }, body: { minimum: value, store_id: item.store_id } }));
        setOpen(false);
        onSaved();
      } catch (err) {
        setFailure(err);
      }
    }}>
      <label className="sr-only" htmlFor={`min-${item.id}`}>{t("minimum")}</label>
      <input id={`min-${item.id}`} type="number" min="0" step="any" value={value} onChange={(e) => setValue(e.target.value)} required />
      <button type="submit">{t("save")}</button>
      <button type="button" onClick={() => setOpen(false)}>{t("cancel")}</button>
      {failure ? <ErrorBox error={failure} /> : null}
    </form>
  );
}

export default function Stock() {
  const { t, lang } = useI18n();
  const { can } = useAuth();
  const [params, setParams] = useSearchParams();
  const store = params.get("store") ?? "";
  const below = params.get("below") === "1";
  const q = params.get("q") ?? "";
  const [draft, setDraft] = useState(q);
  const [offset, setOffset] = useState(0);
  const [sort, setSort] = useState<Schemas["StockSort"]>("name");
  const stock = useData(
    () => api.GET("/api/v1/inventory/stock", {
      params: { query: { store_id: store || undefined, below_minimum: below || undefined, q: q || undefined, sort, limit: LIMIT, offset } },
    }).then(ok),
    [store, below, q, sort, offset],
  );
  const totals = useData(
    () => api.GET("/api/v1/inventory/stock/by-store", {
      params: { query: { store_id: store || undefined, below_minimum: below || undefined, q: q || undefined, limit: 100 } },
    }).then(ok),
    [store, below, q],
  );
  const saved = () => (stock.reload(), totals.reload());
  const set = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setOffset(0);
    setParams(next);
  };
  const header = (key: "name" | "store" | "stock" | "available", label: string, numeric = false) => (
    <th className={numeric ? "n" : ""} aria-sort={sort === key ? "ascending" : sort === `-${key}` ? "descending" : "none"}>
      <button className="link" onClick={() => setSort((sort === key ? `-${key}` : key) as Schemas["StockSort"])}>
        {label} {sort === key ? "▲" : sort === `-${key}` ? "▼" : ""}
      </button>
    </th>
  );
  return (
    <Page title={t("stock")}>
      <form className="toolbar" role="search" onSubmit={(e) => (e.preventDefault(), set("q", draft))}>
        <StoreSelect value={store} onChange={(v) => set("store", v)} />
        <label>{t("search")} <input type="search" value={draft} onChange={(e) => setDraft(e.target.value)} /></label>
        <label className="inline"><input type="checkbox" checked={below} onChange={(e) => set("below", e.target.checked ? "1" : "")} /> {t("onlyBelowMin")}</label>
        <button type="submit">{t("apply")}</button>
      </form>
      <Async state={totals}>
        {(page) => (
          <table data-testid="stock-by-store">
            <caption>{t("stockByStore")}</caption>
            <thead>
              <tr>
                <th>{t("store")}</th><th className="n">{t("positions")}</th><th className="n">{t("stock")}</th><th className="n">{t("reserve")}</th>
                <th className="n">{t("available")}</th><th className="n">{t("stockValue")}</th><th className="n">{t("lowStock")}</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((r) => (
                <tr key={r.store_id}>
                  <td>{r.store_name ?? r.store_id}</td><td className="n">{r.levels}</td><td className="n">{num(r.stock, lang)}</td>
                  <td className="n">{num(r.reserve, lang)}</td><td className="n">{num(r.available, lang)}</td>
                  <td className="n">{money(r.value_at_cost, lang)}</td><td className="n">{r.below_minimum}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Async>
      <Async state={stock}>
        {(page) => (
          <Paged offset={offset} limit={LIMIT} total={page.total} onChange={setOffset}>
              <table data-testid="stock">
                <thead>
                  <tr>
                    {header("name", t("name"))}{header("store", t("store"))}{header("stock", t("stock"), true)}
                    <th className="n">{t("reserve")}</th>{header("available", t("available"), true)}<th className="n">{t("minimum")}</th><th>{t("when")}</th>
                    {can(P.inventoryWrite) && <th />}
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((s) => (
                    <tr key={s.id} className={s.below_minimum ? "below" : ""} data-below={s.below_minimum}>
                      <td>{s.name ?? s.assortment_id} {s.below_minimum && <span className="badge badge-failed">{t("lowStock")}</span>}</td>
                      <td>{s.store_name ?? s.store_id}</td><td className="n">{num(s.stock, lang)}</td><td className="n">{num(s.reserve, lang)}</td>
                      <td className="n">{num(s.available, lang)}</td><td className="n">{num(s.minimum, lang)}</td><td>{dateTime(s.as_of, lang)}</td>
                      {can(P.inventoryWrite) && <td><Minimum item={s} onSaved={saved} /></td>}
                    </tr>
                  ))}
                </tbody>
              </table>
          </Paged>
        )}
      </Async>
    </Page>
  );
}
