import { Link, useParams } from "react-router-dom";
import { api, ok } from "../api/client";
import { useI18n } from "../i18n";
import { date, money, num } from "../format";
import { Async, Page, useData } from "../ui";

export default function CustomerProfile() {
  const { t, lang } = useI18n();
  const { id = "" } = useParams();
  const data = useData(() => api.GET("/api/v1/analytics/customers/{customer_id}", { params: { path: { customer_id: id }, query: { top: 20 } } }).then(ok), [id]);
  return (
    <Async state={data}>
      {(c) => (
        <Page title={c.name ?? c.customer_id} actions={<Link to="/customers">← {t("customers")}</Link>}>
          <dl className="facts">
            <dt>{t("segment")}</dt><dd>{(lang === "ru" ? c.segment_name_ru : c.segment_name_en) ?? "—"}{c.rfm && ` (R${c.rfm.r} F${c.rfm.f} M${c.rfm.m})`}</dd>
            <dt>{t("email")}</dt><dd>{c.email ?? "—"}</dd>
            <dt>{t("phone")}</dt><dd>{c.phone ?? "—"}</dd>
            <dt>{t("revenue")}</dt><dd>{money(c.revenue, lang)}</dd>
            <dt>{t("profit")}</dt><dd>{money(c.profit, lang)}</dd>
            <dt>{t("salesCount")}</dt><dd>{c.sales_count}</dd>
            <dt>{t("averageCheck")}</dt><dd>{money(c.average_check, lang)}</dd>
            <dt>{t("returns")}</dt><dd>{c.returns_count}</dd>
            <dt>{t("firstPurchase")}</dt><dd>{date(c.first_purchase, lang)}</dd>
            <dt>{t("lastPurchase")}</dt><dd>{date(c.last_purchase, lang)}</dd>
          </dl>
          <h2>{t("topProducts")}</h2>
          <table>
            <thead><tr><th>{t("name")}</th><th className="n">{t("quantity")}</th><th className="n">{t("revenue")}</th></tr></thead>
            <tbody>
              {c.top_products.map((p) => (
                <tr key={p.assortment_id}><td>{p.name ?? p.assortment_id}</td><td className="n">{num(p.quantity, lang)}</td><td className="n">{money(p.revenue, lang)}</td></tr>
              ))}
            </tbody>
          </table>
        </Page>
      )}
    </Async>
  );
}
