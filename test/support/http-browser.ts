/**
 * Plays a browser over plain HTTP for the connect-flow tests: follows redirects, keeps cookies per
 * host and path (ports share cookies, as in real browsers), and submits HTML forms. Pages that
 * need a script engine (the Connect UI) are tested in Chromium instead.
 */

export interface Page {
  url: string;
  status: number;
  headers: Headers;
  html: string;
}

interface Cookie {
  value: string;
  path: string;
}

export class HttpBrowser {
  private readonly jar = new Map<string, Map<string, Cookie>>();
  /** Every URL requested, in order (redirect hops included). */
  readonly visited: string[] = [];

  /** GET `url` and follow redirects; stops early (without requesting it) at a URL `stopAt` accepts. */
  async open(url: string, stopAt?: (url: URL) => boolean): Promise<Page> {
    return this.follow(new Request(url), stopAt);
  }

  /** Submits the form of `page` whose action contains `action`, with `fields`, following redirects. */
  async submit(page: Page, action: string, fields: Record<string, string> = {}, stopAt?: (url: URL) => boolean): Promise<Page> {
    const forms = [...page.html.matchAll(/<form[^>]*action="([^"]*)"[^>]*>/g)];
    const form = forms.find((m) => m[1].includes(action));
    if (!form) throw new Error(`No form with action ${action} on ${page.url}: ${page.html.slice(0, 300)}`);
    const target = new URL(form[1].replace(/&amp;/g, '&'), page.url);
    return this.follow(
      new Request(target, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() }),
      stopAt,
    );
  }

  /** The cookies this browser would send to `url`. */
  cookiesFor(url: string): Map<string, string> {
    const target = new URL(url);
    const out = new Map<string, string>();
    for (const [name, cookie] of this.jar.get(target.hostname) ?? []) {
      if (target.pathname.startsWith(cookie.path)) out.set(name, cookie.value);
    }
    return out;
  }

  clearCookies(): void {
    this.jar.clear();
  }

  private async follow(first: Request, stopAt?: (url: URL) => boolean): Promise<Page> {
    let request = first;
    for (let hop = 0; hop < 20; hop += 1) {
      this.visited.push(request.url);
      const cookie = [...this.cookiesFor(request.url)].map(([n, v]) => `${n}=${v}`).join('; ');
      const headers = new Headers(request.headers);
      if (cookie) headers.set('cookie', cookie);
      const res = await fetch(request.url, { method: request.method, headers, body: request.method === 'GET' ? undefined : await request.text(), redirect: 'manual' });
      this.store(request.url, res.headers.getSetCookie());
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.arrayBuffer();
        const next = new URL(location, request.url);
        if (stopAt?.(next)) return { url: next.href, status: res.status, headers: res.headers, html: '' };
        request = new Request(next);
        continue;
      }
      return { url: request.url, status: res.status, headers: res.headers, html: await res.text() };
    }
    throw new Error('Too many redirects');
  }

  private store(url: string, setCookies: string[]): void {
    const { hostname } = new URL(url);
    const cookies = this.jar.get(hostname) ?? new Map<string, Cookie>();
    for (const line of setCookies) {
      const [pair, ...attributes] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const path = attributes.find((a) => /^path=/i.test(a))?.slice(5) ?? '/';
      const expired = attributes.some((a) => /^max-age=0$/i.test(a)) || value === '';
      if (expired) cookies.delete(name);
      else cookies.set(name, { value, path });
    }
    this.jar.set(hostname, cookies);
  }
}
