// The period picker (today, yesterday, week, month, custom); the analytics service resolves it in the company's time
// zone. The choice lives in the URL (?period=custom&from=2026-01-01&to=2026-01-31) so a link shows the same numbers.
import { useState } from "react";
import { useSearchParams } from "react-router-dom";
import { useI18n, type Key } from "./i18n";

export type PeriodKind = "today" | "yesterday" | "week" | "month" | "custom";
export type Period = { period: PeriodKind; date_from?: string; date_to?: string };

export function usePeriod(): [Period, (p: Period) => void] {
  const [params, setParams] = useSearchParams();
  const kind = (params.get("period") as PeriodKind) || "month";
  const period: Period =
    kind === "custom" && params.get("from") && params.get("to")
      ? { period: "custom", date_from: params.get("from")!, date_to: params.get("to")! }
      : { period: kind === "custom" ? "month" : kind };
  const set = (p: Period) => {
    const next = new URLSearchParams(params);
    next.set("period", p.period);
    next.delete("from");
    next.delete("to");
    if (p.period === "custom" && p.date_from && p.date_to) {
      next.set("from", p.date_from);
      next.set("to", p.date_to);
    }
    setParams(next);
  };
  return [period, set];
}

export function PeriodPicker({ value, onChange }: { value: Period; onChange: (p: Period) => void }) {
  const { t } = useI18n();
  const [from, setFrom] = useState(value.date_from ?? "");
  const [to, setTo] = useState(value.date_to ?? "");
  const kinds: PeriodKind[] = ["today", "yesterday", "week", "month", "custom"];
  return (
    <div className="period" role="group" aria-label={t("period")}>
      {kinds.map((k) => (
        <button key={k} aria-pressed={value.period === k} className={value.period === k ? "selected" : ""}
          onClick={() => (k === "custom" ? from && to && onChange({ period: k, date_from: from, date_to: to }) : onChange({ period: k }))}
          data-testid={`period-${k}`}>
          {t(k as Key)}
        </button>
      ))}
      <label>{t("from")} <input type="date" value={from} onChange={(e) => setFrom(e.target.value)} /></label>
      <label>{t("to")} <input type="date" value={to} onChange={(e) => setTo(e.target.value)} /></label>
      <button onClick={() => from && to && onChange({ period: "custom", date_from: from, date_to: to })} disabled={!from || !to}>
        {t("apply")}
      </button>
    </div>
  );
}
