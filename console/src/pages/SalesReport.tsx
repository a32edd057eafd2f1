import { useState } from "react";
import { api, ok, type Schemas } from "../api/client";
import { session } from "../api/session";
import { useI18n, type Key } from "../i18n";
import { date, money, num, percent } from "../format";
import { PeriodPicker, usePeriod } from "../period";
import { Async, Paged, StoreSelect, ErrorBox, Page, download, useData } from "../ui";

type Dimension = Schemas["Dimension"];
type Grain = Schemas["TimeGrouping"];
type SortField = Schemas["SortField"];
const LIMIT = 50;
const DIMENSIONS: [Dimension, Key][] = [["product", "byProduct"], ["folder", "byFolder"], ["customer", "byCustomer"], ["store", "byStore"], ["none", "byNone"]];
const GRAINS: [Grain, Key][] = [["none", "none"], ["day", "byDay"], ["week", "byWeek"], ["month", "byMonth"]];

export default function SalesReport() {
  const { t, lang } = useI18n();
  const [period, setPeriod] = usePeriod();
  const [groupBy, setGroupBy] = useState<Dimension>("product");
  const [grain, setGrain] = useState<Grain>("none");
  const [store, setStore] = useState("");
  const [sort, setSort] = useState<SortField>("revenue");
  const [direction, setDirection] = useState<"asc" | "desc">("desc");
  const [offset, setOffset] = useState(0);
  const [failure, setFailure] = useState<unknown>(null);
  const query = { ...period, group_by: groupBy, group_by_time: grain, store_id: store || undefined, sort, direction, limit: LIMIT, offset };
  const report = useData(() => api.GET("/api/v1/analytics/sales/report", { params: { query } }).then((res) => ok(res) as Schemas["SalesReport"]), [JSON.stringify(query)]);

  const sortBy = (field: SortField) => {
    if (field === sort) setDirection(direction === "asc" ? "desc" : "asc");
    else (setSort(field), setDirection(field === "key" || field === "bucket" ? "asc" : "desc"));
    setOffset(0);
  };
  const th = (field: SortField, label: string, numeric = true) => (
    <th className={numeric ? "n" : ""} aria-sort={sort === field ? (direction === "asc" ? "ascending" : "descending") : "none"}>
      <button className="link" onClick={() => sortBy(field)}>{label} {sort === field ? (direction === "asc" ? "▲" : "▼") : ""}</button>
    </th>
  );
  async function exportAs(format: "csv" | "xlsx") {
    setFailure(null);
    const params = new URLSearchParams();
    Object.entries({ ...query, limit: 5000, offset: 0, format }).forEach(([k, v]) => v !== undefined && params.set(k, String(v)));
    try {
      await download(`/api/v1/analytics/sales/report?${params}`, `sales-${groupBy}.${format}`, (r) => session.fetch(r));
    } catch (err) {
      setFailure(err);
    }
  }
  return (
    <Page title={t("sales")} actions={<><button onClick={() => exportAs("csv")}>{t("download")} CSV</button><button onClick={() => exportAs("xlsx")}>{t("download")} XLSX</button></>}>
      <PeriodPicker value={period} onChange={(p) => (setOffset(0), setPeriod(p))} />
      <div className="toolbar">
        <label>{t("groupBy")}
          <select value={groupBy} onChange={(e) => (setOffset(0), setGroupBy(e.target.value as Dimension))}>
            {DIMENSIONS.map(([d, k]) => <option key={d} value={d}>{t(k)}</option>)}
          </select>
        </label>
        <label>{t("timeGrouping")}
          <select value={grain} onChange={(e) => (setOffset(0), setGrain(e.target.value as Grain))}>
            {GRAINS.map(([g, k]) => <option key={g} value={g}>{t(k)}</option>)}
          </select>
        </label>
        <StoreSelect value={store} onChange={(v) => (setOffset(0), setStore(v))} />
      </div>
      {failure ? <ErrorBox error={failure} /> : null}
      <Async state={report}>
        {(r) => (
          <Paged offset={offset} limit={LIMIT} total={r.total_rows} onChange={setOffset}>
              <table data-testid="sales-report">
                <thead>
                  <tr>
                    {grain !== "none" && th("bucket", t("period"), false)}
                    {groupBy !== "none" && th("key", t(DIMENSIONS.find(([d]) => d === groupBy)![1]), false)}
                    {th("quantity", t("quantity"))}<th className="n">{t("documents")}</th>{th("revenue", t("revenue"))}{th("profit", t("profit"))}<th className="n">{t("margin")}</th>
                  </tr>
                </thead>
                <tbody>
                  {r.rows.map((row, i) => (
                    <tr key={`${row.bucket}-${row.key}-${i}`}>
                      {grain !== "none" && <td>{date(row.bucket, lang)}</td>}
                      {groupBy !== "none" && <td>{row.name ?? row.key ?? "—"}</td>}
                      <td className="n">{num(row.quantity, lang)}</td><td className="n">{row.documents}</td><td className="n">{money(row.revenue, lang)}</td>
                      <td className="n">{money(row.profit, lang)}</td><td className="n">{percent(row.margin_percent, lang)}</td>
                    </tr>
                  ))}
                </tbody>
                <tfoot>
                  <tr>
                    {grain !== "none" && <td />}{groupBy !== "none" && <td>{t("overall")}</td>}
                    <td className="n">{num(r.totals.quantity, lang)}</td><td className="n">{r.totals.documents}</td><td className="n" data-testid="total-revenue">{money(r.totals.revenue, lang)}</td>
                    <td className="n">{money(r.totals.profit, lang)}</td><td className="n">{percent(r.totals.margin_percent, lang)}</td>
                  </tr>
                </tfoot>
              </table>
          </Paged>
        )}
      </Async>
    </Page>
  );
}
