import { api, ok, type Schemas } from "../../api/client";
import { useI18n } from "../../i18n";
import { Async, Page, Status, useData } from "../../ui";

function Parts({ parts }: { parts: Record<string, Schemas["Part"]> }) {
  return (
    <table>
      <tbody>
        {Object.entries(parts).map(([name, p]) => (
          <tr key={name}><th scope="row">{name}</th><td><Status value={p.status} /></td><td className="wrap small">{typeof p.detail === "string" ? p.detail : ""}</td></tr>
        ))}
      </tbody>
    </table>
  );
}

export default function Health() {
  const { t } = useI18n();
  const health = useData(() => api.GET("/api/v1/admin/health").then(ok), []);
  return (
    <Page title={t("health")} actions={<button onClick={health.reload}>{t("refresh")}</button>}>
      <Async state={health}>
        {(h) => {
          const lag = (h.consumer_lag.detail ?? {}) as Record<string, unknown>;
          return (
            <>
              <p data-testid="overall">{t("overall")}: <Status value={h.status} /></p>
              <div className="two">
                <section className="card"><h2>{t("services")}</h2><Parts parts={h.services as Record<string, Schemas["Part"]>} /></section>
                <section className="card"><h2>{t("infrastructure")}</h2><Parts parts={h.infrastructure as Record<string, Schemas["Part"]>} /></section>
              </div>
              <section className="card">
                <h2>{t("consumerLag")} <Status value={h.consumer_lag.status} /></h2>
                {typeof lag === "object" && lag !== null ? (
                  <table>
                    <tbody>
                      {Object.entries(lag).map(([group, value]) => (
                        <tr key={group}><th scope="row">{group}</th><td className="n" data-testid={`lag-${group}`}>{value && typeof value === "object" && "lag" in value ? String((value as { lag: number }).lag) : JSON.stringify(value)}</td></tr>
                      ))}
                    </tbody>
                  </table>
                ) : <p>{String(lag)}</p>}
              </section>
            </>
          );
        }}
      </Async>
    </Page>
  );
}
