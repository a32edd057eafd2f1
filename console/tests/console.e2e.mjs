// Browser tests of the console against the real system (started by tests-e2e/test_console_browser.py, which passes
// where it runs through the environment). Debian's chromium, driven by playwright-core; no browser download.
//
//   GATEWAY_URL, SIMULATOR_URL, SIM_LOGIN, SIM_PASSWORD, ADMIN_EMAIL, ADMIN_PASSWORD, PERIOD_FROM, PERIOD_TO,
//   SCREENSHOTS (directory), CHROMIUM (default /usr/bin/chromium)
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const env = (name, fallback) => process.env[name] ?? fallback ?? assert.fail(`${name} is not set`);
const GATEWAY = env("GATEWAY_URL");
const SIM = env("SIMULATOR_URL");
const ADMIN = { email: env("ADMIN_EMAIL", "admin@example.com"), password: env("ADMIN_PASSWORD", "admin123") };
const VIEWER = { email: `viewer-${Date.now()}@example.com`, password: "viewer-password-1" };
const FROM = env("PERIOD_FROM"), TO = env("PERIOD_TO");
const SHOTS = env("SCREENSHOTS");
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
  "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"];
const DESKTOP = { width: 1360, height: 900 }, PHONE = { width: 390, height: 844 };

let browser, admin; // admin: { context, page }
const pageErrors = [];

// ------------------------------------------------------------------------------------------------- helpers
async function api(path, { token, method = "GET", body } = {}) {
  const r = await fetch(GATEWAY + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}
async function apiToken(user) {
  const r = await api("/api/v1/auth/login", { method: "POST", body: user });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.access_token;
}
async function eventually(fn, what, seconds = 60) {
  const deadline = Date.now() + seconds * 1000;
  let last;
  while (Date.now() < deadline) {
    last = await fn().catch((e) => (e instanceof Error ? e : new Error(String(e))));
    if (last && !(last instanceof Error)) return last;
    await new Promise((r) => setTimeout(r, 1000));
  }
  assert.fail(`${what} not within ${seconds}s: ${last instanceof Error ? last.message : last}`);
}
async function open(viewport = DESKTOP) {
  const context = await browser.newContext({ viewport, locale: "ru-RU", timezoneId: "Europe/Moscow", acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  return { context, page };
}
async function signIn(page, user) {
  await page.goto(GATEWAY + "/");
  await page.getByLabel("Эл. почта").fill(user.email);
  await page.getByLabel("Пароль").fill(user.password);
  await page.getByRole("button", { name: "Войти" }).click();
  await page.getByTestId("who").filter({ hasText: user.email }).waitFor({ state: "attached" });
}
async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}
/** axe-core on the page as it is: no serious or critical violation. */
async function accessible(page, name) {
  await page.evaluate(AXE); // evaluated through the DevTools protocol: the console's CSP allows no injected script
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  writeFileSync(join(SHOTS, `${name}.axe.json`), JSON.stringify(result.violations, null, 1));
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")})`), [], `${name}: accessibility`);
}
/** "1 234 567,89 ₽" → "1234567.89" (and the text must be shaped that way). */
function roubles(text) {
  const t = text.replace(/[\s\u00a0\u202f]+/g, " ").trim();
  assert.match(t, /^-?\d{1,3}( \d{3})*,\d{2} ₽$/, `money as Russians write it: ${JSON.stringify(t)}`);
  return t.replace(/[ ₽]/g, "").replace(",", ".");
}
const two = (s) => Number(s).toFixed(2);

// ------------------------------------------------------------------------------------------------- set-up
before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({ executablePath: env("CHROMIUM", "/usr/bin/chromium"), args: ARGS });
  const token = await apiToken(ADMIN);
  const created = await api("/api/v1/admin/users", { token, method: "POST", body: { ...VIEWER, roles: ["viewer"], is_active: true } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  VIEWER.id = created.body.id;
});
after(async () => {
  await browser?.close();
  assert.deepEqual(pageErrors, [], "uncaught errors in the page");
});

// ------------------------------------------------------------------------------------------------- tests
test("login: a wrong password is refused, the right one opens the dashboard", async () => {
  admin = await open();
  const { page } = admin;
  await page.goto(GATEWAY + "/");
  await page.getByRole("heading", { name: "CRM МойСклад" }).waitFor();
  await accessible(page, "01-login");
  await shot(page, "01-login");
  await page.getByLabel("Эл. почта").fill(ADMIN.email);
  await page.getByLabel("Пароль").fill("wrong-password");
  await page.getByRole("button", { name: "Войти" }).click();
  await page.getByRole("alert").filter({ hasText: "Неверная почта или пароль" }).waitFor();
  await signIn(page, ADMIN);
  await page.getByRole("heading", { name: "Сводка" }).waitFor();
});

test("dashboard: the numbers shown equal the API's, money written the Russian way", async () => {
  const { page } = admin;
  const query = `period=custom&from=${FROM}&to=${TO}`;
  await page.goto(`${GATEWAY}/?${query}`);
  await page.getByTestId("kpi-revenue").getByTestId("value").waitFor();
  const token = await apiToken(ADMIN);
  const d = (await api(`/api/v1/analytics/dashboard?period=custom&date_from=${FROM}&date_to=${TO}&top=10`, { token })).body;
  assert.ok(Number(d.current.revenue) > 0, "the period has sales");
  const value = (key) => page.getByTestId(`kpi-${key}`).getByTestId("value").innerText();
  assert.equal(roubles(await value("revenue")), two(d.current.revenue));
  assert.equal(roubles(await value("profit")), two(d.current.profit));
  assert.equal(roubles(await value("average_check")), two(d.current.average_check));
  assert.equal((await value("sales_count")).replace(/\D/g, ""), String(d.current.sales_count));
  const margin = (await value("margin_percent")).replace(/[\s\u00a0\u202f%]/g, "").replace(",", ".");
  assert.ok(Math.abs(Number(margin) - Number(d.current.margin_percent)) < 0.0051, `margin ${margin} vs ${d.current.margin_percent}`);
  const change = await page.getByTestId("kpi-revenue").getByTestId("change").innerText();
  if (d.change_percent.revenue != null) assert.match(change, /[▲▼] [\d,]+/);
  const firstTop = d.top_products[0];
  await page.getByTestId("top-products").getByRole("row", { name: new RegExp(firstTop.name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")) }).first().waitFor();
  await page.locator(".recharts-surface").first().waitFor();
  await accessible(page, "02-dashboard");
  await shot(page, "02-dashboard");
  // English on a switch, and back
  await page.getByTestId("lang").click();
  await page.getByRole("heading", { name: "Dashboard" }).waitFor();
  await shot(page, "02-dashboard-en");
  await page.getByTestId("lang").click();
  await page.getByRole("heading", { name: "Сводка" }).waitFor();
});

test("dashboard on a phone: one column, the menu behind a button", async () => {
  // a session of its own: sharing the desktop's refresh token would make one of them reuse a spent token
  const phone = await open(PHONE);
  await phone.page.goto(GATEWAY + "/");
  await shot(phone.page, "03-login-phone");
  await signIn(phone.page, ADMIN);
  await phone.page.goto(`${GATEWAY}/?period=custom&from=${FROM}&to=${TO}`);
  await phone.page.getByTestId("kpi-revenue").getByTestId("value").waitFor();
  assert.equal(await phone.page.locator("#nav").isVisible(), false);
  await shot(phone.page, "03-dashboard-phone");
  await phone.page.getByRole("button", { name: "Меню" }).click();
  await phone.page.getByRole("link", { name: "Остатки" }).waitFor();
  await shot(phone.page, "03-menu-phone");
  await phone.context.close();
});

test("a sync started from the admin screen reaches 'succeeded' and its new products appear", async () => {
  const { page } = admin;
  const token = await apiToken(ADMIN);
  const auth = "Basic " + Buffer.from(`${env("SIM_LOGIN")}:${env("SIM_PASSWORD")}`).toString("base64");
  const simProducts = async () => {
    const r = await fetch(`${SIM}/api/remap/1.2/entity/product?limit=1000`, { headers: { authorization: auth, "accept-encoding": "gzip" } });
    assert.equal(r.status, 200);
    return (await r.json()).rows.filter((p) => !p.archived);
  };
  const catalogIds = async () => {
    const r = await api("/api/v1/products/?limit=500&kind=product", { token });
    return new Set(r.body.items.map((p) => p.id));
  };
  // the simulator runs in live mode: wait until it has created products the catalog has not seen
  const fresh = await eventually(async () => {
    const known = await catalogIds();
    const missing = (await simProducts()).filter((p) => !known.has(p.id));
    return missing.length ? missing : null;
  }, "a product created in the shop after the first sync", 90);
  await page.getByRole("link", { name: "Синхронизация" }).click();
  await page.getByRole("heading", { name: "Синхронизация" }).waitFor();
  await page.getByTestId("sync-mode").selectOption("incremental");
  await page.getByTestId("start-sync").click();
  const job = page.getByTestId("job");
  await job.waitFor();
  await job.getByText("успешно").first().waitFor({ timeout: 180_000 });
  assert.ok(await job.locator("[data-testid^=progress-]").count() > 0, "progress per entity type shown");
  await accessible(page, "04-sync");
  await shot(page, "04-sync");
  // "succeeded" is the connector's: the catalog applies what it published a moment later, and a search run before
  // that shows no row and is not run again (one CI run lost that race under load)
  await eventually(async () => (await api(`/api/v1/products/${fresh[0].id}`, { token: await apiToken(ADMIN) })).status === 200,
    "the new product in the catalog after the sync", 60);
  await page.getByRole("link", { name: "Товары" }).click();
  await page.getByRole("searchbox").fill(fresh[0].name);
  await page.getByRole("button", { name: "Показать" }).click();
  const cell = page.getByTestId("products").getByRole("cell", { name: fresh[0].name, exact: true }).first();
  await cell.waitFor().catch(async (e) => {
    // Which side lost it: the catalog's answers for the product, the jobs' figures, the simulator's stamp.
    const now = await apiToken(ADMIN); // access tokens live 60 s here
    const detail = await api(`/api/v1/products/${fresh[0].id}`, { token: now });
    const found = await api(`/api/v1/products/?q=${encodeURIComponent(fresh[0].name)}`, { token: now });
    const jobs = await api("/api/v1/admin/sync/jobs?limit=3", { token: now });
    const seen = `product ${fresh[0].id} (updated ${fresh[0].updated}): GET ${detail.status}, search ${JSON.stringify(found.body?.items?.map((p) => p.id))}`;
    assert.fail(`${e.message}\n${seen}\njobs: ${JSON.stringify(jobs.body?.items)}`.slice(0, 8000));
  });
  await shot(page, "05-products");
});

test("integrations: stored and environment credentials listed, a credential test answers", async () => {
  const { page } = admin;
  await page.getByRole("link", { name: "Интеграции" }).click();
  const row = page.getByTestId("integrations").getByRole("row").nth(1);
  await row.waitFor();
  await row.getByRole("button", { name: "Изменить" }).click();
  const form = page.locator("form[data-testid^=integration-form-]");
  await form.getByLabel("Адрес API").fill(`${SIM}/api/remap/1.2`);
  await form.getByLabel("Логин").fill(env("SIM_LOGIN"));
  await form.getByLabel("Пароль").fill("not-the-password");
  await form.getByRole("button", { name: "Проверить" }).click();
  await form.getByRole("status").filter({ hasText: "Не удалось подключиться" }).waitFor();
  await form.getByLabel("Пароль").fill(env("SIM_PASSWORD"));
  await form.getByRole("button", { name: "Проверить" }).click();
  await form.getByRole("status").filter({ hasText: "Подключение работает" }).waitFor();
  await accessible(page, "06-integrations");
  await shot(page, "06-integrations");
});

test("a low-stock notification arrives live and is acknowledged", async () => {
  const { context, page } = admin;
  await page.getByRole("link", { name: "Уведомления" }).click();
  await page.locator(".live-dot.on").first().waitFor();
  // a second tab of the same session sets a minimum above the stock of one product
  const other = await context.newPage();
  other.on("pageerror", (e) => pageErrors.push(String(e)));
  await other.goto(GATEWAY + "/stock");
  const row = other.getByTestId("stock").locator("tbody tr:not(.below)").first();
  const name = (await row.locator("td").first().innerText()).trim();
  // the per-store sums above the list count the rows below their minimum
  const store = (await row.locator("td").nth(1).innerText()).trim();
  const belowIn = other.getByTestId("stock-by-store").locator(`tbody tr:has(td:first-child:text-is(${JSON.stringify(store)}))`).locator("td").last();
  const before = Number((await belowIn.innerText()).trim());
  await row.getByRole("button", { name: /Задать минимум/ }).click();
  await row.getByRole("spinbutton").fill("100000");
  await row.getByRole("button", { name: "Сохранить" }).click();
  await other.getByTestId("stock").locator("tbody tr.below").filter({ hasText: name }).first().waitFor();
  await eventually(async () => Number((await belowIn.innerText()).trim()) === before + 1, `${store}: ${before + 1} below the minimum`);
  await shot(other, "07-stock-below-minimum");
  await accessible(other, "07-stock");
  await other.close();
  // shown on the first tab without a reload
  const note = page.getByTestId("live-notes").getByTestId("note").filter({ hasText: name }).first();
  await note.waitFor({ timeout: 60_000 });
  await shot(page, "08-notification-live");
  const token = await apiToken(ADMIN);
  const alert = await eventually(async () => {
    const r = await api("/api/v1/analytics/alerts?status=open&limit=100", { token });
    return r.body.items.find((a) => a.title.includes(name));
  }, "the alert in analytics");
  await note.getByRole("button", { name: "Принять" }).click();
  await note.getByText("Принято").waitFor();
  const acknowledged = await api(`/api/v1/analytics/alerts?status=acknowledged&limit=100`, { token });
  assert.ok(acknowledged.body.items.some((a) => a.id === alert.id), "acknowledged at the API");
  await accessible(page, "08-notifications");
});

test("reports: sales totals equal the API's, sorting and CSV download work", async () => {
  const { page } = admin;
  await page.goto(`${GATEWAY}/reports/sales?period=custom&from=${FROM}&to=${TO}`);
  const total = page.getByTestId("total-revenue");
  await total.waitFor();
  const token = await apiToken(ADMIN);
  const r = (await api(`/api/v1/analytics/sales/report?period=custom&date_from=${FROM}&date_to=${TO}&group_by=product&limit=1`, { token })).body;
  assert.equal(roubles(await total.innerText()), two(r.totals.revenue));
  await page.getByRole("button", { name: /^Прибыль/ }).click();
  await page.getByRole("columnheader", { name: /Прибыль/ }).and(page.locator("[aria-sort=descending]")).waitFor();
  const [file] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Скачать CSV" }).click()]);
  const csv = readFileSync(await file.path(), "utf8");
  assert.ok(csv.split("\n").length > 2, "the CSV has rows");
  await accessible(page, "09-sales-report");
  await shot(page, "09-sales-report");
  await page.getByRole("link", { name: "Оборачиваемость" }).click();
  await page.getByTestId("inventory-report").waitFor();
  await shot(page, "10-inventory-report");
});

test("customers: segments, and a drill-down to one customer's profile", async () => {
  const { page } = admin;
  await page.goto(`${GATEWAY}/customers?as_of=${TO}`);
  await page.getByTestId("segments").waitFor();
  const token = await apiToken(ADMIN);
  const api_ = (await api(`/api/v1/analytics/customers/segments?as_of=${TO}&limit=1`, { token })).body;
  assert.ok(api_.customers_total > 0, "the shop has customers");
  await page.getByText(`Покупателей: ${api_.customers_total}`).first().waitFor();
  const biggest = [...api_.segments].sort((a, b) => b.customers - a.customers)[0];
  await page.getByTestId("segments").getByRole("button", { name: new RegExp(biggest.name_ru) }).click();
  const link = page.getByTestId("customers").getByRole("link").first();
  const name = (await link.innerText()).trim();
  await shot(page, "11-customers");
  await accessible(page, "11-customers");
  await link.click();
  await page.getByRole("heading", { name }).waitFor();
  await shot(page, "12-customer-profile");
});

test("customers across sources: a steward merges two customers, the profile sums both, a split undoes it", async () => {
  const { page } = admin;
  const token = await apiToken(ADMIN);
  const summary = (await api(`/api/v1/analytics/customers/segments?as_of=${TO}&limit=1`, { token })).body;
  const biggest = [...summary.segments].sort((x, y) => y.customers - x.customers)[0].code;
  const listed = (await api(`/api/v1/analytics/customers/segments?as_of=${TO}&segment=${biggest}&limit=2`, { token })).body;
  const [a, b] = listed.customers.map((c) => c.customer_id).sort();
  assert.ok(a && b, "two customers to merge");
  const profile = async (id) => (await api(`/api/v1/analytics/customers/${id}?as_of=${TO}`, { token })).body;
  const [alone, other] = [await profile(a), await profile(b)];
  await page.goto(`${GATEWAY}/customers/${a}`);
  const sources = page.getByTestId("sources");
  await sources.locator("tbody tr").first().waitFor();
  assert.equal(await sources.locator("tbody tr").count(), 1);
  await page.getByLabel("Объединить с контрагентом (id)").fill(b);
  await page.getByLabel("Причина").fill("один покупатель, два договора");
  await page.getByTestId("merge").getByRole("button", { name: "Объединить" }).click();
  await eventually(async () => (await sources.locator("tbody tr").count()) === 2, "both records in the profile");
  await sources.getByText("объединено вручную").first().waitFor();
  const merged = await profile(a);
  assert.deepEqual(merged.counterparty_ids, [a, b]);
  const cents = (s) => Math.round(Number(s) * 100);
  assert.equal(cents(merged.revenue), cents(alone.revenue) + cents(other.revenue), "the merged revenue is both");
  await eventually(async () => roubles(await page.getByTestId("profile-revenue").innerText()) === two(merged.revenue), "the revenue shown");
  await shot(page, "12a-customer-sources");
  await accessible(page, "12a-customer-sources");
  await sources.locator(`tr[data-counterparty="${b}"]`).getByRole("button", { name: "Отделить" }).click();
  await eventually(async () => (await sources.locator("tbody tr").count()) === 1, "the split record gone from the profile");
  assert.deepEqual((await profile(a)).counterparty_ids, [a]);
  assert.deepEqual((await profile(b)).counterparty_ids, [b]);
});

test("funnel: without a CRM connected the screen says so instead of failing", async () => {
  const { page } = admin;
  await page.goto(`${GATEWAY}/reports/funnel`);
  await page.getByTestId("funnel-empty").filter({ hasText: "Воронок пока нет" }).waitFor();
  await accessible(page, "12b-funnel-empty");
});

test("admin screens: users, roles, audit trail, system health", async () => {
  const { page } = admin;
  for (const [link, testid, shotName] of [["Пользователи", "users", "13-users"], ["Роли", "roles", "14-roles"], ["Журнал действий", "audit", "15-audit"]]) {
    await page.getByRole("link", { name: link, exact: true }).click();
    await page.getByTestId(testid).waitFor();
    if (testid === "users") await page.getByTestId("users").getByRole("row", { name: new RegExp(VIEWER.email) }).waitFor();
    await accessible(page, shotName);
    await shot(page, shotName);
  }
  await page.getByRole("link", { name: "Состояние системы" }).click();
  await page.getByTestId("overall").waitFor();
  await accessible(page, "16-health");
  await shot(page, "16-health");
});

test("silent refresh: a rejected access token is replaced without the user noticing", async () => {
  const { page } = admin;
  const before = JSON.parse(await page.evaluate(() => localStorage.getItem("crm.console.tokens")));
  await page.evaluate((t) => localStorage.setItem("crm.console.tokens", JSON.stringify({ ...t, access: "not.a.token", accessExpiresAt: Date.now() + 3_600_000 })), before);
  await page.goto(`${GATEWAY}/?period=custom&from=${FROM}&to=${TO}`);
  await page.getByTestId("kpi-revenue").getByTestId("value").waitFor();
  const after = JSON.parse(await page.evaluate(() => localStorage.getItem("crm.console.tokens")));
  assert.notEqual(after.access, "not.a.token");
  assert.notEqual(after.refresh, before.refresh, "the refresh token was rotated");
});

test("a viewer sees no admin screen, even by typing its address", async () => {
  const viewer = await open();
  await signIn(viewer.page, VIEWER);
  await viewer.page.getByRole("heading", { name: "Сводка" }).waitFor();
  const nav = viewer.page.locator("#nav");
  for (const name of ["Интеграции", "Синхронизация", "Пользователи", "Роли", "Журнал действий", "Состояние системы"]) {
    assert.equal(await nav.getByRole("link", { name }).count(), 0, `${name} not offered to a viewer`);
  }
  for (const path of ["/admin/sync", "/admin/integrations", "/admin/users", "/admin/health"]) {
    await viewer.page.goto(GATEWAY + path);
    await viewer.page.getByTestId("forbidden").waitFor();
    assert.equal(await viewer.page.getByTestId("start-sync").count(), 0);
  }
  await shot(viewer.page, "17-viewer-forbidden");
  await viewer.page.goto(GATEWAY + "/stock");
  await viewer.page.getByTestId("stock").waitFor();
  assert.equal(await viewer.page.getByRole("button", { name: /Задать минимум/ }).count(), 0, "no stock edits for a viewer");
  // the API refuses too: the screen is not the only gate
  const token = await apiToken({ email: VIEWER.email, password: VIEWER.password });
  assert.equal((await api("/api/v1/admin/sync/jobs", { token })).status, 403);

  // an administrator ends the viewer's sessions: the next action lands on the sign-in page, saying why
  const adminToken = await apiToken(ADMIN);
  assert.equal((await api(`/api/v1/admin/users/${VIEWER.id}/sessions`, { token: adminToken, method: "DELETE" })).status, 204);
  await viewer.page.getByRole("link", { name: "Товары" }).click();
  await viewer.page.getByTestId("expired").waitFor();
  await shot(viewer.page, "18-session-expired");
  await viewer.context.close();
});

test("logout ends the session at the server", async () => {
  const { page } = admin;
  const tokens = JSON.parse(await page.evaluate(() => localStorage.getItem("crm.console.tokens")));
  const sessionId = JSON.parse(Buffer.from(tokens.access.split(".")[1], "base64url").toString()).sid;
  await page.getByTestId("logout").click();
  await page.getByRole("button", { name: "Войти" }).waitFor();
  assert.equal(await page.evaluate(() => localStorage.getItem("crm.console.tokens")), null);
  const other = await apiToken(ADMIN);
  const mine = (await api("/api/v1/auth/me", { token: other })).body;
  const sessions = (await api(`/api/v1/admin/users/${mine.id}/sessions`, { token: other })).body;
  const ended = sessions.filter((s) => s.revoked_at !== null).map((s) => s.id);
  assert.ok(ended.includes(sessionId), `session ${sessionId} revoked at auth`);
  const refreshed = await api("/api/v1/auth/refresh", { method: "POST", body: { refresh_token: tokens.refresh } });
  assert.equal(refreshed.status, 401, "the refresh token no longer works");
  await admin.context.close();
});
