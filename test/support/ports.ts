import { type AddressInfo, createServer } from "node:net";

/**
 * A loopback port nothing listens on once this resolves: `port` itself when it is free (it
 * rejects otherwise), or one the system picks.
 */
export function freePort(port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const bound = (server.address() as AddressInfo).port;
      server.close(() => resolve(bound));
    });
  });
}
