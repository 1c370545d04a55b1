// Types of wasmgate-guest/auth (src/auth.js), for editors and `tsc --noEmit` of a policy.

type Awaitable<T> = T | PromiseLike<T>;

/** The normalised user an `on` handler receives (custom fields included). */
export interface BaseUser {
  identity: string;
  display_name: string;
  is_authenticated: boolean;
  permissions: string[];
  /** `"StudioUser"` for LangGraph Studio's user. */
  kind?: string;
  [field: string]: unknown;
}

/** What `authenticate` may return: an identity, or a user object with custom fields. */
export type AuthenticateResult =
  | string
  | {
      identity: string;
      display_name?: string | null;
      is_authenticated?: boolean | null;
      permissions?: string[];
      [field: string]: unknown;
    };

/** The argument of an `on` handler. */
export interface AuthEvent<Value = Record<string, any>> {
  /** `resource:action`, e.g. `threads:create`. */
  event: string;
  resource: string;
  action: string;
  /** The action's value; edit it in place to change the action. */
  value: Value;
  permissions: string[];
  user: BaseUser;
}

/** A filter on the resource's metadata: equality, `$eq`, `$contains`, `$or`, `$and`. */
export type Filter = Record<string, unknown>;

/** `"*"`, `"threads"`, `"*:create"`, `"threads:create"`, or an array of them. */
export type EventName = string;

export declare class Auth {
  authenticate(callback: (request: Request) => Awaitable<AuthenticateResult>): this;
  on(
    event: EventName | EventName[],
    callback: (event: AuthEvent) => Awaitable<void | undefined | null | boolean | Filter>,
  ): this;
}

export declare class HTTPException extends Error {
  constructor(
    status?: number,
    options?: { message?: string; headers?: HeadersInit | Record<string, string>; cause?: unknown },
  );
  status: number;
  headers: HeadersInit | Record<string, string>;
  readonly detail: string;
}

export declare function isStudioUser(user: unknown): boolean;

export declare class SettingError extends Error {
  setting: string;
}

export declare const settings: {
  get(name: string): string | undefined;
  json(name: string): unknown;
  all(): [string, string][];
};

export declare function parseUser(value: unknown): BaseUser;
