import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** A REST API on loopback for http_request to call (it answers `{"items":[1,2]}`); `hits` says which calls ran. */
export async function startItemsApi(): Promise<{ env: Record<string, string>; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const api = createServer((req, res) => {
    hits.push(req.url ?? "");
    res.writeHead(200, { "content-type": "application/json" }).end('{"items":[1,2]}');
  });
  await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
  const { port } = api.address() as AddressInfo;
  return {
    /** The app's settings that name it `loop`. */
    env: { HTTP_APIS: JSON.stringify([{ name: "loop", baseUrl: `http://127.0.0.1:${port}/v1` }]), HTTP_ALLOWED_HOSTS: "127.0.0.1" },
    hits,
    close: () => new Promise<void>((resolve) => api.close(() => resolve())),
  };
}
