/**
 * Headless Chromium (Debian's `/usr/bin/chromium`) driven through the
 * DevTools protocol over its WebSocket, with nothing but Deno: start it,
 * open pages, send commands, read events (network requests, console
 * messages, dialogs), evaluate script, press keys, move the mouse, take
 * screenshots and print to PDF.
 *
 * @module
 */

/** Where Debian installs Chromium. */
export const CHROMIUM = "/usr/bin/chromium";

/** Why the browser tests cannot run here, or undefined when they can. */
export function chromiumMissing(): string | undefined {
  try {
    if (Deno.statSync(CHROMIUM).isFile) return undefined;
  } catch {
    // reported below
  }
  return `${CHROMIUM} is missing (apt-get install chromium)`;
}

/** A DevTools protocol event. */
export interface CdpEvent {
  method: string;
  // deno-lint-ignore no-explicit-any
  params: any;
  sessionId?: string;
}

interface Pending {
  // deno-lint-ignore no-explicit-any
  resolve(value: any): void;
  reject(error: Error): void;
  method: string;
}

/** A running headless Chromium. */
export class Browser {
  #child: Deno.ChildProcess;
  #socket: WebSocket;
  #profile: string;
  #next = 0;
  #pending = new Map<number, Pending>();
  /** Every event received, in order. */
  readonly events: CdpEvent[] = [];

  private constructor(
    child: Deno.ChildProcess,
    socket: WebSocket,
    profile: string,
  ) {
    this.#child = child;
    this.#socket = socket;
    this.#profile = profile;
    socket.onmessage = (message) => {
      const data = JSON.parse(String(message.data));
      if (typeof data.id === "number") {
        const pending = this.#pending.get(data.id);
        this.#pending.delete(data.id);
        if (data.error !== undefined) {
          pending?.reject(
            new Error(`${pending.method}: ${JSON.stringify(data.error)}`),
          );
        } else {
          pending?.resolve(data.result);
        }
      } else {
        this.events.push(data as CdpEvent);
      }
    };
  }

  /** Start Chromium with a new profile, and connect to it. */
  static async launch(): Promise<Browser> {
    const profile = await Deno.makeTempDir({ prefix: "tcpcraft-chromium-" });
    const child = new Deno.Command(CHROMIUM, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--hide-scrollbars",
        "--font-render-hinting=none",
        `--user-data-dir=${profile}`,
        "--remote-debugging-port=0",
        "about:blank",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
      env: { HOME: profile },
    }).spawn();
    const reader = child.stderr.pipeThrough(new TextDecoderStream())
      .getReader();
    let seen = "";
    let url: string | undefined;
    const deadline = setTimeout(() => child.kill("SIGKILL"), 30000);
    while (url === undefined) {
      const { value, done } = await reader.read();
      if (done) {
        clearTimeout(deadline);
        throw new Error(`chromium exited before listening:\n${seen}`);
      }
      seen += value;
      url = /DevTools listening on (ws:\/\/\S+)/.exec(seen)?.[1];
    }
    clearTimeout(deadline);
    // Keep reading so that Chromium never blocks on a full pipe.
    (async () => {
      try {
        while (!(await reader.read()).done) { /* drain */ }
      } catch {
        // closed
      }
    })();
    const socket = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      socket.onopen = () => resolve();
      socket.onerror = () => reject(new Error(`cannot connect to ${url}`));
    });
    return new Browser(child, socket, profile);
  }

  /** Send a command (to a page's session when given) and wait for its result. */
  // deno-lint-ignore no-explicit-any
  send(method: string, params: object = {}, sessionId?: string): Promise<any> {
    const id = ++this.#next;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, method });
      this.#socket.send(JSON.stringify({ id, method, params, sessionId }));
    });
  }

  /** Open a new page (tab). */
  async newPage(): Promise<Page> {
    const { targetId } = await this.send("Target.createTarget", {
      url: "about:blank",
    });
    const { sessionId } = await this.send("Target.attachToTarget", {
      targetId,
      flatten: true,
    });
    const page = new Page(this, sessionId);
    await page.send("Page.enable");
    await page.send("Runtime.enable");
    return page;
  }

  /** Stop Chromium and remove its profile. */
  async close(): Promise<void> {
    for (const pending of this.#pending.values()) {
      pending.reject(new Error("the browser closed"));
    }
    this.#pending.clear();
    try {
      this.#socket.close();
    } catch {
      // already closed
    }
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await this.#child.status;
    await Deno.remove(this.#profile, { recursive: true }).catch(() => {});
  }
}

/** A page (a tab) of the browser. */
export class Page {
  readonly browser: Browser;
  readonly sessionId: string;

  constructor(browser: Browser, sessionId: string) {
    this.browser = browser;
    this.sessionId = sessionId;
  }

  /** Send a command to this page. */
  // deno-lint-ignore no-explicit-any
  send(method: string, params: object = {}): Promise<any> {
    return this.browser.send(method, params, this.sessionId);
  }

  /** This page's events so far, of one method. */
  events(method: string): CdpEvent[] {
    return this.browser.events.filter((e) =>
      e.sessionId === this.sessionId && e.method === method
    );
  }

  /** Load a URL and wait for its load event. */
  async goto(url: string): Promise<void> {
    const before = this.events("Page.loadEventFired").length;
    await this.send("Page.navigate", { url });
    await this.waitUntil(() =>
      this.events("Page.loadEventFired").length > before
    );
  }

  /** Wait until a condition holds (checked every 20 ms). */
  async waitUntil(condition: () => boolean, ms = 15000): Promise<void> {
    const end = Date.now() + ms;
    while (!condition()) {
      if (Date.now() > end) throw new Error("timed out waiting");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Evaluate an expression in the page and return its value (awaited). */
  // deno-lint-ignore no-explicit-any
  async evaluate<T = any>(expression: string): Promise<T> {
    const result = await this.send("Runtime.evaluate", {
      expression,
      returnByValue: true,
      awaitPromise: true,
    });
    if (result.exceptionDetails !== undefined) {
      throw new Error(
        `in the page: ${
          result.exceptionDetails.exception?.description ??
            result.exceptionDetails.text
        }`,
      );
    }
    return result.result.value as T;
  }

  /** Wait until an expression is truthy in the page, and return its value. */
  // deno-lint-ignore no-explicit-any
  async waitFor<T = any>(expression: string, ms = 15000): Promise<T> {
    const end = Date.now() + ms;
    while (true) {
      const value = await this.evaluate<T>(expression);
      if (value) return value;
      if (Date.now() > end) {
        throw new Error(`timed out waiting for ${expression}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Press a key (`Tab`, `ArrowDown`, `Enter`), with Shift when asked. */
  async press(key: string, options: { shift?: boolean } = {}): Promise<void> {
    const codes: Record<string, number> = {
      Tab: 9,
      Enter: 13,
      ArrowLeft: 37,
      ArrowUp: 38,
      ArrowRight: 39,
      ArrowDown: 40,
      Home: 36,
      End: 35,
      PageUp: 33,
      PageDown: 34,
    };
    const base = {
      key,
      code: key,
      windowsVirtualKeyCode: codes[key] ?? 0,
      modifiers: options.shift ? 8 : 0,
    };
    await this.send("Input.dispatchKeyEvent", {
      type: "rawKeyDown",
      ...base,
      ...(key === "Enter" ? { text: "\r" } : {}),
    });
    if (key === "Enter") {
      await this.send("Input.dispatchKeyEvent", {
        type: "char",
        ...base,
        text: "\r",
      });
    }
    await this.send("Input.dispatchKeyEvent", { type: "keyUp", ...base });
  }

  /** Move the mouse to the middle of the first element a selector finds. */
  async hover(selector: string): Promise<void> {
    const box = await this.evaluate<{ x: number; y: number } | null>(`(() => {
      const e = document.querySelector(${JSON.stringify(selector)});
      if (!e) return null;
      e.scrollIntoView({ block: "center" });
      const r = e.getBoundingClientRect();
      return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
    })()`);
    if (box === null) throw new Error(`nothing matches ${selector}`);
    await this.send("Input.dispatchMouseEvent", {
      type: "mouseMoved",
      x: box.x,
      y: box.y,
    });
  }

  /** A PNG screenshot of the page (the whole page when `full`). */
  async screenshot(full = false): Promise<Uint8Array> {
    const { data } = await this.send("Page.captureScreenshot", {
      format: "png",
      captureBeyondViewport: full,
      ...(full ? await this.#fullClip() : {}),
    });
    return Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  }

  async #fullClip(): Promise<object> {
    const { cssContentSize } = await this.send("Page.getLayoutMetrics");
    return {
      clip: {
        x: 0,
        y: 0,
        width: cssContentSize.width,
        height: cssContentSize.height,
        scale: 1,
      },
    };
  }

  /** Print to PDF (A4 as the page's CSS asks). */
  async pdf(): Promise<Uint8Array> {
    const { data } = await this.send("Page.printToPDF", {
      preferCSSPageSize: true,
      printBackground: true,
    });
    return Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  }
}

/**
 * The number of pages of a PDF, from its page tree's root (`/Type /Pages`
 * with `/Count N` and no `/Parent`), as Chromium writes it.
 *
 * @param pdf The PDF.
 * @returns The page count.
 */
export function pdfPageCount(pdf: Uint8Array): number {
  const text = new TextDecoder("latin1").decode(pdf);
  const counts: number[] = [];
  for (const match of text.matchAll(/<<([^]*?)>>/g)) {
    const dict = match[1]!;
    if (!/\/Type\s*\/Pages\b/.test(dict) || /\/Parent\b/.test(dict)) continue;
    const count = /\/Count\s+(\d+)/.exec(dict);
    if (count !== null) counts.push(Number(count[1]));
  }
  if (counts.length !== 1) {
    throw new Error(`expected one page tree root, found ${counts.length}`);
  }
  return counts[0]!;
}
