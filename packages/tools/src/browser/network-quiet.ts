/**
 * When a page has gone quiet: no request of its in flight, and none started or ended for a short
 * window. Playwright's `networkidle` load state fires once per document, so after a click that
 * runs a script (a form sent by `fetch`, content loaded on demand) it is already reached and
 * says nothing about the request the click just started: the tool then reported, and the model
 * read, the page before the answer came. This counts the page's requests itself.
 */
import type { Page } from 'playwright-core';

/** No request for this long, none in flight: quiet (Playwright's own networkidle window). */
const QUIET_MS = 500;
const POLL_MS = 50;

export class NetworkActivity {
  private inFlight = new Set<unknown>();
  private lastChange = Date.now();

  constructor(page: Page) {
    page.on('request', (request) => this.change(() => this.inFlight.add(request)));
    page.on('requestfinished', (request) => this.change(() => this.inFlight.delete(request)));
    page.on('requestfailed', (request) => this.change(() => this.inFlight.delete(request)));
    // A new document drops the old one's requests without an event for each.
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) this.change(() => this.inFlight.clear());
    });
  }

  private change(apply: () => void): void {
    apply();
    this.lastChange = Date.now();
  }

  /**
   * Resolves once nothing has been in flight for QUIET_MS, counted from now at the earliest (a
   * request the action's script starts reaches us a moment after the action returns), or after
   * `capMs` whatever the page does (a page that polls or streams is never quiet).
   */
  async quiet(capMs: number): Promise<void> {
    const start = Date.now();
    this.lastChange = Math.max(this.lastChange, start);
    while (Date.now() - start < capMs) {
      if (this.inFlight.size === 0 && Date.now() - this.lastChange >= QUIET_MS) return;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
}
