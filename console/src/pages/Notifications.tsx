import { useEffect, useState } from "react";
import { api, ok } from "../api/client";
import { P, useAuth } from "../auth";
import { useI18n } from "../i18n";
import { dateTime } from "../format";
import { useNotifications, type Note } from "../notifications";
import { Async, Paged, ErrorBox, Page, useData } from "../ui";

const LIMIT = 20;

function text(note: Note): { title: string; message: string; severity: string } {
  const d = note.data as Record<string, string | undefined>;
  if (note.event === "sync.failed") return { title: `Sync failed: ${d.integration_id ?? ""}`, message: d.reason ?? d.detail ?? JSON.stringify(d), severity: "critical" };
  return { title: d.title ?? note.event, message: d.message ?? "", severity: d.severity ?? "info" };
}

export default function Notifications() {
  const { t, lang } = useI18n();
  const { can } = useAuth();
  const { notes, connected, markRead, dismiss } = useNotifications();
  const [status, setStatus] = useState<"open" | "all">("open");
  const [offset, setOffset] = useState(0);
  const [failure, setFailure] = useState<unknown>(null);
  const [acked, setAcked] = useState<Set<string>>(new Set());
  useEffect(markRead, [notes.length, markRead]);
  const alerts = useData(
    () => (can(P.analytics) ? api.GET("/api/v1/analytics/alerts", { params: { query: { status, limit: LIMIT, offset } } }).then(ok) : Promise.resolve(null)),
    [status, offset, notes.length],
  );
  async function acknowledge(id: string) {
    setFailure(null);
    try {
      ok(await api.POST("/api/v1/analytics/alerts/{alert_id}/acknowledge", { params: { path: { alert_id: id } } }));
      setAcked((s) => new Set(s).add(id));
      alerts.reload();
    } catch (err) {
      setFailure(err);
    }
  }
  return (
    <Page title={t("notifications")}>
      <p className="muted" role="status">
        <span className={`live-dot ${connected ? "on" : ""}`} aria-hidden="true" /> {connected ? t("live") : t("connecting")}
      </p>
      {failure ? <ErrorBox error={failure} /> : null}
      <ul className="notes" data-testid="live-notes" aria-live="polite">
        {notes.length === 0 && <li className="muted">{t("noNotifications")}</li>}
        {notes.map((n) => {
          const { title, message, severity } = text(n);
          const alertId = typeof n.data.id === "string" && n.event === "alert.raised" ? n.data.id : null;
          return (
            <li key={n.id} className={`note sev-${severity}`} data-testid="note">
              <div>
                <strong>{title}</strong> <span className="muted small">{dateTime(String(n.data.occurred_at ?? new Date(n.receivedAt).toISOString()), lang)}</span>
                <p>{message}</p>
              </div>
              {alertId && can(P.analytics) ? (
                acked.has(alertId) ? <span className="success">{t("acknowledged")}</span> : <button onClick={() => acknowledge(alertId)}>{t("acknowledge")}</button>
              ) : (
                <button onClick={() => dismiss(n.id)}>{t("close")}</button>
              )}
            </li>
          );
        })}
      </ul>
      {can(P.analytics) && (
        <>
          <div className="toolbar">
            <div role="group" className="period">
              {(["open", "all"] as const).map((s) => (
                <button key={s} aria-pressed={status === s} className={status === s ? "selected" : ""} onClick={() => (setStatus(s), setOffset(0))}>
                  {t(s === "open" ? "openAlerts" : "allAlerts")}
                </button>
              ))}
            </div>
          </div>
          <Async state={alerts}>
            {(page) =>
              page && (
                <Paged offset={offset} limit={LIMIT} total={page.total} onChange={setOffset}>
                    <table data-testid="alerts">
                      <thead><tr><th>{t("raisedAt")}</th><th>{t("severity")}</th><th>{t("name")}</th><th>{t("description")}</th><th>{t("status")}</th></tr></thead>
                      <tbody>
                        {page.items.map((a) => (
                          <tr key={a.id} className={`sev-${a.severity}`}>
                            <td>{dateTime(a.raised_at, lang)}</td><td>{a.severity}</td><td>{a.title}</td><td className="wrap">{a.message}</td>
                            <td>
                              {a.acknowledged_at ? `${t("acknowledged")} (${a.acknowledged_by ?? ""})` : a.cleared_at ? "✓" : <button onClick={() => acknowledge(a.id)}>{t("acknowledge")}</button>}
                            </td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                </Paged>
              )
            }
          </Async>
        </>
      )}
    </Page>
  );
}
