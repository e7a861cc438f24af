/** A JSON body of exactly `bytes` bytes, and the argument parsing the two bare baseline servers share. */
export function staticBody(bytes: number): Buffer {
  const shell = '{"value":""}';
  return Buffer.from(`{"value":"${"x".repeat(Math.max(0, bytes - shell.length))}"}`, "utf8");
}

export function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}

export const JSON_HEADERS = (body: Buffer) => ({ "content-type": "application/json; charset=utf-8", "content-length": body.length });
