import { useState } from "react";
import { Link } from "react-router-dom";
import { Bar, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { api, ok, type Schemas } from "../api/client";
import { useI18n, type Key } from "../i18n";
import { date, money, num, percent } from "../format";
import { PeriodPicker, usePeriod } from "../period";
import { Async, Page, useData } from "../ui";

type Metric = { key: keyof Schemas["Metrics"]; label: Key; kind: "money" | "percent" | "count" };
const METRICS: Metric[] = [
  { key: "revenue", label: "revenue", kind: "money" },
  { key: "profit", label: "profit", kind: "money" },
  { key: "margin_percent", label: "margin", kind: "percent" },
  { key: "average_check", label: "averageCheck", kind: "money" },
  { key: "sales_count", label: "salesCount", kind: "count" },
];
type Grain = "day" | "week" | "month";

export default function Dashboard() {
  const { t, lang } = useI18n();
  const [period, setPeriod] = usePeriod();
  const [grain, setGrain] = useState<Grain>("day");
  const dashboard = useData(
    () => api.GET("/api/v1/analytics/dashboard", { params: { query: { ...period, top: 10 } } }).then(ok),
    [period.period, period.date_from, period.date_to],
  );
  const trend = useData(
    () =>
      api.GET("/api/v1/analytics/sales/report", {
        params: { query: { ...period, group_by_time: grain, group_by: "none", sort: "bucket", direction: "asc", limit: 1000 } },
      }).then((r) => ok(r) as Schemas["SalesReport"]),
    [period.period, period.date_from, period.date_to, grain],
  );
  const show = (m: Metric, v: unknown) =>
    m.kind === "money" ? money(v as string, lang) : m.kind === "percent" ? percent(v as string, lang) : num(v as number, lang, 0);

  return (
    <Page title={t("dashboard")}>
      <PeriodPicker value={period} onChange={setPeriod} />
      <Async state={dashboard}>
        {(d) => (
          <>
            <p className="muted" data-testid="period-range">
              {date(d.period.start, lang)} — {date(d.period.end, lang)} ({t("vsPrevious")}: {date(d.previous_period.start, lang)} — {date(d.previous_period.end, lang)})
            </p>
            <div className="kpis">
              {METRICS.map((m) => {
                const change = d.change_percent[m.key];
                const dir = change == null ? "" : Number(change) >= 0 ? "up" : "down";
                return (
                  <article className="kpi" key={m.key} data-testid={`kpi-${m.key}`}>
                    <h2>{t(m.label)}</h2>
                    <p className="kpi-value" data-testid="value">{show(m, d.current[m.key])}</p>
                    <p className={`kpi-change ${dir}`} data-testid="change">
                      {change == null ? t("noChange") : `${Number(change) >= 0 ? "▲" : "▼"} ${percent(Math.abs(Number(change)), lang)} ${t("vsPrevious")}`}
                    </p>
                    <p className="muted small">{show(m, d.previous[m.key])}</p>
                  </article>
                );
              })}
              <article className="kpi">
                <h2>{t("lowStock")}</h2>
                <p className="kpi-value"><Link to="/stock?below=1">{num(d.stock.low_stock_count, lang, 0)}</Link></p>
                <p className="muted small">{t("stockValue")}: {money(d.stock.value_at_cost, lang)}</p>
              </article>
            </div>
            <section className="card">
              <header className="card-head">
                <h2>{t("trend")}</h2>
                <div role="group" className="period">
                  {(["day", "week", "month"] as Grain[]).map((g) => (
                    <button key={g} aria-pressed={grain === g} className={grain === g ? "selected" : ""} onClick={() => setGrain(g)}>
                      {t(g === "day" ? "byDay" : g === "week" ? "byWeek" : "byMonth")}
                    </button>
                  ))}
                </div>
              </header>
              <Async state={trend}>
                {(r) => (
                  <div className="chart" role="img" aria-label={t("trend")}>
                    <ResponsiveContainer width="100%" height={280}>
                      <ComposedChart data={r.rows.map((row) => ({ bucket: row.bucket, revenue: Number(row.revenue), profit: Number(row.profit) }))}>
                        <CartesianGrid strokeDasharray="3 3" stroke="#e5e7eb" />
                        <XAxis dataKey="bucket" tickFormatter={(v: string) => date(v, lang)} fontSize={12} />
                        <YAxis tickFormatter={(v: number) => num(v, lang, 0)} fontSize={12} width={80} />
                        <Tooltip formatter={(v) => money(Number(v), lang)} labelFormatter={(v) => date(String(v), lang)} />
                        <Legend />
                        <Bar dataKey="revenue" name={t("revenue")} fill="#2563eb" />
                        <Line dataKey="profit" name={t("profit")} stroke="#16a34a" strokeWidth={2} dot={false} />
                      </ComposedChart>
                    </ResponsiveContainer>
                  </div>
                )}
              </Async>
            </section>
            <div className="two">
              <section className="card">
                <h2>{t("topProducts")}</h2>
                <table data-testid="top-products">
                  <thead><tr><th>{t("name")}</th><th className="n">{t("quantity")}</th><th className="n">{t("revenue")}</th><th className="n">{t("profit")}</th></tr></thead>
                  <tbody>
                    {d.top_products.map((p) => (
                      <tr key={p.assortment_id}><td>{p.name ?? p.assortment_id}</td><td className="n">{num(p.quantity, lang)}</td><td className="n">{money(p.revenue, lang)}</td><td className="n">{money(p.profit, lang)}</td></tr>
                    ))}
                  </tbody>
                </table>
              </section>
              <section className="card">
                <h2>{t("topCustomers")}</h2>
                <table data-testid="top-customers">
                  <thead><tr><th>{t("customer")}</th><th className="n">{t("salesCount")}</th><th className="n">{t("revenue")}</th></tr></thead>
                  <tbody>
                    {d.top_customers.map((c) => (
                      <tr key={c.customer_id}><td><Link to={`/customers/${c.customer_id}`}>{c.name ?? c.customer_id}</Link></td><td className="n">{c.sales_count}</td><td className="n">{money(c.revenue, lang)}</td></tr>
                    ))}
                  </tbody>
                </table>
              </section>
            </div>
          </>
        )}
      </Async>
    </Page>
  );
}
