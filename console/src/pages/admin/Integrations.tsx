import { useState, type FormEvent } from "react";
import { api, ok, ApiError, type Schemas } from "../../api/client";
import { useI18n } from "../../i18n";
import { dateTime } from "../../format";
import { Async, ErrorBox, Page, useData } from "../../ui";

type In = Schemas["IntegrationIn"];
const BLANK: In = { id: "default", base_url: "https://api.moysklad.ru/api/remap/1.2", username: "", password: "", token: "", enabled: true };

function Editor({ initial, onSaved }: { initial: In; onSaved: () => void }) {
  const { t } = useI18n();
  const [form, setForm] = useState<In>(initial);
  const [message, setMessage] = useState<{ kind: "ok" | "error"; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const body = (): In => ({
    id: form.id,
    base_url: form.base_url,
    enabled: form.enabled,
    username: form.token ? null : form.username || null,
    password: form.token ? null : form.password || null,
    token: form.token || null,
  });
  const field = (key: "id" | "base_url" | "username" | "password" | "token", label: string, type = "text", hint?: string) => (
    <label>
      {label}
      <input type={type} value={(form[key] as string) ?? ""} onChange={(e) => setForm({ ...form, [key]: e.target.value })}
        autoComplete={type === "password" ? "new-password" : "off"} name={key} placeholder={hint} />
    </label>
  );
  async function run(action: "test" | "save", e?: FormEvent) {
    e?.preventDefault();
    setBusy(true);
    setMessage(null);
    try {
      if (action === "test") {
        const r = ok(await api.POST("/api/v1/admin/integrations/test", { body: { integration: body() } }));
        setMessage(r.ok ? { kind: "ok", text: `${t("testOk")}: ${r.login ?? ""} ${r.account_id ?? ""}` } : { kind: "error", text: t("testFailed") });
      } else {
        ok(await api.PUT("/api/v1/admin/integrations", { body: body() }));
        setMessage({ kind: "ok", text: t("saved") });
        onSaved();
      }
    } catch (err) {
      setMessage({ kind: "error", text: err instanceof ApiError ? `${t(action === "test" ? "testFailed" : "error")}: ${err.message}` : String(err) });
    } finally {
      setBusy(false);
    }
  }
  return (
    <form className="form card" onSubmit={(e) => run("save", e)} data-testid={`integration-form-${initial.id}`}>
      {field("id", t("integrationId"))}
      {field("base_url", t("baseUrl"), "url")}
      {field("username", t("username"))}
      {field("password", t("password"), "password", t("passwordKeep"))}
      {field("token", t("token"), "password")}
      <label className="inline">
        <input type="checkbox" checked={form.enabled} onChange={(e) => setForm({ ...form, enabled: e.target.checked })} /> {t("enabled")}
      </label>
      <div className="actions">
        <button type="button" onClick={() => run("test")} disabled={busy}>{t("test")}</button>
        <button type="submit" className="primary" disabled={busy}>{t("save")}</button>
      </div>
      {message && <p className={message.kind === "ok" ? "success" : "error"} role="status">{message.text}</p>}
    </form>
  );
}

export default function Integrations() {
  const { t, lang } = useI18n();
  const list = useData(() => api.GET("/api/v1/admin/integrations").then(ok), []);
  const [editing, setEditing] = useState<In | null>(null);
  return (
    <Page title={t("integrations")} actions={<button onClick={() => setEditing({ ...BLANK })}>{t("newIntegration")}</button>}>
      <p className="muted">{t("passwordKeep")}: {t("password")} / {t("token")} — MoySklad JSON API 1.2</p>
      {editing && !list.data?.some((i) => i.id === editing.id) && <Editor initial={editing} onSaved={list.reload} />}
      <Async state={list}>
        {(items) => (
          <table data-testid="integrations">
            <thead><tr><th>{t("integrationId")}</th><th>{t("baseUrl")}</th><th>{t("authKind")}</th><th>{t("username")}</th><th>{t("enabled")}</th><th>{t("source")}</th><th>{t("when")}</th><th /></tr></thead>
            <tbody>
              {items.map((i) => (
                <tr key={i.id}>
                  <td>{i.id}</td><td className="wrap">{i.base_url}</td><td>{i.auth_kind}</td><td>{i.username ?? "—"}</td>
                  <td>{i.enabled ? "✓" : "✗"}</td><td>{i.source}</td><td>{dateTime(i.updated_at, lang)}</td>
                  <td><button onClick={() => setEditing({ id: i.id, base_url: i.base_url, username: i.username ?? "", password: "", token: "", enabled: i.enabled })}>{t("edit")}</button></td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Async>
      {editing && list.data?.some((i) => i.id === editing.id) && <Editor key={editing.id} initial={editing} onSaved={list.reload} />}
      {list.error ? <ErrorBox error={list.error} /> : null}
    </Page>
  );
}
