import type { KeylessApi } from './keyless-api.js';
import type { KubeSession } from './kube-session.js';
import type { CliOptions } from './options.js';
import type { Style } from './render/style.js';

/** What every command gets: its options, the user's connection, where to write, and the time. */
export interface CommandContext {
  options: CliOptions;
  session: KubeSession;
  api: KeylessApi;
  style: Style;
  /** Milliseconds since the epoch. */
  now(): number;
  /** The command's result (a table, text, JSON or YAML). */
  stdout(text: string): void;
  /** Notes beside the result: what RBAC kept out, what to try next. */
  stderr(text: string): void;
}
