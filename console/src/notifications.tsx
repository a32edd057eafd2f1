// The live notification stream (GET /api/v1/notifications/stream, Server-Sent Events). EventSource cannot send the
// Authorization header, so the stream is read with fetch; it resumes with Last-Event-ID after a drop or a token
// refresh, so nothing is missed or shown twice.
import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from "react";
import { session } from "./api/session";
import { P, useAuth } from "./auth";

export type Note = { id: string; event: string; data: Record<string, unknown>; receivedAt: number };
type Ctx = { notes: Note[]; connected: boolean; unread: number; markRead: () => void; dismiss: (id: string) => void };
const Notes = createContext<Ctx | null>(null);

export function parseEvents(buffer: string): { events: { id?: string; event: string; data: string }[]; rest: string } {
  const blocks = buffer.split(/\r?\n\r?\n/);
  const rest = blocks.pop() ?? "";
  const events = [];
  for (const block of blocks) {
    let id: string | undefined, event = "message";
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith(":")) continue;
      const [field, ...value] = line.split(":");
      const v = value.join(":").replace(/^ /, "");
      if (field === "id") id = v;
      else if (field === "event") event = v;
      else if (field === "data") data.push(v);
    }
    if (data.length) events.push({ id, event, data: data.join("\n") });
  }
  return { events, rest };
}

export function NotificationsProvider({ children }: { children: ReactNode }) {
  const { can, me } = useAuth();
  const [notes, setNotes] = useState<Note[]>([]);
  const [connected, setConnected] = useState(false);
  const [unread, setUnread] = useState(0);
  const lastId = useRef<string | null>(null);
  const allowed = can(P.notifications);

  useEffect(() => {
    if (!allowed) return;
    const abort = new AbortController();
    let stopped = false;
    (async () => {
      while (!stopped) {
        try {
          const token = await session.accessToken();
          if (!token) return;
          const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: "text/event-stream" };
          if (lastId.current) headers["last-event-id"] = lastId.current;
          const r = await fetch("/api/v1/notifications/stream", { headers, signal: abort.signal });
          if (r.status === 401) await session.refresh();
          if (!r.ok || !r.body) throw new Error(`stream: HTTP ${r.status}`);
          setConnected(true);
          const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = "";
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            const parsed = parseEvents(buffer + value);
            buffer = parsed.rest;
            for (const e of parsed.events) {
              if (e.id) lastId.current = e.id;
              if (e.event === "session.ended") continue; // the loop reconnects with a fresh token
              let data: Record<string, unknown> = {};
              try {
                data = JSON.parse(e.data);
              } catch {
                data = { message: e.data };
              }
              const note = { id: e.id ?? String(Date.now()), event: e.event, data, receivedAt: Date.now() };
              setNotes((list) => (list.some((n) => n.id === note.id) ? list : [note, ...list].slice(0, 200)));
              setUnread((n) => n + 1);
            }
          }
        } catch {
          if (abort.signal.aborted) return;
        }
        setConnected(false);
        await new Promise((res) => setTimeout(res, 2000));
      }
    })();
    return () => {
      stopped = true;
      abort.abort();
      setConnected(false);
    };
  }, [allowed, me?.session_id]);

  const markRead = useCallback(() => setUnread(0), []);
  const dismiss = useCallback((id: string) => setNotes((list) => list.filter((n) => n.id !== id)), []);
  const value: Ctx = {
    notes,
    connected,
    unread,
    markRead,
    dismiss,
  };
  return <Notes.Provider value={value}>{children}</Notes.Provider>;
}

export function useNotifications(): Ctx {
  const ctx = useContext(Notes);
  if (!ctx) throw new Error("useNotifications outside NotificationsProvider");
  return ctx;
}
