import { useState, type FormEvent } from "react";
import { api, ok, type Schemas } from "../../api/client";
import { useI18n } from "../../i18n";
import { dateTime } from "../../format";
import { Async, Paged, ErrorBox, Page, useData } from "../../ui";

const LIMIT = 25;
type User = Schemas["UserOut"];

function Row({ user, roles, onChange }: { user: User; roles: string[]; onChange: () => void }) {
  const { t, lang } = useI18n();
  const [note, setNote] = useState<string | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const act = async (fn: () => Promise<string | null>) => {
    setFailure(null);
    try {
      setNote(await fn());
      onChange();
    } catch (err) {
      setFailure(err);
    }
  };
  const path = { params: { path: { user_id: user.id } } };
  return (
    <tr>
      <td>{user.email}</td>
      <td>
        <fieldset className="roles">
          <legend className="sr-only">{t("rolesOf")} {user.email}</legend>
          {roles.map((r) => (
            <label key={r} className="inline">
              <input type="checkbox" checked={user.roles.includes(r)} onChange={(e) =>
                act(async () => (ok(await api.PUT("/api/v1/admin/users/{user_id}/roles", { ...path, body: { roles: e.target.checked ? [...user.roles, r] : user.roles.filter((x) => x !== r) } })), t("saved")))} /> {r}
            </label>
          ))}
        </fieldset>
      </td>
      <td>{user.is_active ? "✓" : "✗"}</td>
      <td>{dateTime(user.last_login_at, lang)}</td>
      <td className="actions">
        <button onClick={() => act(async () => (ok(await api.PATCH("/api/v1/admin/users/{user_id}", { ...path, body: { is_active: !user.is_active } })), t("saved")))}>
          {user.is_active ? t("deactivate") : t("activate")}
        </button>
        <button onClick={() => act(async () => `${t("resetToken")}: ${ok(await api.POST("/api/v1/admin/users/{user_id}/password-reset", path)).reset_token}`)}>{t("resetPassword")}</button>
        <button onClick={() => act(async () => (ok(await api.DELETE("/api/v1/admin/users/{user_id}/sessions", path)), t("sessionsEnded")))}>{t("endSessions")}</button>
        {note && <p className="success wrap" role="status">{note}</p>}
        {failure ? <ErrorBox error={failure} /> : null}
      </td>
    </tr>
  );
}

export default function Users() {
  const { t } = useI18n();
  const [offset, setOffset] = useState(0);
  const users = useData(() => api.GET("/api/v1/admin/users", { params: { query: { limit: LIMIT, offset, sort: "email", direction: "asc" } } }).then(ok), [offset]);
  const roles = useData(() => api.GET("/api/v1/admin/roles", { params: { query: { limit: 200 } } }).then(ok), []);
  const [form, setForm] = useState({ email: "", password: "", role: "viewer" });
  const [failure, setFailure] = useState<unknown>(null);
  async function create(e: FormEvent) {
    e.preventDefault();
    setFailure(null);
    try {
      ok(await api.POST("/api/v1/admin/users", { body: { email: form.email, password: form.password, roles: [form.role], is_active: true } }));
      setForm({ email: "", password: "", role: form.role });
      users.reload();
    } catch (err) {
      setFailure(err);
    }
  }
  const roleNames = roles.data?.items.map((r) => r.name) ?? [];
  return (
    <Page title={t("users")}>
      <form className="toolbar card" onSubmit={create} aria-label={t("createUser")}>
        <label>{t("email")} <input type="email" required value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} autoComplete="off" /></label>
        <label>{t("password")} <input type="password" required minLength={8} value={form.password} onChange={(e) => setForm({ ...form, password: e.target.value })} autoComplete="new-password" /></label>
        <label>{t("rolesOf")}
          <select value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value })}>
            {roleNames.map((r) => <option key={r}>{r}</option>)}
          </select>
        </label>
        <button type="submit" className="primary">{t("createUser")}</button>
      </form>
      {failure ? <ErrorBox error={failure} /> : null}
      <Async state={users}>
        {(page) => (
          <Paged offset={offset} limit={LIMIT} total={page.total} onChange={setOffset}>
              <table data-testid="users">
                <thead><tr><th>{t("email")}</th><th>{t("rolesOf")}</th><th>{t("active")}</th><th>{t("lastLogin")}</th><th /></tr></thead>
                <tbody>{page.items.map((u) => <Row key={u.id} user={u} roles={roleNames} onChange={users.reload} />)}</tbody>
              </table>
          </Paged>
        )}
      </Async>
    </Page>
  );
}
