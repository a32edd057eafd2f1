import { useState } from "react";
import { api, ok } from "../../api/client";
import { useI18n } from "../../i18n";
import { dateTime } from "../../format";
import { Async, Paged, Page, useData } from "../../ui";

const LIMIT = 50;

export default function Audit() {
  const { t, lang } = useI18n();
  const [offset, setOffset] = useState(0);
  const [action, setAction] = useState("");
  const [draft, setDraft] = useState("");
  const page = useData(() => api.GET("/api/v1/admin/audit", { params: { query: { limit: LIMIT, offset, action: action || undefined } } }).then(ok), [offset, action]);
  return (
    <Page title={t("audit")}>
      <form className="toolbar" role="search" onSubmit={(e) => (e.preventDefault(), setOffset(0), setAction(draft))}>
        <label>{t("action")} <input value={draft} onChange={(e) => setDraft(e.target.value)} placeholder="user.login" /></label>
        <button type="submit">{t("apply")}</button>
      </form>
      <Async state={page}>
        {(p) => (
          <Paged offset={offset} limit={LIMIT} total={p.total} onChange={setOffset}>
              <table data-testid="audit">
                <thead><tr><th>{t("when")}</th><th>{t("actor")}</th><th>{t("action")}</th><th>{t("target")}</th><th>{t("ip")}</th><th>{t("details")}</th></tr></thead>
                <tbody>
                  {p.items.map((e) => (
                    <tr key={e.id}>
                      <td>{dateTime(e.occurred_at, lang)}</td><td>{e.actor_email ?? e.actor_id ?? "—"}</td><td>{e.action}</td>
                      <td>{e.target_type}:{e.target_id}</td><td>{e.ip}</td><td className="wrap small"><code>{JSON.stringify(e.details)}</code></td>
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
