import type { Server } from 'node:http';

/**
 * The local stack's DynamoDB: dynalite (a third-party implementation of the DynamoDB API on LevelDB),
 * in memory unless given a directory, on an ephemeral loopback port. The ledger reaches it through
 * `@aws-sdk/client-dynamodb` like the real service (AWS_ENDPOINT_URL_DYNAMODB in `onboard serve`'s
 * exports). Loaded only when a stack starts: `--help` and the Lambdas never import it.
 */

export interface LocalDynamoDb {
  endpoint: string;
  /** In memory, so empty: no table to look for. */
  fresh: boolean;
  stop(): Promise<void>;
}

export async function startLocalDynamoDb(
  options: { host?: string; port?: number; path?: string } = {},
): Promise<LocalDynamoDb> {
  const { default: dynalite } = await import('dynalite');
  // Tables are ACTIVE at once: nothing here waits out a simulated creation.
  const server: Server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.path ? { path: options.path } : {}),
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://${host}:${port}`,
    fresh: !options.path,
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}
