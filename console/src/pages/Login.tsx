import { useState, type FormEvent } from "react";
import { session } from "../api/session";
import { useI18n } from "../i18n";

export function Login({ expired }: { expired: boolean }) {
  const { t, lang, setLang } = useI18n();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setFailure(null);
    const result = await session.login(email, password).catch(() => ({ ok: false as const, status: 0, detail: "network" }));
    setBusy(false);
    if (!result.ok) setFailure(result.status === 429 ? t("tooMany") : result.status === 401 ? t("loginFailed") : result.detail);
  }
  return (
    <main className="login">
      <form onSubmit={submit} aria-labelledby="login-title">
        <div className="login-head">
          <h1 id="login-title">{t("appName")}</h1>
          <button type="button" onClick={() => setLang(lang === "ru" ? "en" : "ru")} title={t("language")}>{t("langCode")}</button>
        </div>
        {expired && <p className="warning" role="status" data-testid="expired">{t("sessionExpired")}</p>}
        <label>
          {t("email")}
          <input type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} name="email" />
        </label>
        <label>
          {t("password")}
          <input type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} name="password" />
        </label>
        {failure && <p className="error" role="alert">{failure}</p>}
        <button type="submit" className="primary" disabled={busy}>{busy ? t("signingIn") : t("signIn")}</button>
      </form>
    </main>
  );
}
