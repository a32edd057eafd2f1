import { useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { api, ok, type Schemas } from "../api/client";
import { P, useAuth } from "../auth";
import { useI18n, type Key } from "../i18n";
import { date, money, num } from "../format";
import { Async, ErrorBox, Page, useData } from "../ui";

const MATCH: Record<string, Key> = { inn: "matchInn", phone: "matchPhone", email: "matchEmail", merge: "matchMerge", self: "matchSelf" };

// The customer's records in every source, why each belongs here, and (for a steward) merge and split.
function Sources({ customerId, onChanged }: { customerId: string; onChanged: (customerId: string) => void }) {
  const { t } = useI18n();
  const { can } = useAuth();
  const steward = can(P.customersWrite);
  const [other, setOther] = useState("");
  const [reason, setReason] = useState("");
  const [failure, setFailure] = useState<unknown>(null);
  const records = useData(
    () => api.GET("/api/v1/analytics/customers/{customer_id}/records", { params: { path: { customer_id: customerId } } }).then(ok),
    [customerId],
  );
  async function decide(run: () => Promise<Schemas["CustomerIdentity"]>) {
    setFailure(null);
    try {
      const identity = await run();
      setOther("");
      setReason("");
      onChanged(identity.customer_id);
      records.reload();
    } catch (err) {
      setFailure(err);
    }
  }
  const split = (counterpartyId: string) =>
    decide(() => api.POST("/api/v1/analytics/customers/split", { body: { counterparty_id: counterpartyId, reason } }).then(ok));
  const merge = (e: FormEvent) => {
    e.preventDefault();
    decide(() => api.POST("/api/v1/analytics/customers/merge", { body: { counterparty_ids: [customerId, other.trim()], reason } }).then(ok));
  };
  return (
    <section aria-labelledby="sources">
      <h2 id="sources">{t("sources")}</h2>
      {failure !== null && <ErrorBox error={failure} />}
      <Async state={records}>
        {(r) => (
          <div className="scroll" tabIndex={0}>
            <table data-testid="sources">
              <thead><tr><th>{t("source")}</th><th>{t("name")}</th><th>{t("inn")}</th><th>{t("phone")}</th><th>{t("email")}</th><th>{t("matchedBy")}</th>{steward && <th><span className="sr-only">{t("split")}</span></th>}</tr></thead>
              <tbody>
                {r.records.map((rec) => (
                  <tr key={rec.counterparty_id} data-counterparty={rec.counterparty_id}>
                    <td>{rec.source}</td><td>{rec.name}</td><td>{rec.inn ?? "—"}</td><td>{rec.phone ?? "—"}</td><td>{rec.email ?? "—"}</td>
                    <td>{t(MATCH[rec.matched_by] ?? "matchSelf")}{rec.matched_value ? ` (${rec.matched_value})` : ""}</td>
                    {steward && <td>{r.records.length > 1 && <button onClick={() => split(rec.counterparty_id)}>{t("split")}</button>}</td>}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Async>
      {steward && (
        <form className="toolbar" onSubmit={merge} data-testid="merge">
          <label>{t("mergeWith")} <input value={other} onChange={(e) => setOther(e.target.value)} required /></label>
          <label>{t("reason")} <input value={reason} onChange={(e) => setReason(e.target.value)} maxLength={500} /></label>
          <button type="submit" disabled={!other.trim()}>{t("merge")}</button>
        </form>
      )}
    </section>
  );
}

export default function CustomerProfile() {
  const { t, lang } = useI18n();
  const { id = "" } = useParams();
  const navigate = useNavigate();
  const data = useData(() => api.GET("/api/v1/analytics/customers/{customer_id}", { params: { path: { customer_id: id }, query: { top: 20 } } }).then(ok), [id]);
  const changed = (customerId: string) => (customerId !== id ? navigate(`/customers/${encodeURIComponent(customerId)}`) : data.reload());
  return (
    <Async state={data}>
      {(c) => (
        <Page title={c.name ?? c.customer_id} actions={<Link to="/customers">← {t("customers")}</Link>}>
          <dl className="facts">
            <dt>{t("segment")}</dt><dd>{(lang === "ru" ? c.segment_name_ru : c.segment_name_en) ?? "—"}{c.rfm && ` (R${c.rfm.r} F${c.rfm.f} M${c.rfm.m})`}</dd>
            <dt>{t("email")}</dt><dd>{c.email ?? "—"}</dd>
            <dt>{t("phone")}</dt><dd>{c.phone ?? "—"}</dd>
            <dt>{t("revenue")}</dt><dd data-testid="profile-revenue">{money(c.revenue, lang)}</dd>
            <dt>{t("profit")}</dt><dd>{money(c.profit, lang)}</dd>
            <dt>{t("salesCount")}</dt><dd>{c.sales_count}</dd>
            <dt>{t("averageCheck")}</dt><dd>{money(c.average_check, lang)}</dd>
            <dt>{t("returns")}</dt><dd>{c.returns_count}</dd>
            <dt>{t("firstPurchase")}</dt><dd>{date(c.first_purchase, lang)}</dd>
            <dt>{t("lastPurchase")}</dt><dd>{date(c.last_purchase, lang)}</dd>
          </dl>
          <Sources customerId={c.customer_id} onChanged={changed} />
          <h2>{t("topProducts")}</h2>
          <table>
            <thead><tr><th>{t("name")}</th><th className="n">{t("quantity")}</th><th className="n">{t("revenue")}</th></tr></thead>
            <tbody>
              {c.top_products.map((p) => (
                <tr key={p.assortment_id}><td>{p.name ?? p.assortment_id}</td><td className="n">{num(p.quantity, lang)}</td><td className="n">{money(p.revenue, lang)}</td></tr>
              ))}
            </tbody>
          </table>
          {c.deals.length > 0 && (
            <>
              <h2>{t("deals")}</h2>
              <table data-testid="deals">
                <thead><tr><th>{t("name")}</th><th>{t("stageName")}</th><th className="n">{t("amount")}</th><th>{t("created")}</th></tr></thead>
                <tbody>
                  {c.deals.map((d) => (
                    <tr key={d.deal_id}><td>{d.title}</td><td>{d.stage_name ?? d.stage_id}</td><td className="n">{d.currency === "RUB" ? money(d.amount, lang) : `${num(d.amount, lang)} ${d.currency}`}</td><td>{date(d.created_at, lang)}</td></tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </Page>
      )}
    </Async>
  );
}
