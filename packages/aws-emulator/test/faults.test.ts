import {
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreateUserCommand,
  GetUserCommand,
  ListAccessKeysCommand,
  ListUsersCommand,
} from '@aws-sdk/client-iam';
import { CreateSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import { type FaultSpec, InvalidFaultError } from '../src/index.ts';
import { awsError, clientsFor, emulatorWithClients, openEmulator, queryCall } from './helpers.ts';

describe('error faults', () => {
  it('fails the next N calls of an action with the given error, changes nothing, then recovers', async () => {
    // Prepare
    const { emulator, iam } = await emulatorWithClients();
    emulator.faults.add({ action: 'CreateUser', kind: 'error', error: 'Throttling', count: 2 });

    // Act
    const first = await awsError(iam.send(new CreateUserCommand({ UserName: 'a' })));
    const second = await awsError(iam.send(new CreateUserCommand({ UserName: 'a' })));
    const third = await iam.send(new CreateUserCommand({ UserName: 'a' }));

    // Assess
    expect(first).toMatchObject({ code: 'Throttling', status: 400 });
    expect(second).toMatchObject({ code: 'Throttling', status: 400 });
    expect(third.User?.UserName).toBe('a');
    expect(emulator.faults.list()).toEqual([]);
    expect(emulator.calls().find((c) => c.action === 'CreateUser')).toEqual({
      service: 'iam',
      action: 'CreateUser',
      calls: 3,
      ok: 1,
      errors: 2,
      outcomes: { Throttling: 2, ok: 1 },
      faults: { error: 2 },
    });
  });

  it.each([
    ['Throttling', 400, 'Sender'],
    ['ServiceFailure', 500, 'Receiver'],
    ['AccessDenied', 403, 'Sender'],
    ['ConcurrentModification', 409, 'Sender'],
    ['EntityTemporarilyUnmodifiable', 409, 'Sender'],
    ['LimitExceeded', 409, 'Sender'],
    ['NoSuchEntity', 404, 'Sender'],
    ['UnmodifiableEntity', 400, 'Sender'],
    ['ValidationError', 400, 'Sender'],
  ])('answers an injected %s with HTTP %i and Type %s', async (code, status, type) => {
    // Prepare
    const { emulator, iam } = await emulatorWithClients();
    emulator.faults.add({ action: 'ListUsers', kind: 'error', error: code, message: 'injected', count: 2 });

    // Act
    const viaSdk = await awsError(iam.send(new ListUsersCommand({})));
    const raw = await queryCall(emulator, { Action: 'ListUsers' }, { service: 'iam' });

    // Assess
    expect(viaSdk).toEqual({ code, status, message: 'injected' });
    expect(raw.status).toBe(status);
    expect(await raw.text()).toContain(`<Type>${type}</Type><Code>${code}</Code><Message>injected</Message>`);
  });

  it('lets the first calls through with "after", then fails, then recovers', async () => {
    // Prepare
    const { emulator, iam } = await emulatorWithClients();
    emulator.faults.add({ action: 'CreateUser', kind: 'error', error: 'ServiceFailure', count: 1, after: 2 });

    // Act
    const outcomes = [];
    for (const name of ['a', 'b', 'c', 'd']) {
      outcomes.push(
        await iam.send(new CreateUserCommand({ UserName: name })).then(
          () => 'ok',
          (e: { Code?: string; name: string }) => e.Code ?? e.name,
        ),
      );
    }

    // Assess
    expect(outcomes).toEqual(['ok', 'ok', 'ServiceFailure', 'ok']);
  });

  it('fails every call with count "always" until the faults are cleared', async () => {
    // Prepare
    const { emulator, iam } = await emulatorWithClients();
    emulator.faults.add({ action: 'CreateGroup', kind: 'error', error: 'AccessDenied', count: 'always' });

    // Act
    const errors = [];
    for (let i = 0; i < 5; i++)
      errors.push(await awsError(iam.send(new CreateGroupCommand({ GroupName: 'g' }))));
    const listed = emulator.faults.list();
    emulator.faults.clear();
    const created = await iam.send(new CreateGroupCommand({ GroupName: 'g' }));

    // Assess
    expect(errors.map((e) => e.code)).toEqual(Array(5).fill('AccessDenied'));
    expect(listed).toEqual([
      { action: 'CreateGroup', kind: 'error', error: 'AccessDenied', count: 'always', remaining: 'always' },
    ]);
    expect(created.Group?.GroupName).toBe('g');
  });

  it('applies "*" to every action, and "service" narrows a fault to one service', async () => {
    // Prepare
    const { emulator, iam, sm } = await emulatorWithClients();
    emulator.faults.add({
      service: 'iam',
      action: '*',
      kind: 'error',
      error: 'ServiceFailure',
      count: 'always',
    });

    // Act
    const users = await awsError(iam.send(new ListUsersCommand({})));
    const groups = await awsError(iam.send(new CreateGroupCommand({ GroupName: 'g' })));
    const secret = await sm.send(new CreateSecretCommand({ Name: 's', SecretString: 'v' }));

    // Assess
    expect(users.code).toBe('ServiceFailure');
    expect(groups.code).toBe('ServiceFailure');
    expect(secret.Name).toBe('s');
  });

  it.each([
    ['Throttling', 'ThrottlingException', 400],
    ['ServiceFailure', 'InternalServiceError', 500],
    ['AccessDenied', 'AccessDeniedException', 400],
    ['ResourceNotFoundException', 'ResourceNotFoundException', 400],
  ])("answers Secrets Manager's spelling of %s: %s (%i)", async (fault, code, status) => {
    // Prepare
    const { emulator, sm } = await emulatorWithClients();
    emulator.faults.add({ action: 'GetSecretValue', kind: 'error', error: fault, count: 1 });

    // Act
    const error = await awsError(sm.send(new GetSecretValueCommand({ SecretId: 'x' })));

    // Assess
    expect(error).toMatchObject({ code, status });
  });
});

describe('lost responses', () => {
  it('applies the change and drops the answer: the client sees a network error, the user exists', async () => {
    // Prepare
    const { emulator, iam } = await emulatorWithClients();
    emulator.faults.add({ action: 'CreateUser', kind: 'lost-response', count: 1 });

    // Act
    const lost = await awsError(iam.send(new CreateUserCommand({ UserName: 'lost' })));
    const retried = await awsError(iam.send(new CreateUserCommand({ UserName: 'lost' })));

    // Assess
    expect(lost.status).toBe(0);
    expect(lost.code).not.toBe('EntityAlreadyExists');
    expect(retried).toMatchObject({ code: 'EntityAlreadyExists', status: 409 });
    expect((await iam.send(new GetUserCommand({ UserName: 'lost' }))).User?.UserName).toBe('lost');
    expect(emulator.calls().find((c) => c.action === 'CreateUser')).toMatchObject({
      faults: { 'lost-response': 1 },
      outcomes: { ok: 1, EntityAlreadyExists: 1 },
    });
  });

  it('leaves a created access key behind whose secret nobody received', async () => {
    // Prepare
    const { emulator, iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));
    emulator.faults.add({ action: 'CreateAccessKey', kind: 'lost-response', count: 1 });

    // Act
    const lost = await awsError(iam.send(new CreateAccessKeyCommand({ UserName: 'alice' })));
    const keys = await iam.send(new ListAccessKeysCommand({ UserName: 'alice' }));

    // Assess
    expect(lost.status).toBe(0);
    expect(keys.AccessKeyMetadata).toHaveLength(1);
  });

  it('loses only the answers it was told to, after the ones it lets through', async () => {
    // Prepare
    const { emulator, sm } = await emulatorWithClients();
    emulator.faults.add({ action: 'CreateSecret', kind: 'lost-response', count: 1, after: 1 });

    // Act
    const first = await sm.send(new CreateSecretCommand({ Name: 'a', SecretString: 'v' }));
    const second = await awsError(sm.send(new CreateSecretCommand({ Name: 'b', SecretString: 'v' })));
    const third = await sm.send(new CreateSecretCommand({ Name: 'c', SecretString: 'v' }));

    // Assess
    expect(first.Name).toBe('a');
    expect(second.status).toBe(0);
    expect(third.Name).toBe('c');
    expect(Object.keys(emulator.snapshot().secrets).sort()).toEqual(['a', 'b', 'c']);
  });
});

describe('latency', () => {
  it('delays the next calls by the given time, then answers at full speed', async () => {
    // Prepare
    const { emulator, iam } = await emulatorWithClients();
    await iam.send(new ListUsersCommand({}));
    emulator.faults.add({ action: 'ListUsers', kind: 'latency', ms: 300, count: 1 });

    // Act
    const slowStart = performance.now();
    await iam.send(new ListUsersCommand({}));
    const slow = performance.now() - slowStart;
    const fastStart = performance.now();
    await iam.send(new ListUsersCommand({}));
    const fast = performance.now() - fastStart;

    // Assess
    expect(slow).toBeGreaterThanOrEqual(290);
    expect(fast).toBeLessThan(250);
    expect(emulator.calls().find((c) => c.action === 'ListUsers')?.faults.latency).toBe(1);
  });

  it('adds latency to an error fault on the same call', async () => {
    // Prepare
    const { emulator, iam } = await emulatorWithClients();
    emulator.faults.add({ action: 'GetUser', kind: 'latency', ms: 200 });
    emulator.faults.add({ action: 'GetUser', kind: 'error', error: 'Throttling', count: 1 });

    // Act
    const started = performance.now();
    const error = await awsError(iam.send(new GetUserCommand({ UserName: 'x' })));

    // Assess
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect(error.code).toBe('Throttling');
  });
});

describe('rate limits', () => {
  it('throttles with "Rate exceeded" beyond the burst, across every action', async () => {
    // Prepare
    const { emulator, iam } = await emulatorWithClients();
    emulator.faults.add({ action: '*', kind: 'rate-limit', rps: 5, burst: 5 });

    // Act
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        i % 2 ? iam.send(new ListUsersCommand({})) : iam.send(new GetUserCommand({ UserName: 'x' })),
      ),
    );

    // Assess
    const errors = results.flatMap((r) =>
      r.status === 'rejected' ? [r.reason as Error & { Code?: string }] : [],
    );
    const throttled = errors.filter((e) => (e.Code ?? e.name) === 'Throttling');
    expect(throttled.length).toBeGreaterThanOrEqual(14);
    expect(throttled[0]?.message).toBe('Rate exceeded');
    const fired = emulator.calls().reduce((n, c) => n + (c.faults['rate-limit'] ?? 0), 0);
    expect(fired).toBe(throttled.length);
  });

  it('limits only the action it names', async () => {
    // Prepare
    const { emulator, iam } = await emulatorWithClients();
    emulator.faults.add({ action: 'CreateGroup', kind: 'rate-limit', rps: 1, burst: 1 });

    // Act
    await iam.send(new CreateGroupCommand({ GroupName: 'g1' }));
    const limited = await awsError(iam.send(new CreateGroupCommand({ GroupName: 'g2' })));
    const others = await Promise.all(Array.from({ length: 5 }, () => iam.send(new ListUsersCommand({}))));

    // Assess
    expect(limited).toMatchObject({ code: 'Throttling', status: 400, message: 'Rate exceeded' });
    expect(others).toHaveLength(5);
  });

  it('refills its tokens at the given rate', async () => {
    // Prepare
    const { emulator, iam } = await emulatorWithClients();
    emulator.faults.add({ action: 'ListUsers', kind: 'rate-limit', rps: 10, burst: 1 });
    await iam.send(new ListUsersCommand({}));
    const throttled = await awsError(iam.send(new ListUsersCommand({})));

    // Act
    await new Promise((resolve) => setTimeout(resolve, 150));
    const refilled = await iam.send(new ListUsersCommand({}));

    // Assess
    expect(throttled.code).toBe('Throttling');
    expect(refilled.Users).toEqual([]);
  });
});

describe('faults for one caller', () => {
  // Access key ids as the SDK signs them (`Credential=<id>/...`); the emulator does not check signatures.
  const ALICE = { accessKeyId: 'local-alice', secretAccessKey: 'alice-secret' };
  const BOB = { accessKeyId: 'local-bob', secretAccessKey: 'bob-secret' };

  it('fails only the calls signed with the access key id it names', async () => {
    // Prepare
    const emulator = await openEmulator();
    const alice = clientsFor(emulator, ALICE);
    const bob = clientsFor(emulator, BOB);
    emulator.faults.add({
      action: 'ListUsers',
      caller: ALICE.accessKeyId,
      kind: 'error',
      error: 'AccessDenied',
      count: 'always',
    });

    // Act
    const denied = await awsError(alice.iam.send(new ListUsersCommand({})));
    const listed = await bob.iam.send(new ListUsersCommand({}));
    const unsigned = await queryCall(emulator, { Action: 'ListUsers', Version: '2010-05-08' });

    // Assess
    expect(denied).toMatchObject({ code: 'AccessDenied', status: 403 });
    expect(listed.Users).toEqual([]);
    expect(unsigned.status).toBe(200);
    expect(emulator.faults.list()).toEqual([
      {
        action: 'ListUsers',
        caller: ALICE.accessKeyId,
        kind: 'error',
        error: 'AccessDenied',
        count: 'always',
        remaining: 'always',
      },
    ]);
  });

  it("spends its count on that caller's calls only", async () => {
    // Prepare
    const emulator = await openEmulator();
    const alice = clientsFor(emulator, ALICE);
    const bob = clientsFor(emulator, BOB);
    emulator.faults.add({
      action: 'CreateUser',
      caller: ALICE.accessKeyId,
      kind: 'error',
      error: 'Throttling',
      count: 1,
    });

    // Act
    await bob.iam.send(new CreateUserCommand({ UserName: 'bob1' }));
    await bob.iam.send(new CreateUserCommand({ UserName: 'bob2' }));
    const throttled = await awsError(alice.iam.send(new CreateUserCommand({ UserName: 'alice1' })));
    const retried = await alice.iam.send(new CreateUserCommand({ UserName: 'alice1' }));

    // Assess
    expect(throttled.code).toBe('Throttling');
    expect(retried.User?.UserName).toBe('alice1');
    expect(Object.keys(emulator.snapshot().users).sort()).toEqual(['alice1', 'bob1', 'bob2']);
    expect(emulator.faults.list()).toEqual([]);
  });

  it('applies to every caller when it names none', async () => {
    // Prepare
    const emulator = await openEmulator();
    const alice = clientsFor(emulator, ALICE);
    const bob = clientsFor(emulator, BOB);
    emulator.faults.add({ action: 'ListUsers', kind: 'error', error: 'ServiceFailure', count: 'always' });

    // Act
    const hers = await awsError(alice.iam.send(new ListUsersCommand({})));
    const his = await awsError(bob.iam.send(new ListUsersCommand({})));
    const unsigned = await queryCall(emulator, { Action: 'ListUsers', Version: '2010-05-08' });

    // Assess
    expect(hers.code).toBe('ServiceFailure');
    expect(his.code).toBe('ServiceFailure');
    expect(unsigned.status).toBe(500);
  });

  it('rate-limits one caller while the others go at full speed', async () => {
    // Prepare
    const emulator = await openEmulator();
    const alice = clientsFor(emulator, ALICE);
    const bob = clientsFor(emulator, BOB);
    // One token, refilled once in 1000 s: Alice's second call finds none, however slow the machine.
    emulator.faults.add({ action: '*', caller: ALICE.accessKeyId, kind: 'rate-limit', rps: 0.001, burst: 1 });

    // Act
    await alice.iam.send(new ListUsersCommand({}));
    const limited = await awsError(alice.iam.send(new ListUsersCommand({})));
    const his = await Promise.allSettled(
      Array.from({ length: 10 }, () => bob.iam.send(new ListUsersCommand({}))),
    );

    // Assess
    expect(limited).toMatchObject({ code: 'Throttling', message: 'Rate exceeded' });
    expect(his.map((r) => r.status)).toEqual(Array(10).fill('fulfilled'));
  });

  it('takes the access key the emulator issued to a user: what that user signs fails, the rest does not', async () => {
    // Prepare
    const { emulator, iam, sm } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: 'alice' }));
    const keyId = AccessKey?.AccessKeyId ?? '';
    const asAlice = clientsFor(emulator, {
      accessKeyId: keyId,
      secretAccessKey: AccessKey?.SecretAccessKey ?? '',
    });
    await sm.send(new CreateSecretCommand({ Name: 's', SecretString: 'v' }));
    emulator.faults.add({
      service: 'secretsmanager',
      action: 'GetSecretValue',
      caller: keyId,
      kind: 'error',
      error: 'AccessDenied',
      count: 'always',
    });

    // Act
    const hers = await awsError(asAlice.sm.send(new GetSecretValueCommand({ SecretId: 's' })));
    const admins = await sm.send(new GetSecretValueCommand({ SecretId: 's' }));
    const who = await asAlice.sts.send(new GetCallerIdentityCommand({}));

    // Assess
    expect(hers).toMatchObject({ code: 'AccessDeniedException', status: 400 });
    expect(admins.SecretString).toBe('v');
    expect(who.Arn).toBe(`arn:aws:iam::${emulator.accountId}:user/alice`);
  });

  it.each([
    ['an empty caller', ''],
    ['a caller that is not a string', 42],
  ])('refuses a fault with %s', async (_what, caller) => {
    // Prepare
    const emulator = await openEmulator();
    const spec = { action: 'ListUsers', kind: 'error', error: 'Throttling', count: 1, caller };

    // Act
    const add = () => emulator.faults.add(spec as unknown as FaultSpec);

    // Assess
    expect(add).toThrow(
      new InvalidFaultError('"caller" is the access key id the calls are signed with (a non-empty string)'),
    );
    expect(emulator.faults.list()).toEqual([]);
  });
});

describe('fault specs', () => {
  it.each([
    ['no action', { kind: 'error', error: 'Throttling', count: 1 }],
    ['an unknown kind', { action: 'X', kind: 'explode' }],
    ['an error fault without its error', { action: 'X', kind: 'error', count: 1 }],
    ['an error fault without a count', { action: 'X', kind: 'error', error: 'Throttling' }],
    ['a count of 0', { action: 'X', kind: 'error', error: 'Throttling', count: 0 }],
    ['a negative "after"', { action: 'X', kind: 'lost-response', count: 1, after: -1 }],
    ['a latency without ms', { action: 'X', kind: 'latency' }],
    ['a rate limit of 0 rps', { action: 'X', kind: 'rate-limit', rps: 0 }],
  ])('refuses a fault with %s', async (_what, spec) => {
    // Prepare
    const { emulator } = await emulatorWithClients();

    // Act
    const add = () => emulator.faults.add(spec as unknown as FaultSpec);

    // Assess
    expect(add).toThrow(InvalidFaultError);
    expect(emulator.faults.list()).toEqual([]);
  });

  it('lists armed faults with what remains of them', async () => {
    // Prepare
    const { emulator, iam } = await emulatorWithClients();
    emulator.faults.add({ action: 'ListUsers', kind: 'error', error: 'Throttling', count: 3 });
    emulator.faults.add({ action: '*', kind: 'rate-limit', rps: 100 });

    // Act
    await awsError(iam.send(new ListUsersCommand({})));
    const listed = emulator.faults.list();

    // Assess
    expect(listed).toEqual([
      { action: 'ListUsers', kind: 'error', error: 'Throttling', count: 3, remaining: 2 },
      { action: '*', kind: 'rate-limit', rps: 100, remaining: 'always' },
    ]);
  });
});
