import { BatchWriteItemCommand, DescribeTableCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { IAMClient } from '@aws-sdk/client-iam';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Emulator, EmulatorState, FaultSpec } from '@iam-onboarding/aws-emulator';
import rawConfig from '../../config/onboarding.json' with { type: 'json' };
import { parseOnboardingConfig } from '../../src/config.ts';
import { forgetStepFunctions, runLocalOnboarding } from '../../src/local/onboarding.ts';
import type { LambdaFault, LocalRunnerOptions, TimelineEvent } from '../../src/local/runner.ts';
import { type OpenStackOptions, openStack, type Stack, type StackTiming } from '../../src/local/stack.ts';
import { validateRequest } from '../../src/request.ts';

export const config = parseOnboardingConfig(rawConfig, 'config/onboarding.json');

/** Tests wait 1 ms where the SDK would back off and where a step polls: same attempts, no sleeping. */
export const TEST_TIMING: StackTiming = { sdkRetryDelayMs: 1, pollDelayMs: 1 };

/** A fresh embedded stack, whatever the test process's environment says. */
export function openTestStack(options: Partial<OpenStackOptions> = {}): Promise<Stack> {
  return openStack({
    config,
    env: { AWS_REGION: 'us-east-1' },
    timing: TEST_TIMING,
    operators: ['test'],
    ...options,
  });
}

/**
 * An embedded test stack as `openTestStack()` leaves it, recycled: each `use` gets a stack with the
 * account, faults, call counts, consistency windows, ledger and local Step Functions exactly as a fresh
 * one has them, but keeps its servers, SDK clients and task deps (most of a fresh stack's cost is its
 * clients' first calls). For tests that run many independent onboardings (the fault matrix): each
 * concurrent user gets a stack of its own; `close()` stops them all.
 */
export function testStackPool() {
  interface Pooled {
    stack: Stack;
    opened: { state: EmulatorState; consistency: ReturnType<Emulator['consistency']['get']> };
  }
  const idle: Pooled[] = [];
  const all: Pooled[] = [];
  const take = async (): Promise<Pooled> => {
    const found = idle.pop();
    if (found) return found;
    const stack = await openTestStack();
    const emulator = stack.emulator;
    if (!emulator) throw new Error('a pooled stack is an embedded one');
    const pooled = {
      stack,
      opened: { state: structuredClone(emulator.snapshot()), consistency: emulator.consistency.get() },
    };
    all.push(pooled);
    return pooled;
  };
  const recycle = async ({ stack, opened }: Pooled) => {
    const emulator = stack.emulator;
    if (!emulator) throw new Error('a pooled stack is an embedded one');
    emulator.faults.clear();
    emulator.clearCalls();
    emulator.consistency.set(opened.consistency);
    emulator.seed(opened.state);
    forgetStepFunctions(stack);
    await emptyLedger(stack);
  };
  return {
    async use<T>(fn: (stack: Stack) => Promise<T>): Promise<T> {
      const pooled = await take();
      try {
        return await fn(pooled.stack);
      } finally {
        await recycle(pooled);
        idle.push(pooled);
      }
    },
    async close() {
      await Promise.all(all.splice(0).map((p) => p.stack.close()));
      idle.length = 0;
    },
  };
}

/** Every item of the stack's ledger table deleted (the table stays, as the stack created it). */
async function emptyLedger(stack: Stack): Promise<void> {
  const dynamodb = stack.clients('test').dynamodb;
  const TableName = stack.ledgerTable.tableName;
  const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName }));
  const keys = (Table?.KeySchema ?? []).map((k) => k.AttributeName ?? '');
  for (;;) {
    const { Items = [] } = await dynamodb.send(
      new ScanCommand({
        TableName,
        ProjectionExpression: keys.map((_, i) => `#k${i}`).join(', '),
        ExpressionAttributeNames: Object.fromEntries(keys.map((k, i) => [`#k${i}`, k])),
      }),
    );
    if (Items.length === 0) return;
    for (let i = 0; i < Items.length; i += 25) {
      await dynamodb.send(
        new BatchWriteItemCommand({
          RequestItems: { [TableName]: Items.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } })) },
        }),
      );
    }
  }
}

/** The test's own clients: they sign as "test", apart from every function. */
export function iamOf(stack: Stack): IAMClient {
  return stack.clients('test').iam;
}

export function secretsOf(stack: Stack): SecretsManagerClient {
  return stack.clients('test').secrets;
}

export async function secretValue(stack: Stack, secretId: string): Promise<string> {
  const out = await secretsOf(stack).send(new GetSecretValueCommand({ SecretId: secretId }));
  return out.SecretString ?? '';
}

export interface OnboardOptions {
  faults?: FaultSpec[];
  lambdaFaults?: LambdaFault[];
  onEvent?: (event: TimelineEvent) => void;
  beforeTask?: LocalRunnerOptions['beforeTask'];
  retrierOverride?: LocalRunnerOptions['retrierOverride'];
}

export async function onboard(stack: Stack, request: Record<string, unknown>, options: OnboardOptions = {}) {
  const { result } = await runLocalOnboarding(validateRequest(request, config), {
    config,
    stack,
    retryDelayMs: 1,
    ...options,
  });
  return result;
}

export function retriesOf(events: TimelineEvent[], state: string): number {
  return events.filter((e) => e.type === 'StateRetried' && e.state === state).length;
}
