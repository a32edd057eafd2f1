import { useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { api, ok } from "../api/client";
import { useI18n } from "../i18n";
import { date, money, num, percent } from "../format";
import { Async, Page, Pager, useData } from "../ui";

const LIMIT = 50;

export default function Customers() {
  const { t, lang } = useI18n();
  const [params, setParams] = useSearchParams();
  const segment = params.get("segment") ?? "";
  const asOf = params.get("as_of") ?? "";
  const [offset, setOffset] = useState(0);
  const data = useData(
    () => api.GET("/api/v1/analytics/customers/segments", { params: { query: { segment: segment || undefined, as_of: asOf || undefined, limit: LIMIT, offset } } }).then(ok),
    [segment, asOf, offset],
  );
  const set = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setOffset(0);
    setParams(next);
  };
  const pick = (code: string) => set("segment", code);
  return (
    <Page title={t("customers")} actions={<label>{t("asOf")} <input type="date" value={asOf} onChange={(e) => set("as_of", e.target.value)} /></label>}>
      <Async state={data}>
        {(d) => (
          <>
            <p className="muted">{date(d.start, lang)} — {date(d.end, lang)} · {t("customersCount")}: {d.customers_total}</p>
            <h2>{t("segments")}</h2>
            <div className="segments" data-testid="segments">
              <button className={!segment ? "selected" : ""} aria-pressed={!segment} onClick={() => pick("")}>{t("all")}</button>
              {d.segments.map((s) => (
                <button key={s.code} className={segment === s.code ? "selected segment" : "segment"} aria-pressed={segment === s.code} onClick={() => pick(s.code)}>
                  <strong>{lang === "ru" ? s.name_ru : s.name_en}</strong>
                  <span>{t("customersCount")}: {s.customers}</span>
                  <span>{money(s.revenue, lang)} · {percent(s.revenue_share_percent, lang)}</span>
                </button>
              ))}
            </div>
            {!segment && <p className="muted">{t("pickSegment")}</p>}
            <div className="scroll" tabIndex={0}>
              <table data-testid="customers">
                <thead><tr><th>{t("customer")}</th><th>{t("segment")}</th><th className="n">{t("recency")}</th><th className="n">{t("frequency")}</th><th className="n">{t("monetary")}</th><th>R·F·M</th></tr></thead>
                <tbody>
                  {d.customers.map((c) => (
                    <tr key={c.customer_id}>
                      <td><Link to={`/customers/${c.customer_id}`}>{c.name ?? c.customer_id}</Link></td>
                      <td>{d.segments.find((s) => s.code === c.segment)?.[lang === "ru" ? "name_ru" : "name_en"] ?? c.segment}</td>
                      <td className="n">{c.recency_days}</td><td className="n">{num(c.frequency, lang, 0)}</td><td className="n">{money(c.monetary, lang)}</td><td>{c.r}·{c.f}·{c.m}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pager offset={offset} limit={LIMIT} total={d.total} onChange={setOffset} />
          </>
        )}
      </Async>
    </Page>
  );
}
