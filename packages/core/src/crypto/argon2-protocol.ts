import type { Options } from '@node-rs/argon2';

/** Messages between argon2-threads.ts and argon2-worker.ts (types only: nothing here runs). */
export interface Argon2WorkerData {
  readonly options: Options;
}

export type Argon2Job =
  | { readonly id: number; readonly op: 'hash'; readonly password: string }
  | { readonly id: number; readonly op: 'verify'; readonly hash: string; readonly password: string };

export type Argon2Reply =
  | { readonly ready: true; readonly reniced: boolean; readonly idleClass: boolean }
  | { readonly id: number; readonly ok: true; readonly value: string | boolean }
  | { readonly id: number; readonly ok: false; readonly message: string };
