// The sales funnel of a CRM pipeline (Bitrix24 deals): stages, how far deals got, conversion, win rate, cycle.
import { useState } from "react";
import { api, ApiError, ok, type Schemas } from "../api/client";
import { session } from "../api/session";
import { useI18n } from "../i18n";
import { money, num, percent } from "../format";
import { PeriodPicker, usePeriod } from "../period";
import { Async, ErrorBox, Page, download, useData } from "../ui";

export default function Funnel() {
  const { t, lang } = useI18n();
  const [period, setPeriod] = usePeriod();
  const [pipeline, setPipeline] = useState("");
  const [failure, setFailure] = useState<unknown>(null);
  const pipelines = useData(() => api.GET("/api/v1/analytics/funnel/pipelines", { params: { query: period } }).then(ok), [JSON.stringify(period)]);
  const query = { ...period, pipeline_id: pipeline || undefined };
  const report = useData(
    () => api.GET("/api/v1/analytics/funnel", { params: { query } }).then((res) => ok(res) as Schemas["FunnelReport"]),
    [JSON.stringify(query)],
  );
  async function exportAs(format: "csv" | "xlsx") {
    setFailure(null);
    const params = new URLSearchParams();
    Object.entries({ ...query, format }).forEach(([k, v]) => v !== undefined && params.set(k, String(v)));
    try {
      await download(`/api/v1/analytics/funnel?${params}`, `funnel.${format}`, (r) => session.fetch(r));
    } catch (err) {
      setFailure(err);
    }
  }
  const none = report.error instanceof ApiError && report.error.status === 404;
  return (
    <Page title={t("funnel")} actions={!none && <><button onClick={() => exportAs("csv")}>{t("download")} CSV</button><button onClick={() => exportAs("xlsx")}>{t("download")} XLSX</button></>}>
      <PeriodPicker value={period} onChange={setPeriod} />
      {failure !== null && <ErrorBox error={failure} />}
      {pipelines.data && pipelines.data.items.length > 1 && (
        <div className="toolbar">
          <label>{t("pipeline")}
            <select value={pipeline} onChange={(e) => setPipeline(e.target.value)}>
              <option value="">—</option>
              {pipelines.data.items.map((p) => <option key={p.pipeline_id} value={p.pipeline_id}>{p.name} ({p.deals})</option>)}
            </select>
          </label>
        </div>
      )}
      {none ? (
        <p className="muted" data-testid="funnel-empty">{t("noPipelines")}</p>
      ) : (
        <Async state={report}>
          {(f) => {
            const widest = Math.max(1, ...f.stages.map((s) => s.reached));
            return (
              <>
                <h2>{f.pipeline_name}</h2>
                <dl className="facts" data-testid="funnel-kpis">
                  <dt>{t("dealsCount")}</dt><dd>{f.deals}</dd>
                  <dt>{t("open")}</dt><dd>{f.open}</dd>
                  <dt>{t("won")}</dt><dd>{f.won}</dd>
                  <dt>{t("lost")}</dt><dd>{f.lost}</dd>
                  <dt>{t("winRate")}</dt><dd>{percent(f.win_rate_percent, lang)}</dd>
                  <dt>{t("cycle")}</dt><dd>{f.average_cycle_days === null ? "—" : num(f.average_cycle_days, lang, 1)}</dd>
                  <dt>{t("openValue")}</dt><dd>{money(f.open_value, lang)}</dd>
                  <dt>{t("wonValue")}</dt><dd>{money(f.won_value, lang)}</dd>
                  {f.other_currency_deals > 0 && <><dt>{t("otherCurrency")}</dt><dd>{f.other_currency_deals}</dd></>}
                </dl>
                <div className="scroll" tabIndex={0}>
                  <table data-testid="funnel-stages">
                    <thead><tr><th>{t("stageName")}</th><th className="n">{t("reached")}</th><th aria-hidden="true"></th><th className="n">{t("conversion")}</th><th className="n">{t("current")}</th><th className="n">{t("openValue")}</th></tr></thead>
                    <tbody>
                      {f.stages.map((s) => (
                        <tr key={s.stage_id} data-stage={s.stage_id}>
                          <td>{s.name}</td>
                          <td className="n">{s.reached}</td>
                          <td aria-hidden="true"><span className={`bar ${s.semantics}`} style={{ width: `${(100 * s.reached) / widest}%` }} /></td>
                          <td className="n">{percent(s.conversion_to_next_percent, lang)}</td>
                          <td className="n">{s.current_deals}</td>
                          <td className="n">{money(s.current_value, lang)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
                <h2>{t("responsible")}</h2>
                <table data-testid="funnel-responsible">
                  <thead><tr><th>{t("responsible")}</th><th className="n">{t("open")}</th><th className="n">{t("openValue")}</th></tr></thead>
                  <tbody>
                    {f.by_responsible.map((r) => (
                      <tr key={r.responsible_id ?? "-"}><td>{r.responsible_name ?? r.responsible_id ?? "—"}</td><td className="n">{r.open_deals}</td><td className="n">{money(r.open_value, lang)}</td></tr>
                    ))}
                  </tbody>
                </table>
              </>
            );
          }}
        </Async>
      )}
    </Page>
  );
}
