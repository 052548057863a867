import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { GetUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import rawConfig from '../../config/onboarding.json' with { type: 'json' };
import { signatureHeader } from '../../src/api/auth.ts';
import { parseOnboardingConfig } from '../../src/config.ts';
import type { ExecutionOutcome } from '../../src/execution/outcome.ts';
import type { Serve } from '../../src/local/serve.ts';
import { TEST_HIRE_RECIPIENT } from '../fixtures/hire-key.ts';

export const config = parseOnboardingConfig(rawConfig, 'config/onboarding.json');

/** A valid request; a `contact` given in `over` keeps the test hire's recipient unless it names one. */
export const request = (over: Record<string, unknown> = {}) => ({
  requestId: 'HR-500',
  userName: 'katherine',
  // Console sign-in and an access key in the member's own secret: every credential step runs.
  profile: 'data-engineers',
  policyArns: ['arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess'],
  ...over,
  contact: { recipient: TEST_HIRE_RECIPIENT, ...((over.contact as object | undefined) ?? {}) },
});

export function post(
  serve: Serve,
  body: string,
  headers: Record<string, string> = {},
  path = '/onboardings',
) {
  return fetch(`${serve.apiUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
}

export const signed = (serve: Serve, body: string, now?: number, path = '/onboardings', method = 'POST') => ({
  'x-onboarding-signature': signatureHeader(serve.secrets.webhookSecret, { method, path, body }, now),
});

export const bearer = (serve: Serve) => ({ authorization: `Bearer ${serve.secrets.apiToken}` });

/** GET /onboardings/{id} once the local Step Functions API says the execution ended (no polling). */
export async function finalStatus(
  serve: Serve,
  requestId: string,
  /** The execution to wait for: a re-run's is `<requestId>-<attempt>`. */
  executionName = requestId,
): Promise<ExecutionOutcome> {
  await serve.sfn.waitFor(
    `${serve.stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName}`,
  );
  const response = await fetch(`${serve.apiUrl}/onboardings/${requestId}`, { headers: bearer(serve) });
  if (response.status !== 200)
    throw new Error(`status answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as ExecutionOutcome;
}

export function sfnOf(serve: Serve): SFNClient {
  return new SFNClient({
    region: 'us-east-1',
    endpoint: serve.awsEndpoint,
    // The emulator's own key (what `onboard serve` exports): the operator's, whose calls are not evaluated.
    credentials: { accessKeyId: 'local-emulator', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
}

export async function executionCount(serve: Serve): Promise<number> {
  const sfn = sfnOf(serve);
  try {
    const out = await sfn.send(new ListExecutionsCommand({ stateMachineArn: serve.stateMachineArn }));
    return out.executions?.length ?? 0;
  } finally {
    sfn.destroy();
  }
}

export async function userExists(serve: Serve, userName: string): Promise<boolean> {
  // As the operator (the emulator's own key): serve evaluates every other caller's policies.
  const iam = new IAMClient({
    region: 'us-east-1',
    endpoint: serve.awsEndpoint,
    credentials: { accessKeyId: 'local-emulator', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  try {
    await iam.send(new GetUserCommand({ UserName: userName }));
    return true;
  } catch (error) {
    if ((error as Error).name.startsWith('NoSuchEntity')) return false;
    throw error;
  } finally {
    iam.destroy();
  }
}

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A ticketing tool's callback endpoint on loopback, recording what it receives. */
export async function callbackReceiver(status = 204): Promise<{
  url: (host?: string) => string;
  received: Received[];
  close: () => Promise<void>;
}> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: (host = '127.0.0.1') => `http://${host}:${port}/hooks/onboarding`,
    received,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
