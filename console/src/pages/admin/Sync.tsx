import { useEffect, useState } from "react";
import { api, ok, ApiError, type Schemas } from "../../api/client";
import { useI18n } from "../../i18n";
import { dateTime, num } from "../../format";
import { Async, Paged, ErrorBox, Page, Status, useData } from "../../ui";

type Job = Schemas["SyncJobOut"];
const ACTIVE = ["pending", "running"];
const LIMIT = 20;

/** One job, re-read every second while it runs: per-type progress and counts update live. */
function JobView({ job: initial, onFinished }: { job: Job; onFinished: () => void }) {
  const { t, lang } = useI18n();
  const [job, setJob] = useState(initial);
  useEffect(() => setJob(initial), [initial]);
  useEffect(() => {
    if (!ACTIVE.includes(job.status)) return;
    const timer = setTimeout(async () => {
      const r = await api.GET("/api/v1/admin/sync/jobs/{job_id}", { params: { path: { job_id: job.id } } });
      if (r.data) {
        setJob(r.data);
        if (!ACTIVE.includes(r.data.status)) onFinished();
      }
    }, 1000);
    return () => clearTimeout(timer);
  }, [job, onFinished]);
  const types = Array.from(new Set([...Object.keys(job.progress), ...Object.keys(job.counts)])).sort();
  return (
    <section className="card" data-testid="job" aria-live="polite">
      <h2>
        {job.mode} · <Status value={job.status} /> <span className="muted small">{job.id}</span>
      </h2>
      <p className="muted">
        {t("started")}: {dateTime(job.started_at ?? job.created_at, lang)} · {t("duration")}: {job.duration_seconds != null ? `${num(job.duration_seconds, lang, 1)} s` : "—"} · {t("trigger")}: {job.trigger}
      </p>
      {job.detail && <p className="error">{job.detail}</p>}
      <table>
        <thead><tr><th>{t("kind")}</th><th>{t("progress")}</th><th className="n">{t("counts")}</th></tr></thead>
        <tbody>
          {types.map((type) => (
            <tr key={type} data-testid={`progress-${type}`}>
              <td>{type}</td><td>{job.progress[type] ? <Status value={String(job.progress[type])} /> : "—"}</td><td className="n">{num(Number(job.counts[type] ?? 0), lang, 0)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {job.errors.length > 0 && (
        <details open>
          <summary>{t("errors")} ({job.errors.length})</summary>
          <pre className="errors">{job.errors.map((e) => JSON.stringify(e)).join("\n")}</pre>
        </details>
      )}
    </section>
  );
}

export default function Sync() {
  const { t, lang } = useI18n();
  const [offset, setOffset] = useState(0);
  const [mode, setMode] = useState<Schemas["SyncMode"]>("incremental");
  const [integration, setIntegration] = useState("default");
  const [current, setCurrent] = useState<Job | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const integrations = useData(() => api.GET("/api/v1/admin/integrations").then(ok).catch(() => []), []);
  const jobs = useData(() => api.GET("/api/v1/admin/sync/jobs", { params: { query: { limit: LIMIT, offset } } }).then(ok), [offset]);

  async function start() {
    setFailure(null);
    try {
      setCurrent(ok(await api.POST("/api/v1/admin/sync/start", { body: { integration_id: integration, mode } })));
      jobs.reload();
    } catch (err) {
      setFailure(err);
      if (err instanceof ApiError && err.status === 409) jobs.reload();
    }
  }
  const running = jobs.data?.items.find((j) => ACTIVE.includes(j.status));
  const shown = current ?? running ?? null;
  return (
    <Page title={t("sync")}>
      <div className="toolbar">
        <label>
          {t("integrations")}
          <select value={integration} onChange={(e) => setIntegration(e.target.value)}>
            {(integrations.data?.length ? integrations.data.map((i) => i.id) : ["default"]).map((id) => <option key={id}>{id}</option>)}
          </select>
        </label>
        <label>
          {t("mode")}
          <select value={mode} onChange={(e) => setMode(e.target.value as Schemas["SyncMode"])} data-testid="sync-mode">
            <option value="incremental">{t("incremental")}</option>
            <option value="full">{t("full")}</option>
            <option value="stock">{t("stockOnly")}</option>
            <option value="reconcile">{t("reconcileDeletes")}</option>
          </select>
        </label>
        <button className="primary" onClick={start} data-testid="start-sync">{t("startSync")}</button>
      </div>
      {failure ? <ErrorBox error={failure} /> : null}
      {shown && <JobView job={shown} onFinished={jobs.reload} />}
      <h2>{t("jobs")}</h2>
      <Async state={jobs}>
        {(page) => (
          <Paged offset={offset} limit={LIMIT} total={page.total} onChange={setOffset}>
              <table data-testid="jobs">
                <thead><tr><th>{t("started")}</th><th>{t("mode")}</th><th>{t("trigger")}</th><th>{t("status")}</th><th className="n">{t("duration")}</th><th className="n">{t("counts")}</th><th className="n">{t("errors")}</th><th /></tr></thead>
                <tbody>
                  {page.items.map((j) => (
                    <tr key={j.id} className={j.status === "failed" ? "bad" : ""}>
                      <td>{dateTime(j.started_at ?? j.created_at, lang)}</td><td>{j.mode}</td><td>{j.trigger}</td><td><Status value={j.status} /></td>
                      <td className="n">{j.duration_seconds != null ? num(j.duration_seconds, lang, 1) : "—"}</td>
                      <td className="n">{num(Object.values(j.counts).reduce((a: number, b) => a + Number(b), 0), lang, 0)}</td>
                      <td className="n">{j.errors.length}</td>
                      <td><button onClick={() => setCurrent(j)}>{t("details")}</button></td>
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
