// A password or other credential held in the configuration. Its value is kept in a private field
// and only `reveal()` hands it out, so printing, logging (pino serializes with JSON.stringify),
// util.inspect or a template string of the config shows "[redacted]" instead of the secret.

import { inspect } from 'node:util';

export const REDACTED = '[redacted]';

export class Secret {
  readonly #value: string;
  /**
   * The file the value was read from, if any. Child processes are pointed at the same file rather
   * than given the value, so a secret that was kept out of the environment stays out of it.
   */
  readonly file: string | undefined;

  constructor(value: string, file?: string) {
    this.#value = value;
    this.file = file;
  }

  /** The secret itself: for the client library that sends it, never for a message or a log. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return `Secret(${REDACTED})`;
  }
}
