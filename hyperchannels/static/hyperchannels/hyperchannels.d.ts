// Type declarations of the hyperchannels browser client (hyperchannels.js and the modules beside it).
// The protocol's names and their unions come from protocol.d.ts, generated from protocol.json.
import type { ConnectionState, EventName, WindowEventNames } from "./protocol.js";

export type {
  AttributeName, ClassName, ConnectionState, ErrorName, EventName, Focus, FrameType, Swap, SwapAlias,
  TerminalEvent, WindowEventName, WindowEventNames,
} from "./protocol.js";
export { PROTOCOL } from "./protocol.js";

export type ErrorKind = "network" | "timeout" | "server" | "client" | "cancelled";

export type SyncMode = "replace" | "block" | "none";

/** Where a page stands in a group: the last `seq` it applied, within the history named `epoch`. */
export interface Position {
  seq: number;
  epoch: string;
}

/** Group name -> the page's position in it (what `{% hyper_positions %}` renders). */
export type Positions = Record<string, Position>;

export interface ActionOptions {
  /** CSS selector patched by events without a target of their own (and `str`/`dict` returns). */
  target?: string;
  /** The template block a `dict` return renders. */
  block?: string;
  /** The element the action came from: gets `aria-busy`/`hyper-loading`; scope of signals. */
  source?: Element;
  /** Aborting sends `cancel` and rejects with status 499. */
  signal?: AbortSignal;
  /** Milliseconds before the call rejects with status 0 (kind "timeout"); counts while queued. */
  timeout?: number;
  /** Lane policy: "replace" (default; "block" for forms) cancels the lane's running call, "block" drops this one. */
  sync?: SyncMode;
  /** The lane: calls with the same key (default: the action's name and its source element). */
  key?: string;
  /** A form (or its selector) whose fields are sent under `data`; the default sync becomes "block". */
  form?: HTMLFormElement | string;
  /** HyperDjango's name for `source`. */
  sourceEl?: Element;
  /** A missing patch target rejects this call (an event's own `strict_targets` wins over it). */
  strictTargets?: boolean;
}

export interface ConnectOptions {
  /** A missing patch target rejects the invocation (default false: the patch is skipped). */
  strictTargets?: boolean;
  /** Frames larger than this are refused before sending (status 413). Default 1 MiB. */
  maxFrameBytes?: number;
  /** Reconnect backoff: first delay and cap, in ms (defaults 1000 and 30000). */
  reconnectMin?: number;
  reconnectMax?: number;
  /** After close code 1012 (server restarting): the one quick retry comes within this many ms, uniformly jittered, without backoff (default 1000). */
  restartJitter?: number;
  /** When false, this socket does not serve `hyper-action` elements and `$action`. */
  declarative?: boolean;
  /** When false, `inner` and `outer` replace even when the page has a morph library. */
  morph?: boolean;
  /** The positions the page was rendered at: sent in the first `resume`, so nothing broadcast between render and connect is missed. */
  positions?: Positions;
  /** Ms a group's push may wait for an earlier one before that group is resumed (default 1000). */
  gapTimeout?: number;
  /** Ms without a frame before the client sends `ping` (default 25000; 0: no heartbeat). */
  heartbeat?: number;
  /** Ms after that `ping` without a frame before the socket counts as dead and reconnects (default 10000). */
  heartbeatTimeout?: number;
}

export interface Outcome {
  event: "end" | "redirect";
  data: Record<string, unknown>;
}

/**
 * What an action resolves to: its outcome, or that it never ran to its end: replaced by a newer
 * call of its lane (`aborted`), dropped because its lane was busy (`blocked`), or prevented by a
 * `hyper:beforeRequest` listener (`cancelled`).
 */
export type ActionResult = Outcome | { aborted: true } | { blocked: true } | { cancelled: true };

export declare class HyperError extends Error {
  constructor(status: number, message: string, kind: ErrorKind, id?: string | null);
  /** 0: the network failed (or timed out, or a frame was unreadable); else the application's status. */
  status: number;
  kind: ErrorKind;
  id: string | null;
  readonly network: boolean;
}

/** One key present in a group (a user, or an anonymous socket) and its metas (one per tab). */
export interface Present {
  key: string;
  metas: Record<string, unknown>[];
}

/** `hyper:presence`: `joins` and `leaves` are the keys that joined or left. */
export interface PresenceDetail {
  group: string;
  list: Present[];
  joins: string[];
  leaves: string[];
}

/** Who is in one group; `onChange` returns a function that stops the callback. */
export interface GroupPresence {
  readonly group: string;
  list(): Present[];
  onChange(callback: (list: Present[], change: { joins: string[]; leaves: string[] }) => void): () => void;
}

export declare class HyperSocket {
  constructor(url: string, options?: ConnectOptions);
  readonly url: string;
  readonly state: ConnectionState;
  action(name: string, data?: Record<string, unknown>, options?: ActionOptions): Promise<ActionResult>;
  subscribe(token: string): Promise<Outcome>;
  unsubscribe(token: string): Promise<Outcome>;
  /** The page's position in each group it has applied pushes of (a copy). */
  positions(): Positions;
  /** Who is in `group` (docs/presence.md): filled by the server's `presence_state` and `presence_diff`. */
  presence(group: string): GroupPresence;
  close(): void;
}

export declare function connect(url: string, options?: ConnectOptions): HyperSocket;

/** The action of the socket `connect()` made (HyperDjango's global `action`); rejects without one. */
export declare function action(
  name: string, data?: Record<string, unknown>, options?: ActionOptions,
): Promise<ActionResult>;

export declare function alpinePlugin(Alpine: unknown): void;

/** `hyper:requestError`: an invocation's failure carries its action `name` and `source` element. */
export interface RequestErrorDetail {
  id: string | null;
  status: number;
  message: string;
  kind: ErrorKind;
  /** The action's name (undefined for subscribe/unsubscribe); absent for failures no invocation owns. */
  name?: string;
  /** The invocation's `source` element, or null; absent for failures no invocation owns. */
  source?: Element | null;
}

/** `hyper:swap:start`, `hyper:swap:end`, `hyper:settle:end`, dispatched on the patch's target. */
export interface SwapDetail {
  /** The patch's target selector. */
  target: string;
  swap: string;
  /** The invocation's id; null for a push. */
  id: string | null;
}

/** What every request lifecycle event says of its action. */
export interface RequestDetail {
  id: string;
  name: string;
  /** HyperDjango's name for `name`. */
  action: string;
  key: string;
  source: Element | null;
}

/** `hyper:afterRequest` and `hyper:request:end`: 200 when it succeeded, else the error's status. */
export interface RequestEndDetail extends RequestDetail {
  ok: boolean;
  status: number;
  /** True when a newer call of its lane replaced it. */
  aborted?: boolean;
}

/** The `detail` of each window event the client dispatches, by its key in protocol.json. */
export interface WindowEventDetails {
  event: { id: string | null; event: EventName; data: Record<string, unknown> };
  request_error: RequestErrorDetail;
  /** The toast's data: a `Toast(dict)`'s dict itself, else `{value}`. */
  toast: Record<string, unknown>;
  signals: Record<string, unknown>;
  connected: { url: string };
  disconnected: { url: string };
  reconnecting: { attempt: number; delay: number };
  /** The server closed the socket with a code in 4400-4499 (but 4408): the client stopped for good. */
  closed: { code: number; reason: string };
  before_request: RequestDetail & { data: Record<string, unknown>; mode: SyncMode };
  request_start: RequestDetail;
  request_end: RequestEndDetail;
  after_request: RequestEndDetail;
  request_success: RequestDetail & { status: number };
  request_replaced: RequestDetail & { replacedId: string; mode: SyncMode };
  request_blocked: RequestDetail & { mode: SyncMode };
  request_aborted: RequestDetail & { mode: SyncMode };
  swap_start: SwapDetail;
  swap_end: SwapDetail;
  settle_end: SwapDetail;
  history_restored: { url: string; target: Element };
  /** A group's missed pushes could not be replayed: its `resync` items were applied instead. */
  resync: { group: string };
  /** Who is in a group changed: the whole list, and the keys that joined or left. */
  presence: PresenceDetail;
}

/** Window event name -> CustomEvent, e.g. `"hyper:requestError"` -> `CustomEvent<RequestErrorDetail>`. */
export type HyperWindowEventMap = {
  [K in keyof WindowEventDetails as WindowEventNames[K]]: CustomEvent<WindowEventDetails[K]>;
};

declare global {
  interface WindowEventMap extends HyperWindowEventMap {}
}
