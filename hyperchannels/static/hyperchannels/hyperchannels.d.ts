// Type declarations of the hyperchannels browser client (src/hyperchannels.js).

export type ConnectionState = "connecting" | "open" | "reconnecting" | "closed";
export type Swap = "inner" | "outer" | "before" | "after" | "prepend" | "append" | "delete" | "none";
export type ErrorKind = "network" | "timeout" | "server" | "client" | "cancelled";

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
}

export interface ConnectOptions {
  /** A missing patch target rejects the invocation (default false: the patch is skipped). */
  strictTargets?: boolean;
  /** Frames larger than this are refused before sending (status 413). Default 1 MiB. */
  maxFrameBytes?: number;
  /** Reconnect backoff: first delay and cap, in ms (defaults 1000 and 30000). */
  reconnectMin?: number;
  reconnectMax?: number;
  /** When false, this socket does not serve `hyper-action` elements and `$action`. */
  declarative?: boolean;
}

export interface Outcome {
  event: "end" | "redirect";
  data: Record<string, unknown>;
}

export declare class HyperError extends Error {
  /** 0: the network failed (or timed out); otherwise the application's status. */
  status: number;
  kind: ErrorKind;
  id: string | null;
  readonly network: boolean;
}

export declare class HyperSocket {
  readonly url: string;
  readonly state: ConnectionState;
  action(name: string, data?: Record<string, unknown>, options?: ActionOptions): Promise<Outcome>;
  subscribe(token: string): Promise<Outcome>;
  unsubscribe(token: string): Promise<Outcome>;
  close(): void;
}

export declare function connect(url: string, options?: ConnectOptions): HyperSocket;

export declare function alpinePlugin(Alpine: unknown): void;

export declare const PROTOCOL: {
  events: Record<string, string>;
  terminal: string[];
  swaps: Swap[];
  statuses: Record<string, number>;
  windowEvents: Record<string, string>;
  defaults: { swap: Swap; focus: string; reconnect_min_ms: number; reconnect_max_ms: number };
  idMaxLength: number;
};

declare global {
  interface WindowEventMap {
    "hyper:event": CustomEvent<{ id: string | null; event: string; data: Record<string, unknown> }>;
    "hyper:requestError": CustomEvent<{ id: string | null; status: number; message: string; kind: ErrorKind }>;
    "hyper:toast": CustomEvent<{ value: unknown; id: string | null }>;
    "hyper:signals": CustomEvent<Record<string, unknown>>;
    "hyper:connected": CustomEvent<{ url: string }>;
    "hyper:disconnected": CustomEvent<{ url: string }>;
    "hyper:reconnecting": CustomEvent<{ attempt: number; delay: number }>;
  }
}
