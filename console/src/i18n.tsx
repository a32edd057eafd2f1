// Russian first, English on a switch; the choice is remembered.
import { createContext, useContext, useEffect, useState, type ReactNode } from "react";

export type Lang = "ru" | "en";

const ru = {
  appName: "CRM МойСклад",
  login: "Вход", email: "Эл. почта", password: "Пароль", signIn: "Войти", signingIn: "Входим…",
  loginFailed: "Неверная почта или пароль", tooMany: "Слишком много попыток, подождите", sessionExpired: "Сессия истекла, войдите снова",
  logout: "Выйти", language: "English", langCode: "EN",
  dashboard: "Сводка", sales: "Продажи", inventoryReport: "Оборачиваемость", stock: "Остатки", customers: "Покупатели",
  products: "Товары", notifications: "Уведомления", integrations: "Интеграции", sync: "Синхронизация", users: "Пользователи",
  roles: "Роли", audit: "Журнал действий", health: "Состояние системы", admin: "Администрирование", reports: "Отчёты",
  revenue: "Выручка", profit: "Прибыль", margin: "Маржа", averageCheck: "Средний чек", salesCount: "Продаж",
  vsPrevious: "к прошлому периоду", noChange: "нет данных для сравнения",
  today: "Сегодня", yesterday: "Вчера", week: "Неделя", month: "Месяц", custom: "Период", from: "С", to: "По", apply: "Показать",
  period: "Период", trend: "Выручка и прибыль", byDay: "По дням", byWeek: "По неделям", byMonth: "По месяцам",
  topProducts: "Лучшие товары", topCustomers: "Лучшие покупатели", name: "Название", quantity: "Кол-во", documents: "Документов",
  customer: "Покупатель", lowStock: "Ниже минимума", stockValue: "Запасы по себестоимости",
  stockByStore: "Остатки по складам", positions: "Позиций",
  loading: "Загрузка…", error: "Ошибка", retry: "Повторить", empty: "Нет данных", forbidden: "Нет доступа к этому разделу",
  notFound: "Страница не найдена", prev: "Назад", next: "Вперёд", pageOf: "стр. {page} из {pages}", total: "Всего: {n}",
  groupBy: "Группировка", byNone: "Без группировки", byProduct: "Товар", byFolder: "Группа товаров", byCustomer: "Покупатель", byStore: "Склад",
  timeGrouping: "По времени", none: "Нет", sortBy: "Сортировка", asc: "по возрастанию", desc: "по убыванию",
  download: "Скачать", store: "Склад", allStores: "Все склады", search: "Поиск", onlyBelowMin: "Только ниже минимума",
  available: "Доступно", reserve: "Резерв", minimum: "Минимум", setMinimum: "Задать минимум", save: "Сохранить", cancel: "Отмена",
  segments: "Сегменты (RFM)", segment: "Сегмент", all: "Все", customersCount: "Покупателей", share: "Доля выручки",
  recency: "Дней с покупки", frequency: "Покупок", monetary: "Сумма", profile: "Профиль покупателя", firstPurchase: "Первая покупка",
  lastPurchase: "Последняя покупка", returns: "Возвратов", phone: "Телефон",
  sources: "Источники", inn: "ИНН", matchedBy: "Совпадение", matchInn: "по ИНН", matchPhone: "по телефону",
  matchEmail: "по почте", matchMerge: "объединено вручную", matchSelf: "—", split: "Отделить", merge: "Объединить",
  mergeWith: "Объединить с контрагентом (id)", reason: "Причина", decisions: "Решения", deals: "Сделки", stageName: "Этап",
  amount: "Сумма", created: "Создана", funnel: "Воронка", pipeline: "Воронка сделок", dealsCount: "Сделок", won: "Выиграно",
  lost: "Проиграно", open: "В работе", winRate: "Доля выигранных", cycle: "Средний цикл, дней", openValue: "В работе на сумму",
  wonValue: "Выиграно на сумму", reached: "Дошли", conversion: "Конверсия в следующий", current: "Сейчас", responsible: "Ответственный",
  otherCurrency: "Сделок в другой валюте (без сумм)", noPipelines: "Воронок пока нет: подключите CRM (Битрикс24) в разделе «Интеграции»",
  live: "в реальном времени", connecting: "подключение…", acknowledge: "Принять", acknowledged: "Принято", openAlerts: "Открытые",
  allAlerts: "Все", noNotifications: "Уведомлений нет", severity: "Важность", raisedAt: "Когда",
  baseUrl: "Адрес API", username: "Логин", token: "Токен", enabled: "Включена", test: "Проверить", testOk: "Подключение работает", testFailed: "Не удалось подключиться",
  saved: "Сохранено", newIntegration: "Новая интеграция", integrationId: "Идентификатор", source: "Источник", authKind: "Вход по",
  passwordKeep: "оставьте пустым, чтобы не менять", enable: "Включить", disable: "Выключить",
  startSync: "Запустить синхронизацию", mode: "Режим", full: "Полная", incremental: "Изменения", stockOnly: "Только остатки", reconcileDeletes: "Сверка удалений",
  jobs: "История синхронизаций", status: "Статус", started: "Начата", duration: "Длительность", trigger: "Запуск", counts: "Получено",
  errors: "Ошибки", progress: "Ход по типам", details: "Подробнее", syncRunning: "Синхронизация идёт",
  pending: "в очереди", running: "выполняется", succeeded: "успешно", failed: "ошибка", skipped: "пропущено", done: "готово",
  createUser: "Создать пользователя", active: "Активен", lastLogin: "Последний вход", rolesOf: "Роли", resetPassword: "Сбросить пароль",
  endSessions: "Завершить сессии", sessionsEnded: "Сессии завершены", resetToken: "Одноразовый токен сброса (передайте пользователю)",
  deactivate: "Отключить", activate: "Включить", create: "Создать", permissions: "Права", builtIn: "встроенная", createRole: "Создать роль",
  description: "Описание", edit: "Изменить", action: "Действие", actor: "Кто", target: "Объект", when: "Когда", ip: "IP",
  overall: "Итог", services: "Сервисы", infrastructure: "Инфраструктура", consumerLag: "Отставание потребителей", refresh: "Обновить",
  ok: "в порядке", degraded: "есть проблемы", unavailable: "недоступен", menu: "Меню", close: "Закрыть", kind: "Тип", price: "Цена",
  article: "Артикул", code: "Код", folder: "Группа", asOf: "На дату", pickSegment: "Выберите сегмент, чтобы увидеть его покупателей",
};
type Dict = typeof ru;
const en: Dict = {
  appName: "MoySklad CRM",
  login: "Sign in", email: "Email", password: "Password", signIn: "Sign in", signingIn: "Signing in…",
  loginFailed: "Wrong email or password", tooMany: "Too many attempts, wait a little", sessionExpired: "Your session expired, sign in again",
  logout: "Sign out", language: "Русский", langCode: "RU",
  dashboard: "Dashboard", sales: "Sales", inventoryReport: "Inventory turnover", stock: "Stock", customers: "Customers",
  products: "Products", notifications: "Notifications", integrations: "Integrations", sync: "Synchronization", users: "Users",
  roles: "Roles", audit: "Audit trail", health: "System health", admin: "Administration", reports: "Reports",
  revenue: "Revenue", profit: "Profit", margin: "Margin", averageCheck: "Average check", salesCount: "Sales",
  vsPrevious: "vs previous period", noChange: "nothing to compare with",
  today: "Today", yesterday: "Yesterday", week: "Week", month: "Month", custom: "Custom", from: "From", to: "To", apply: "Show",
  period: "Period", trend: "Revenue and profit", byDay: "By day", byWeek: "By week", byMonth: "By month",
  topProducts: "Top products", topCustomers: "Top customers", name: "Name", quantity: "Qty", documents: "Documents",
  customer: "Customer", lowStock: "Below minimum", stockValue: "Stock at cost",
  stockByStore: "Stock by store", positions: "Items",
  loading: "Loading…", error: "Error", retry: "Retry", empty: "No data", forbidden: "You have no access to this section",
  notFound: "Page not found", prev: "Previous", next: "Next", pageOf: "page {page} of {pages}", total: "Total: {n}",
  groupBy: "Group by", byNone: "No grouping", byProduct: "Product", byFolder: "Product group", byCustomer: "Customer", byStore: "Store",
  timeGrouping: "By time", none: "None", sortBy: "Sort by", asc: "ascending", desc: "descending",
  download: "Download", store: "Store", allStores: "All stores", search: "Search", onlyBelowMin: "Only below minimum",
  available: "Available", reserve: "Reserved", minimum: "Minimum", setMinimum: "Set minimum", save: "Save", cancel: "Cancel",
  segments: "Segments (RFM)", segment: "Segment", all: "All", customersCount: "Customers", share: "Revenue share",
  recency: "Days since purchase", frequency: "Purchases", monetary: "Amount", profile: "Customer profile", firstPurchase: "First purchase",
  sources: "Sources", inn: "INN", matchedBy: "Matched", matchInn: "by INN", matchPhone: "by phone",
  matchEmail: "by e-mail", matchMerge: "merged by hand", matchSelf: "—", split: "Split off", merge: "Merge",
  mergeWith: "Merge with counterparty (id)", reason: "Reason", decisions: "Decisions", deals: "Deals", stageName: "Stage",
  amount: "Amount", created: "Created", funnel: "Funnel", pipeline: "Pipeline", dealsCount: "Deals", won: "Won",
  lost: "Lost", open: "Open", winRate: "Win rate", cycle: "Average cycle, days", openValue: "Open pipeline value",
  wonValue: "Won value", reached: "Reached", conversion: "Conversion to next", current: "Now", responsible: "Responsible",
  otherCurrency: "Deals in another currency (not valued)", noPipelines: "No pipelines yet: connect a CRM (Bitrix24) under Integrations",
  lastPurchase: "Last purchase", returns: "Returns", phone: "Phone",
  live: "live", connecting: "connecting…", acknowledge: "Acknowledge", acknowledged: "Acknowledged", openAlerts: "Open",
  allAlerts: "All", noNotifications: "No notifications", severity: "Severity", raisedAt: "When",
  baseUrl: "API URL", username: "Login", token: "Token", enabled: "Enabled", test: "Test", testOk: "Connection works", testFailed: "Could not connect",
  saved: "Saved", newIntegration: "New integration", integrationId: "Identifier", source: "Source", authKind: "Signs in with",
  passwordKeep: "leave empty to keep", enable: "Enable", disable: "Disable",
  startSync: "Start synchronization", mode: "Mode", full: "Full", incremental: "Changes", stockOnly: "Stock only", reconcileDeletes: "Reconcile deletes",
  jobs: "Sync history", status: "Status", started: "Started", duration: "Duration", trigger: "Trigger", counts: "Received",
  errors: "Errors", progress: "Progress per type", details: "Details", syncRunning: "Sync running",
  pending: "pending", running: "running", succeeded: "succeeded", failed: "failed", skipped: "skipped", done: "done",
  createUser: "Create user", active: "Active", lastLogin: "Last sign-in", rolesOf: "Roles", resetPassword: "Reset password",
  endSessions: "End sessions", sessionsEnded: "Sessions ended", resetToken: "One-time reset token (give it to the user)",
  deactivate: "Deactivate", activate: "Activate", create: "Create", permissions: "Permissions", builtIn: "built-in", createRole: "Create role",
  description: "Description", edit: "Edit", action: "Action", actor: "Who", target: "Target", when: "When", ip: "IP",
  overall: "Overall", services: "Services", infrastructure: "Infrastructure", consumerLag: "Consumer lag", refresh: "Refresh",
  ok: "ok", degraded: "degraded", unavailable: "unavailable", menu: "Menu", close: "Close", kind: "Kind", price: "Price",
  article: "Article", code: "Code", folder: "Group", asOf: "As of", pickSegment: "Pick a segment to list its customers",
};
export type Key = keyof Dict;
const dicts: Record<Lang, Dict> = { ru, en };

type Ctx = { lang: Lang; setLang: (l: Lang) => void; t: (k: Key, vars?: Record<string, string | number>) => string };
const I18n = createContext<Ctx | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLang] = useState<Lang>(() => (localStorage.getItem("crm.console.lang") === "en" ? "en" : "ru"));
  useEffect(() => {
    localStorage.setItem("crm.console.lang", lang);
    document.documentElement.lang = lang;
  }, [lang]);
  const t = (k: Key, vars?: Record<string, string | number>) =>
    Object.entries(vars ?? {}).reduce((s, [name, v]) => s.replace(`{${name}}`, String(v)), dicts[lang][k] ?? k);
  return <I18n.Provider value={{ lang, setLang, t }}>{children}</I18n.Provider>;
}

export function useI18n(): Ctx {
  const ctx = useContext(I18n);
  if (!ctx) throw new Error("useI18n outside I18nProvider");
  return ctx;
}
