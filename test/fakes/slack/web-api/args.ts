/** A Web API call as the method handlers see it, and the readers they use on its arguments. */

/** Decoded arguments of one Web API call (form values stay strings, JSON-encoded fields are parsed). */
export type SlackArgs = Record<string, unknown>;

export interface RecordedCall {
  method: string;
  /** The arguments, without `token`. */
  args: SlackArgs;
  /** From `Authorization: Bearer ...`, or the `token` form/query field. */
  token: string | undefined;
  /** Date.now() when the request arrived. */
  at: number;
  /** How the body came: the real client sends "form" (or "multipart" for binary uploads). */
  encoding: "form" | "json" | "multipart" | "none";
  /** Set once the fake has answered. */
  status?: number;
  response?: SlackArgs;
  answeredAt?: number;
}

/** Built-in Web API methods by name; each returns the fields of an `ok: true` answer or throws SlackError. */
export type SlackMethods = Record<string, (args: SlackArgs, call: RecordedCall) => SlackArgs>;

/** Thrown by a method handler to answer `{ok: false, error: code, ...extra}`. */
export class SlackError extends Error {
  constructor(
    readonly code: string,
    readonly extra: SlackArgs = {},
  ) {
    super(code);
  }
}

export const str = (args: SlackArgs, name: string): string | undefined => {
  const value = args[name];
  if (value === undefined || value === null || value === "") return undefined;
  return String(value);
};

export const required = (args: SlackArgs, name: string, error: string): string => {
  const value = str(args, name);
  if (value === undefined) throw new SlackError(error);
  return value;
};

export const arr = (args: SlackArgs, name: string): unknown[] | undefined => {
  const value = args[name];
  return Array.isArray(value) ? value : undefined;
};

export function checkLength(text: string, limit: number): void {
  if (text.length > limit) throw new SlackError("msg_too_long");
}
