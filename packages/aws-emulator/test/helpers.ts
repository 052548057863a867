import { IAMClient } from '@aws-sdk/client-iam';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STSClient } from '@aws-sdk/client-sts';
import { afterEach } from 'vitest';
import { type Emulator, type EmulatorOptions, startEmulator } from '../src/index.ts';

const started: Emulator[] = [];

// Every emulator a test starts is stopped after it, passed or failed.
afterEach(async () => {
  await Promise.all(started.splice(0).map((e) => e.stop()));
});

/** An emulator on an ephemeral loopback port, stopped after the test. */
export async function openEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const emulator = await startEmulator(options);
  started.push(emulator);
  return emulator;
}

type Credentials = { accessKeyId: string; secretAccessKey: string };

/** Real SDK clients for an emulator; no SDK retries, so that every injected fault is seen as such. */
export function clientsFor(
  emulator: Emulator,
  credentials: Credentials = { accessKeyId: 'test', secretAccessKey: 'test' },
) {
  const config = { region: emulator.region, endpoint: emulator.endpoint, maxAttempts: 1, credentials };
  return {
    iam: new IAMClient(config),
    sm: new SecretsManagerClient(config),
    sts: new STSClient(config),
  };
}

/** An emulator and its clients, stopped after the test. */
export async function emulatorWithClients(options: EmulatorOptions = {}) {
  const emulator = await openEmulator(options);
  return { emulator, ...clientsFor(emulator) };
}

export interface CaughtAwsError {
  code: string;
  status: number;
  message: string;
}

/** The AWS error an SDK call rejected with: its wire code, HTTP status and message. */
export async function awsError(promise: Promise<unknown>): Promise<CaughtAwsError> {
  try {
    await promise;
  } catch (error) {
    const e = error as {
      Code?: string;
      name: string;
      message: string;
      $metadata?: { httpStatusCode?: number };
    };
    return { code: e.Code ?? e.name, status: e.$metadata?.httpStatusCode ?? 0, message: e.message };
  }
  throw new Error('expected the call to fail');
}

/** A raw awsQuery POST, optionally signed-looking for a service (the emulator reads only the scope). */
export function queryCall(
  emulator: Emulator,
  params: Record<string, string>,
  scope?: { service: string; accessKeyId?: string },
): Promise<Response> {
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
  };
  if (scope) {
    headers.authorization = `AWS4-HMAC-SHA256 Credential=${scope.accessKeyId ?? 'test'}/20260101/us-east-1/${scope.service}/aws4_request, SignedHeaders=host, Signature=00`;
  }
  return fetch(emulator.endpoint, { method: 'POST', headers, body: new URLSearchParams(params).toString() });
}

/** A raw JSON call by X-Amz-Target. */
export function jsonCall(emulator: Emulator, target: string, body: string): Promise<Response> {
  return fetch(emulator.endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target },
    body,
  });
}

/** A control endpoint, as JSON. */
export async function controlCall(
  emulator: Emulator,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${emulator.endpoint}/_emulator/${path}`, {
    method,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: response.status, json: await response.json() };
}
