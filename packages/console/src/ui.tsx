/**
 * The console's few building blocks, on native elements so keyboards and screen readers get what
 * browsers already do: `<label>` for every control, `<dialog>` (focus kept inside, Escape closes),
 * errors tied to their control by `aria-describedby` and announced (`role="alert"`).
 */
import type { ComponentChildren, JSX } from "preact";
import { useCallback, useEffect, useId, useLayoutEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "./api/client.js";

interface InputProps {
  label: string;
  type?: "text" | "password" | "date";
  autoComplete?: string;
  spellcheck?: boolean;
  autoCapitalize?: "none";
  inputMode?: "numeric" | "text";
  placeholder?: string | undefined;
  required?: boolean;
  value: string;
  onInput: (value: string) => void;
  error?: string | undefined;
  hint?: string;
}

/** A labelled text input; `error` (the API's message for this field) shown beneath it. */
export function Field({ label, value, onInput, error, hint, ...rest }: InputProps) {
  const id = useId();
  const described = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;
  // Preact 11 types an input's attributes per `type`; every type this field takes is text-like.
  const inputProps = {
    id,
    value,
    onInput: (event: Event) => onInput((event.currentTarget as HTMLInputElement).value),
    "aria-invalid": error ? "true" : undefined,
    "aria-describedby": described,
    ...rest,
  } as JSX.IntrinsicElements["input"];
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input {...inputProps} />
      {hint && <p class="hint" id={`${id}-hint`}>{hint}</p>}
      {error && <p class="field-error" id={`${id}-error`} role="alert">{error}</p>}
    </div>
  );
}

export function Select<T extends string>({
  label,
  value,
  options,
  onChange,
  error,
}: {
  label: string;
  value: T;
  options: ReadonlyArray<readonly [T, string]>;
  onChange: (value: T) => void;
  error?: string | undefined;
}) {
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} value={value} onChange={(event) => onChange(event.currentTarget.value as T)} aria-invalid={error ? "true" : undefined} aria-describedby={error ? `${id}-error` : undefined}>
        {options.map(([option, text]) => (
          <option key={option} value={option}>{text}</option>
        ))}
      </select>
      {error && <p class="field-error" id={`${id}-error`} role="alert">{error}</p>}
    </div>
  );
}

export function Checkbox({ label, checked, onChange }: { label: string; checked: boolean; onChange: (checked: boolean) => void }) {
  return (
    <label class="checkbox">
      <input type="checkbox" checked={checked} onChange={(event) => onChange(event.currentTarget.checked)} /> {label}
    </label>
  );
}

/** A modal `<dialog>`, open while mounted; Escape or the close button calls `onClose`. */
export function Dialog({ title, onClose, children }: { title: string; onClose: () => void; children: ComponentChildren }) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  return (
    <dialog ref={ref} aria-labelledby={id} onCancel={(event) => (event.preventDefault(), onClose())}>
      <div class="dialog-head">
        <h2 id={id}>{title}</h2>
        <button type="button" class="link" onClick={onClose} aria-label="Close">✕</button>
      </div>
      {children}
    </dialog>
  );
}

/** An error no field owns (or any error that is not the API's), announced. */
export function ErrorMessage({ error }: { error: unknown }) {
  if (!error) return null;
  const text = error instanceof ApiError ? [error.body.error, error.message].filter((part, i, all) => part && all.indexOf(part) === i).join(": ") : String(error);
  return <p class="error" role="alert">{text}</p>;
}

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/**
 * Loads `load()` on mount and whenever `deps` change; `reload` asks again. A load that arrives in
 * parts (pages) hands each partial result to `progress`, shown at once while `loading` stays true.
 */
export function useLoad<T>(load: (progress: (partial: T) => void) => Promise<T>, deps: readonly unknown[] = []): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [generation, setGeneration] = useState(0);
  // A layout effect starts the requests right after rendering; Preact runs plain effects only
  // after the next frame is painted, which is a wait before every screen's first request.
  useLayoutEffect(() => {
    let current = true;
    setState((previous) => (previous.loading ? previous : { ...previous, loading: true }));
    load((partial) => current && setState({ data: partial, loading: true })).then(
      (data) => current && setState({ data, loading: false }),
      (error: unknown) => current && setState({ error, loading: false }),
    );
    return () => {
      current = false;
    };
  }, [...deps, generation]);
  const reload = useCallback(() => setGeneration((n) => n + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

// One formatter for every time shown: `toLocaleString` builds a new one per call, which a
// 1 000-row table feels.
const TIME = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** A time for people: local date and time, or "never". */
export function when(iso: string | null | undefined): string {
  return iso ? TIME.format(new Date(iso)) : "never";
}

export function percent(rate: number | null | undefined): string {
  return rate === null || rate === undefined ? "–" : `${Math.round(rate * 10) / 10} %`;
}

/** A section's heading, with actions beside it. */
export function PageHead({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="page-head">
      <h1 tabIndex={-1}>{title}</h1>
      <div class="actions">{children}</div>
    </div>
  );
}

const ACRONYMS = new Set(["api", "url", "id", "dns", "ttl"]);

/** A provider field's name for people: `api_url` → "API URL", `server_id` → "Server ID". */
export function fieldLabel(name: string): string {
  const words = name.split("_").map((word) => (ACRONYMS.has(word) ? word.toUpperCase() : word));
  const [first = "", ...rest] = words;
  return [first.charAt(0).toUpperCase() + first.slice(1), ...rest].join(" ");
}

/**
 * A wide table's own horizontal scroll box (the page never scrolls sideways at phone width),
 * reachable by keyboard so its hidden columns can be scrolled to (axe: scrollable-region-focusable).
 */
export function Scroll({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-wrap" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}
