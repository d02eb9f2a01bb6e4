// One status line that updates in place on a terminal (with a spinner and elapsed time) and
// degrades to plain, de-duplicated lines when output is piped to a file or CI log.

import { Writable } from 'node:stream';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export class LiveLine {
  readonly #out: NodeJS.WriteStream;
  readonly #tty: boolean;
  readonly #started = Date.now();
  #text = '';
  #frame = 0;
  #timer: NodeJS.Timeout | undefined;
  #lastPlain = '';

  /** `quiet`: piped output gets no step lines (they would only repeat what the logs say). */
  readonly #quiet: boolean;

  constructor(out: NodeJS.WriteStream = process.stderr, options: { quiet?: boolean } = {}) {
    this.#out = out;
    this.#tty = out.isTTY === true;
    this.#quiet = options.quiet === true;
    if (this.#tty) {
      this.#timer = setInterval(() => this.#draw(), 100);
      this.#timer.unref();
    }
  }

  update(text: string): void {
    this.#text = text;
    if (this.#tty) this.#draw();
    else if (this.#quiet) return;
    else if (text.replace(/\(\d+\.\ds\)/, '') !== this.#lastPlain) {
      // Piped output: one line per distinct step, without the ticking seconds.
      this.#lastPlain = text.replace(/\(\d+\.\ds\)/, '');
      this.#out.write(`… ${text}\n`);
    }
  }

  /** Writes text above the live line (log lines), which is redrawn below it. */
  print(text: string): void {
    if (this.#tty && this.#timer) {
      this.#out.write(`\r\x1b[K${text}`);
      this.#draw();
    } else {
      this.#out.write(text);
    }
  }

  /** A stream for loggers: everything written to it is printed above the live line. */
  stream(): NodeJS.WritableStream {
    return new Writable({
      write: (chunk: Buffer | string, _encoding, done) => {
        this.print(String(chunk));
        done();
      },
    });
  }

  /** Ends the live line, leaving `finalText` (if any) as a normal line. */
  done(finalText?: string): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#tty) this.#out.write('\r\x1b[K');
    if (finalText) this.#out.write(`${finalText}\n`);
  }

  #draw(): void {
    const elapsed = ((Date.now() - this.#started) / 1000).toFixed(1);
    this.#frame = (this.#frame + 1) % FRAMES.length;
    this.#out.write(`\r\x1b[K${FRAMES[this.#frame]} ${this.#text} [${elapsed}s]`);
  }
}
