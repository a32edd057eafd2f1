import { useState, type FormEvent } from "react";
import { api, ok, type Schemas } from "../../api/client";
import { useI18n } from "../../i18n";
import { Async, ErrorBox, Page, useData } from "../../ui";

function RoleRow({ role, permissions, onChange }: { role: Schemas["RoleOut"]; permissions: Schemas["PermissionOut"][]; onChange: () => void }) {
  const { t } = useI18n();
  const [failure, setFailure] = useState<unknown>(null);
  const toggle = async (name: string, on: boolean) => {
    setFailure(null);
    try {
      const next = on ? [...role.permissions, name] : role.permissions.filter((p) => p !== name);
      ok(await api.PATCH("/api/v1/admin/roles/{name}", { params: { path: { name: role.name } }, body: { permissions: next } }));
      onChange();
    } catch (err) {
      setFailure(err);
    }
  };
  return (
    <tr>
      <th scope="row">{role.name} {role.built_in && <span className="badge">{t("builtIn")}</span>}<p className="muted small">{role.description}</p></th>
      {permissions.map((p) => (
        <td key={p.name} className="c">
          <input type="checkbox" aria-label={`${role.name}: ${p.name}`} checked={role.permissions.includes(p.name)} disabled={role.built_in} onChange={(e) => toggle(p.name, e.target.checked)} />
        </td>
      ))}
      <td>{failure ? <ErrorBox error={failure} /> : null}</td>
    </tr>
  );
}

export default function Roles() {
  const { t } = useI18n();
  const roles = useData(() => api.GET("/api/v1/admin/roles", { params: { query: { limit: 200 } } }).then(ok), []);
  const permissions = useData(() => api.GET("/api/v1/admin/permissions").then(ok), []);
  const [form, setForm] = useState({ name: "", description: "" });
  const [failure, setFailure] = useState<unknown>(null);
  async function create(e: FormEvent) {
    e.preventDefault();
    setFailure(null);
    try {
      ok(await api.POST("/api/v1/admin/roles", { body: { name: form.name, description: form.description, permissions: [] } }));
      setForm({ name: "", description: "" });
      roles.reload();
    } catch (err) {
      setFailure(err);
    }
  }
  return (
    <Page title={t("roles")}>
      <form className="toolbar card" onSubmit={create} aria-label={t("createRole")}>
        <label>{t("name")} <input required pattern="[a-z0-9_-]+" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} /></label>
        <label>{t("description")} <input value={form.description} onChange={(e) => setForm({ ...form, description: e.target.value })} /></label>
        <button type="submit" className="primary">{t("createRole")}</button>
      </form>
      {failure ? <ErrorBox error={failure} /> : null}
      <Async state={permissions}>
        {(perms) => (
          <Async state={roles}>
            {(page) => (
              <div className="scroll" tabIndex={0}>
                <table data-testid="roles">
                  <thead><tr><th>{t("roles")}</th>{perms.map((p) => <th key={p.name} className="c" title={p.description}>{p.name}</th>)}<th /></tr></thead>
                  <tbody>{page.items.map((r) => <RoleRow key={r.name} role={r} permissions={perms} onChange={roles.reload} />)}</tbody>
                </table>
              </div>
            )}
          </Async>
        )}
      </Async>
    </Page>
  );
}
