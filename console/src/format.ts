// Numbers the Russian way: 1 234 567,89 ₽ (the API sends money as decimal strings; never through floats for sums).
import type { Lang } from "./i18n";

const locale = (lang: Lang) => (lang === "ru" ? "ru-RU" : "en-GB");

export function money(value: string | number | null | undefined, lang: Lang): string {
  if (value === null || value === undefined || value === "") return "—";
  return new Intl.NumberFormat(locale(lang), { style: "currency", currency: "RUB", minimumFractionDigits: 2 }).format(Number(value));
}

export function num(value: string | number | null | undefined, lang: Lang, digits = 2): string {
  if (value === null || value === undefined || value === "") return "—";
  return new Intl.NumberFormat(locale(lang), { maximumFractionDigits: digits }).format(Number(value));
}

export function percent(value: string | number | null | undefined, lang: Lang): string {
  if (value === null || value === undefined || value === "") return "—";
  return `${num(value, lang, 2)} %`;
}

export function dateTime(value: string | null | undefined, lang: Lang): string {
  if (!value) return "—";
  return new Intl.DateTimeFormat(locale(lang), { dateStyle: "short", timeStyle: "medium" }).format(new Date(value));
}

export function date(value: string | null | undefined, lang: Lang): string {
  if (!value) return "—";
  const [y, m, d] = value.slice(0, 10).split("-").map(Number);
  return new Intl.DateTimeFormat(locale(lang), { dateStyle: "medium", timeZone: "UTC" }).format(Date.UTC(y, m - 1, d));
}
