import { useState } from "react";
import { api, ok } from "../api/client";
import { useI18n } from "../i18n";
import { date, money, num } from "../format";
import { Async, StoreSelect, Page, Pager, useData } from "../ui";

const LIMIT = 50;
type Sort = "value_at_cost" | "revenue" | "profit" | "stock" | "days_of_cover" | "sold_quantity";

export default function InventoryReport() {
  const { t, lang } = useI18n();
  const [windowDays, setWindowDays] = useState(90);
  const [store, setStore] = useState("");
  const [sort, setSort] = useState<Sort>("value_at_cost");
  const [direction, setDirection] = useState<"asc" | "desc">("desc");
  const [offset, setOffset] = useState(0);
  const report = useData(
    () => api.GET("/api/v1/analytics/inventory/report", { params: { query: { window_days: windowDays, store_id: store || undefined, sort, direction, limit: LIMIT, offset } } }).then(ok),
    [windowDays, store, sort, direction, offset],
  );
  const th = (field: Sort, label: string) => (
    <th className="n" aria-sort={sort === field ? (direction === "asc" ? "ascending" : "descending") : "none"}>
      <button className="link" onClick={() => (field === sort ? setDirection(direction === "asc" ? "desc" : "asc") : (setSort(field), setDirection("desc")), setOffset(0))}>
        {label} {sort === field ? (direction === "asc" ? "▲" : "▼") : ""}
      </button>
    </th>
  );
  return (
    <Page title={t("inventoryReport")}>
      <div className="toolbar">
        <label>{t("period")}
          <select value={windowDays} onChange={(e) => (setOffset(0), setWindowDays(Number(e.target.value)))}>
            {[30, 90, 180, 365].map((d) => <option key={d} value={d}>{d} {lang === "ru" ? "дн." : "days"}</option>)}
          </select>
        </label>
        <StoreSelect value={store} onChange={(v) => (setOffset(0), setStore(v))} />
      </div>
      <Async state={report}>
        {(r) => (
          <>
            <p className="muted">{date(r.start, lang)} — {date(r.end, lang)} · {t("stockValue")}: {money(r.summary.value_at_cost, lang)} · ABC: {Object.entries(r.summary.abc_revenue).map(([k, v]) => `${k} ${v}`).join(", ")}</p>
            <div className="scroll" tabIndex={0}>
              <table data-testid="inventory-report">
                <thead><tr><th>{t("name")}</th>{th("stock", t("stock"))}{th("value_at_cost", t("stockValue"))}{th("sold_quantity", t("quantity"))}{th("revenue", t("revenue"))}{th("profit", t("profit"))}{th("days_of_cover", "Cover, d")}<th>ABC</th><th>XYZ</th></tr></thead>
                <tbody>
                  {r.items.map((i) => (
                    <tr key={i.assortment_id} className={i.dead_stock ? "below" : ""}>
                      <td>{i.name ?? i.assortment_id}</td><td className="n">{num(i.stock, lang)}</td><td className="n">{money(i.value_at_cost, lang)}</td>
                      <td className="n">{num(i.sold_quantity, lang)}</td><td className="n">{money(i.revenue, lang)}</td><td className="n">{money(i.profit, lang)}</td>
                      <td className="n">{num(i.days_of_cover, lang, 0)}</td><td>{i.abc_revenue}</td><td>{i.xyz}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pager offset={offset} limit={LIMIT} total={r.total_items} onChange={setOffset} />
          </>
        )}
      </Async>
    </Page>
  );
}
