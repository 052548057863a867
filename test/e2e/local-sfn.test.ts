import { execFile, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  type SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { PROJECT_ROOT } from '../../src/definition.ts';
import { type Serve, signedCurlExample, startServe } from '../../src/local/serve.ts';
import type { StatusChangeEvent } from '../../src/local/step-functions.ts';
import { callbackReceiver, config, executionCount, request, sfnOf, userExists } from './serve-helpers.ts';

/**
 * The local Step Functions API as the real SFNClient (and `onboard start`/`status`) sees it, the
 * documented curl recipe, and `onboard serve` as a process.
 */

let serve: Serve;
let sfn: SFNClient;
let changes: StatusChangeEvent['detail'][];
/** A test may hold an execution before a state, to act on it while it runs. */
let hold: ((state: string) => Promise<void>) | undefined;

/** Resolves when the local Step Functions API says the execution has ended: no polling, no window. */
const ended = (name: string) =>
  serve.sfn.waitFor(`${serve.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`);

beforeEach(async () => {
  changes = [];
  hold = undefined;
  // The end of each execution, as the notifier receives it.
  serve = await startServe({
    config,
    apiPort: 0,
    retryDelayMs: 1,
    beforeTask: async (state) => hold?.(state),
    onNotify: (_outcome, change) => changes.push(change.detail),
  });
  sfn = sfnOf(serve);
});

afterEach(async () => {
  sfn.destroy();
  await serve.stop();
});

const finished = async (arn: string) => {
  await serve.sfn.waitFor(arn);
  return sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
};

describe('the local Step Functions API through the real SFNClient', () => {
  it('starts, describes and lists an execution, with dates and JSON as the SDK expects', async () => {
    const input = JSON.stringify(request());
    const started = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: serve.stateMachineArn, name: 'HR-500', input }),
    );
    expect(started.executionArn).toBe(
      `${serve.stateMachineArn.replace(':stateMachine:', ':execution:')}:HR-500`,
    );
    expect(started.startDate).toBeInstanceOf(Date);

    const described = await finished(started.executionArn ?? '');
    expect(described).toMatchObject({
      executionArn: started.executionArn,
      stateMachineArn: serve.stateMachineArn,
      name: 'HR-500',
      status: 'SUCCEEDED',
      input,
    });
    expect(described.stopDate?.getTime()).toBeGreaterThanOrEqual(described.startDate?.getTime() ?? Infinity);
    expect(JSON.parse(described.output ?? '{}')).toMatchObject({ requestId: 'HR-500' });

    const listed = await sfn.send(new ListExecutionsCommand({ stateMachineArn: serve.stateMachineArn }));
    expect(listed.executions?.map((e) => [e.name, e.status])).toEqual([['HR-500', 'SUCCEEDED']]);
    const none = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: serve.stateMachineArn, statusFilter: 'FAILED' }),
    );
    expect(none.executions).toEqual([]);
    expect(await userExists(serve, 'katherine')).toBe(true);
  });

  it('fails at ValidateRequest, creating nothing, an execution started directly with a callback the stage would not call', async () => {
    // Not through the HTTP API or the CLI: StartExecution itself (the console, a script).
    const input = JSON.stringify(request({ contact: { callbackUrl: 'https://evil.example.net/hook' } }));
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: serve.stateMachineArn, name: 'HR-500', input }),
    );
    const described = await finished(executionArn ?? '');
    expect(described).toMatchObject({ status: 'FAILED', error: 'InvalidRequest' });
    const cause = JSON.parse(described.cause ?? '{}') as { failedStep?: string; message?: string };
    expect(cause.failedStep).toBe('ValidateRequest');
    expect(cause.message).toContain(
      'callback host evil.example.net is not allowed for stage local: add it to api.callbackAllowedHosts.local',
    );
    expect(cause.message).toContain('callback hosts allowed for stage local: 127.0.0.1, localhost');
    expect(await userExists(serve, 'katherine')).toBe(false);
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    const entered = (history.events ?? []).flatMap((e) => e.stateEnteredEventDetails?.name ?? []);
    expect(entered).not.toContain('Plan');
  });

  it('is idempotent by name and input while running, and refuses a finished name as AWS does', async () => {
    serve.stack.emulator?.faults.add({ action: 'CreateUser', kind: 'latency', ms: 300, count: 1 });
    const input = JSON.stringify(request());
    const start = (i: string) =>
      sfn.send(
        new StartExecutionCommand({ stateMachineArn: serve.stateMachineArn, name: 'HR-500', input: i }),
      );
    const first = await start(input);
    expect((await start(input)).executionArn).toBe(first.executionArn);
    await expect(start(JSON.stringify(request({ userName: 'other' })))).rejects.toBeInstanceOf(
      ExecutionAlreadyExists,
    );
    await finished(first.executionArn ?? '');
    await expect(start(input)).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    expect(await executionCount(serve)).toBe(1);
  });

  it("writes the history in Step Functions' shape: ids, previous ids, Lambda events, details", async () => {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: serve.stateMachineArn,
        name: 'HR-501',
        input: JSON.stringify(request({ requestId: 'HR-501' })),
      }),
    );
    await finished(executionArn ?? '');
    const { events = [] } = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }),
    );
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    expect(events[0]).toMatchObject({ type: 'ExecutionStarted', previousEventId: 0 });
    expect(events[0]?.timestamp).toBeInstanceOf(Date);
    expect(events[0]?.executionStartedEventDetails?.input).toBe(
      JSON.stringify(request({ requestId: 'HR-501' })),
    );
    expect(events.slice(1, 5).map((e) => e.type)).toEqual([
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
    ]);
    expect(events[1]?.stateEnteredEventDetails?.name).toBe('ValidateRequest');
    expect(events[2]?.lambdaFunctionScheduledEventDetails?.resource).toMatch(
      /^arn:aws:lambda:us-east-1:\d{12}:function:.+-validateRequest$/,
    );
    expect(events[5]).toMatchObject({
      type: 'TaskStateExited',
      stateExitedEventDetails: { name: 'ValidateRequest' },
    });
    expect(events.at(-1)?.type).toBe('ExecutionSucceeded');
    expect(JSON.parse(events.at(-1)?.executionSucceededEventDetails?.output ?? '{}')).toMatchObject({
      requestId: 'HR-501',
    });

    // Paging and reverse order, as the SDK's paginator uses them.
    const first = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 5 }));
    expect(first.events).toHaveLength(5);
    const rest = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken: first.nextToken }),
    );
    expect([...(first.events ?? []), ...(rest.events ?? [])].map((e) => e.id)).toEqual(
      events.map((e) => e.id),
    );
    const reversed = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 1 }),
    );
    expect(reversed.events?.[0]?.type).toBe('ExecutionSucceeded');
  });

  it('records a retry, a caught failure and the rollback as AWS does, ending in ExecutionFailed', async () => {
    serve.stack.emulator?.faults.add({
      action: 'CreateGroup',
      kind: 'error',
      error: 'ServiceFailure',
      count: 2,
    });
    serve.stack.emulator?.faults.add({
      action: 'CreateAccessKey',
      kind: 'error',
      error: 'AccessDenied',
      count: 'always',
    });
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: serve.stateMachineArn,
        name: 'HR-502',
        input: JSON.stringify(
          request({
            requestId: 'HR-502',
            policyArns: [],
          }),
        ),
      }),
    );
    const described = await finished(executionArn ?? '');
    expect(described.status).toBe('FAILED');
    expect(described.error).toBe('AccessDenied');
    expect(JSON.parse(described.cause ?? '{}')).toMatchObject({ failedStep: 'CreateAccessKey' });
    expect(described.output).toBeUndefined();

    const { events = [] } = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }),
    );
    const types = events.map((e) => e.type);
    const stateEvents = (name: string) => {
      const start = events.findIndex((e) => e.stateEnteredEventDetails?.name === name);
      const end = events.findIndex((e, i) => i > start && e.stateExitedEventDetails?.name === name);
      return events.slice(start, end + 1).map((e) => e.type);
    };
    // The SDK retries inside the Lambda once; the state machine's Retry shows as a second invocation.
    expect(stateEvents('EnsureGroup')).toEqual([
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionFailed',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
    ]);
    expect(stateEvents('CreateAccessKey')).toEqual([
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionFailed',
      'TaskStateExited',
    ]);
    const accessKeyEntered = events.findIndex((e) => e.stateEnteredEventDetails?.name === 'CreateAccessKey');
    const failed = events.find(
      (e, i) => i > accessKeyEntered && e.type === 'LambdaFunctionFailed',
    ) as HistoryEvent;
    expect(failed.lambdaFunctionFailedEventDetails?.error).toBe('AccessDenied');
    expect(types).toContain('ChoiceStateEntered');
    expect(types.slice(-2)).toEqual(['FailStateEntered', 'ExecutionFailed']);
    expect(events.at(-1)?.executionFailedEventDetails).toMatchObject({ error: 'AccessDenied' });
  });

  it('stops a running execution: ABORTED with the given error, and a status-change event', async () => {
    // The execution is held before CreateUser until it has been stopped: no timing window.
    let entered: () => void = () => undefined;
    const inCreateUser = new Promise<void>((resolve) => (entered = resolve));
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    hold = async (state) => {
      if (state !== 'CreateUser') return;
      entered();
      await released;
    };
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: serve.stateMachineArn,
        name: 'HR-503',
        input: JSON.stringify(request({ requestId: 'HR-503' })),
      }),
    );
    await inCreateUser;
    const stopped = await sfn.send(
      new StopExecutionCommand({ executionArn, error: 'Cancelled', cause: 'ticket withdrawn' }),
    );
    release();
    expect(stopped.stopDate).toBeInstanceOf(Date);
    const described = await finished(executionArn ?? '');
    expect(described).toMatchObject({ status: 'ABORTED', error: 'Cancelled', cause: 'ticket withdrawn' });
    const { events = [] } = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(events.at(-1)).toMatchObject({
      type: 'ExecutionAborted',
      executionAbortedEventDetails: { error: 'Cancelled', cause: 'ticket withdrawn' },
    });
    await serve.notificationsSettled();
    expect(changes).toEqual([
      expect.objectContaining({
        name: 'HR-503',
        status: 'ABORTED',
        error: 'Cancelled',
        cause: 'ticket withdrawn',
      }),
    ]);
  });

  it('answers errors with the names the SDK knows', async () => {
    const missing = `${serve.stateMachineArn.replace(':stateMachine:', ':execution:')}:nope`;
    await expect(sfn.send(new DescribeExecutionCommand({ executionArn: missing }))).rejects.toMatchObject({
      name: 'ExecutionDoesNotExist',
    });
    await expect(
      sfn.send(new DescribeExecutionCommand({ executionArn: 'not-an-arn' })),
    ).rejects.toMatchObject({
      name: 'InvalidArn',
    });
    await expect(
      sfn.send(
        new StartExecutionCommand({
          stateMachineArn: serve.stateMachineArn.replace(/[^:]+$/, 'other'),
          name: 'x',
          input: '{}',
        }),
      ),
    ).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
    await expect(
      sfn.send(
        new StartExecutionCommand({ stateMachineArn: serve.stateMachineArn, name: 'a b', input: '{}' }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidName' });
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: serve.stateMachineArn, name: 'x', input: '{' })),
    ).rejects.toMatchObject({ name: 'InvalidExecutionInput' });
    const machine = await sfn.send(
      new DescribeStateMachineCommand({ stateMachineArn: serve.stateMachineArn }),
    );
    expect(machine).toMatchObject({ status: 'ACTIVE', type: 'STANDARD' });
    expect(JSON.parse(machine.definition ?? '{}').StartAt).toBe('ValidateRequest');
  });
});

describe('onboard start / onboard status against onboard serve', () => {
  /** The CLI in-process (`main`, as bin/onboard.js calls it), with the exports of `onboard serve`. */
  async function run(command: 'start' | 'status', args: string[]) {
    const saved = { ...process.env };
    Object.assign(process.env, serve.exports);
    const lines: string[] = [];
    const log = vi
      .spyOn(console, 'log')
      .mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
    const errors = vi
      .spyOn(console, 'error')
      .mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
    let code: number;
    try {
      code = await main(['node', 'onboard', command, ...args]);
    } finally {
      log.mockRestore();
      errors.mockRestore();
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
    return { code, out: lines.join('\n') };
  }

  it('starts the example and reads its status, exactly as against AWS', async () => {
    const started = await run('start', [join(PROJECT_ROOT, 'examples', 'new-hire.json'), '--json']);
    expect(started.code).toBe(0);
    expect(JSON.parse(started.out)).toMatchObject({
      requestId: 'HR-1042',
      executionArn: expect.stringContaining(':HR-1042'),
    });
    await ended('HR-1042');
    const report = JSON.parse((await run('status', ['HR-1042', '--json'])).out) as { status: string };
    expect(report).toMatchObject({ status: 'succeeded', requestId: 'HR-1042' });
    expect(await userExists(serve, 'ada.lovelace')).toBe(true);
  });

  it('refuses a callback URL the stage would not call: exit 2, naming the host and the allowed hosts, nothing started', async () => {
    const file = join(tmpdir(), `start-callback-${process.pid}.json`);
    await writeFile(
      file,
      JSON.stringify(request({ contact: { callbackUrl: 'https://evil.example.net/hook' } })),
    );
    // The stage is the state machine's (iam-onboarding-local).
    const offList = await run('start', [file]);
    expect(offList.code).toBe(2);
    expect(offList.out).toContain(
      'callback host evil.example.net is not allowed for stage local: add it to api.callbackAllowedHosts.local in config/onboarding.json (callback hosts allowed for stage local: 127.0.0.1, localhost)',
    );

    // Another stage's rules by flag: loopback over http is for the local stack alone.
    const receiver = await callbackReceiver();
    try {
      await writeFile(file, JSON.stringify(request({ contact: { callbackUrl: receiver.url() } })));
      const prod = await run('start', [file, '--stage', 'prod', '--json']);
      expect(prod.code).toBe(2);
      expect(JSON.parse(prod.out)).toEqual({
        error: {
          name: 'InvalidRequest',
          message: expect.stringContaining(
            'contact.callbackUrl: callback host 127.0.0.1 is a loopback address',
          ),
          issues: [
            {
              path: 'contact.callbackUrl',
              message: expect.stringContaining(
                '(callback hosts allowed for stage prod: tickets.example.com)',
              ),
            },
          ],
        },
      });
      expect(await executionCount(serve)).toBe(0);

      // The same URL on the local stage is one it calls: started, run, called back.
      const local = await run('start', [file, '--json']);
      expect(local.code).toBe(0);
      await ended('HR-500');
      await serve.notificationsSettled();
      expect(receiver.received).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });

  it('asks for --stage when the state machine is not named iam-onboarding-<stage>', async () => {
    const file = join(tmpdir(), `start-stage-${process.pid}.json`);
    await writeFile(
      file,
      JSON.stringify(request({ contact: { callbackUrl: 'https://tickets.example.com/h' } })),
    );
    const arn = serve.stateMachineArn.replace(/stateMachine:.*$/, 'stateMachine:payroll');
    const refused = await run('start', [file, '--state-machine-arn', arn]);
    expect(refused.code).toBe(2);
    expect(refused.out).toContain('which stage does state machine payroll belong to? Pass --stage STAGE');
    expect(await executionCount(serve)).toBe(0);
  });

  it('says when a request id is unknown', async () => {
    const status = await run('status', ['HR-9999']);
    expect(status.code).toBe(2);
    expect(status.out).toContain('no onboarding with request id HR-9999');
  });
});

function sh(
  script: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['--noprofile', '--norc', '-euo', 'pipefail', '-c', script],
      // A start-up file the machine's environment names (BASH_ENV, ENV) is not the recipe's: under -u
      // one reading $PS1 fails before the recipe runs.
      { env: { ...env, BASH_ENV: undefined, ENV: undefined }, cwd: PROJECT_ROOT },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('the documented curl recipe', () => {
  it('signs with openssl and onboards the example through the HTTP API', async () => {
    const [prepare, signature, postLine, statusLine, getSignature, signedGet] =
      signedCurlExample('$ONBOARDING_API_URL');
    const env = { ...process.env, ...serve.exports };
    const posted = await sh([prepare, signature, postLine].join('\n'), env);
    expect(posted.stderr).toBe('');
    expect(JSON.parse(posted.stdout)).toMatchObject({
      requestId: 'HR-1042',
      statusUrl: `${serve.apiUrl}/onboardings/HR-1042`,
    });
    await ended('HR-1042');
    const report = JSON.parse((await sh(statusLine ?? '', env)).stdout) as { status: string };
    expect(report.status).toBe('succeeded');
    // The GET recipe signs method and path (and the empty body).
    const bySignature = await sh([getSignature, signedGet].join('\n'), env);
    expect((JSON.parse(bySignature.stdout) as { status: string }).status).toBe('succeeded');
  });
});

describe('onboard serve as a process', () => {
  it('prints the endpoints, secrets and exports, serves, and stops cleanly on SIGTERM', async () => {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NO_COLOR: '1',
      ONBOARDING_API_TOKEN: 'chosen-token',
    };
    const child = spawn(
      process.execPath,
      [join(PROJECT_ROOT, 'bin', 'onboard.js'), 'serve', '--api-port', '0'],
      {
        env,
        cwd: PROJECT_ROOT,
      },
    );
    let stdout = '';
    let ready: () => void = () => undefined;
    const banner = new Promise<void>((resolve) => (ready = resolve));
    const read = (d: Buffer) => {
      stdout += d;
      // The banner ends with the status command: once it is out, the server is listening.
      if (stdout.includes('onboard status')) ready();
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      await banner;
      expect(stdout).toContain('iam-onboarding is serving on loopback');
      expect(stdout).toContain('export ONBOARDING_API_TOKEN=chosen-token');
      expect(stdout).toMatch(/export ONBOARDING_WEBHOOK_SECRET=[\w-]{43}\n/);
      expect(stdout).toMatch(/export AWS_ENDPOINT_URL_SFN=http:\/\/127\.0\.0\.1:\d+\n/);
      expect(stdout).toContain('openssl dgst -sha256 -hmac "$ONBOARDING_WEBHOOK_SECRET"');
      const apiUrl = /export ONBOARDING_API_URL=(\S+)/.exec(stdout)?.[1] ?? '';
      const unknown = await fetch(`${apiUrl}/onboardings/HR-1`, {
        headers: { authorization: 'Bearer chosen-token' },
      });
      expect(unknown.status).toBe(404);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stdout).toContain('stopping iam-onboarding');
  });
});
