/** A small keep-alive HTTP(S) client for setup calls (the load itself runs in autocannon child processes). */
import http from "node:http";
import https from "node:https";

export interface HttpReply {
  status: number;
  text: string;
  json<T = unknown>(): T;
}

export class Client {
  private readonly tls: https.Agent;
  private readonly plain = new http.Agent({ keepAlive: true, maxSockets: 64 });

  constructor(ca?: string) {
    this.tls = new https.Agent({ keepAlive: true, maxSockets: 64, ca });
  }

  request(method: string, url: string, options: { headers?: Record<string, string>; body?: string } = {}): Promise<HttpReply> {
    const target = new URL(url);
    const mod = target.protocol === "https:" ? https : http;
    const headers: Record<string, string | number> = { ...options.headers };
    if (options.body !== undefined) headers["content-length"] = Buffer.byteLength(options.body);
    return new Promise((resolve, reject) => {
      const req = mod.request(target, { method, headers, agent: target.protocol === "https:" ? this.tls : this.plain }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({ status: res.statusCode ?? 0, text, json: () => JSON.parse(text) });
        });
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end(options.body);
    });
  }

  /** Like request, but fails unless the status is 2xx. */
  async ok(method: string, url: string, options: { headers?: Record<string, string>; body?: string } = {}): Promise<HttpReply> {
    const reply = await this.request(method, url, options);
    if (reply.status < 200 || reply.status >= 300) throw new Error(`${method} ${url} -> ${reply.status}: ${reply.text.slice(0, 500)}`);
    return reply;
  }

  close(): void {
    this.tls.destroy();
    this.plain.destroy();
  }
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` in flight. */
export async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}
