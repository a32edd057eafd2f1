import { useState } from "react";
import { useSearchParams } from "react-router-dom";
import { api, ok } from "../api/client";
import { useI18n } from "../i18n";
import { money } from "../format";
import { Async, Paged, Page, useData } from "../ui";

const LIMIT = 50;

export default function Products() {
  const { t, lang } = useI18n();
  const [params, setParams] = useSearchParams();
  const q = params.get("q") ?? "";
  const [draft, setDraft] = useState(q);
  const [offset, setOffset] = useState(0);
  const products = useData(
    () => api.GET("/api/v1/products/", { params: { query: { q: q || undefined, limit: LIMIT, offset, sort: "name" } } }).then(ok),
    [q, offset],
  );
  return (
    <Page title={t("products")}>
      <form className="toolbar" role="search" onSubmit={(e) => (e.preventDefault(), setOffset(0), setParams(draft ? { q: draft } : {}))}>
        <label>{t("search")} <input type="search" value={draft} onChange={(e) => setDraft(e.target.value)} name="q" /></label>
        <button type="submit">{t("apply")}</button>
      </form>
      <Async state={products}>
        {(page) => (
          <Paged offset={offset} limit={LIMIT} total={page.total} onChange={setOffset}>
              <table data-testid="products">
                <thead><tr><th>{t("name")}</th><th>{t("kind")}</th><th>{t("article")}</th><th>{t("code")}</th><th>{t("folder")}</th><th>{t("source")}</th><th className="n">{t("price")}</th></tr></thead>
                <tbody>
                  {page.items.map((p) => (
                    <tr key={p.id}>
                      <td>{p.name}</td><td>{p.kind}</td><td>{p.article ?? "—"}</td><td>{p.code ?? "—"}</td><td>{p.folder_path ?? "—"}</td><td>{p.source}</td>
                      <td className="n">{p.sale_prices[0] ? money(p.sale_prices[0].amount, lang) : "—"}</td>
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
