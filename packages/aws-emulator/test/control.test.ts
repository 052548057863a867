import { CreateUserCommand, GetUserCommand, ListUsersCommand } from '@aws-sdk/client-iam';
import { describe, expect, it } from 'vitest';
import type { CallStats, EmulatorState } from '../src/index.ts';
import { awsError, clientsFor, controlCall, emulatorWithClients } from './helpers.ts';

const THROTTLE_ONCE = { action: 'GetUser', kind: 'error', error: 'Throttling', count: 1 };

describe('control endpoints', () => {
  it('GET /_emulator/health names the endpoint, the account and the services', async () => {
    // Prepare
    const { emulator } = await emulatorWithClients();

    // Act
    const health = await controlCall(emulator, 'GET', 'health');

    // Assess
    expect(health).toEqual({
      status: 200,
      json: {
        ok: true,
        endpoint: emulator.endpoint,
        accountId: '000000000000',
        region: 'us-east-1',
        services: ['iam', 'sts', 'secretsmanager'],
      },
    });
  });

  it('GET /_emulator/state returns the account and PUT seeds another emulator with it', async () => {
    // Prepare
    const source = await emulatorWithClients();
    await source.iam.send(
      new CreateUserCommand({ UserName: 'alice', Tags: [{ Key: 'team', Value: 'platform' }] }),
    );
    const target = await emulatorWithClients();

    // Act
    const state = await controlCall(source.emulator, 'GET', 'state');
    const put = await controlCall(target.emulator, 'PUT', 'state', state.json);
    const got = await target.iam.send(new GetUserCommand({ UserName: 'alice' }));

    // Assess
    expect(Object.keys((state.json as EmulatorState).users)).toEqual(['alice']);
    expect(put).toEqual({ status: 200, json: { ok: true } });
    expect(got.User?.Tags).toEqual([{ Key: 'team', Value: 'platform' }]);
  });

  it('PUT /_emulator/state refuses a state that is not valid, naming what is wrong, and keeps the account', async () => {
    // Prepare
    const { emulator, iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));

    // Act
    const invalid = await controlCall(emulator, 'PUT', 'state', { users: { x: { path: '/' } } });
    const notJson = await controlCall(emulator, 'PUT', 'state', '{nope');

    // Assess
    expect(invalid.status).toBe(400);
    expect((invalid.json as { error: string }).error).toMatch(/users\.x\.name/);
    expect(notJson.status).toBe(400);
    expect((await iam.send(new GetUserCommand({ UserName: 'alice' }))).User?.UserName).toBe('alice');
  });

  it('POST /_emulator/faults arms one fault or a list, GET lists them, DELETE clears them', async () => {
    // Prepare
    const { emulator, iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));

    // Act
    const one = await controlCall(emulator, 'POST', 'faults', THROTTLE_ONCE);
    const list = await controlCall(emulator, 'POST', 'faults', [
      { action: 'ListUsers', kind: 'latency', ms: 1, count: 2 },
      { action: 'CreateUser', kind: 'lost-response', count: 1 },
    ]);
    const throttled = await awsError(iam.send(new GetUserCommand({ UserName: 'alice' })));
    const armed = await controlCall(emulator, 'GET', 'faults');
    const cleared = await controlCall(emulator, 'DELETE', 'faults');

    // Assess
    expect(one.status).toBe(201);
    expect(list.status).toBe(201);
    expect(throttled.code).toBe('Throttling');
    expect(armed.json).toEqual([
      { action: 'ListUsers', kind: 'latency', ms: 1, count: 2, remaining: 2 },
      { action: 'CreateUser', kind: 'lost-response', count: 1, remaining: 1 },
    ]);
    expect(cleared).toEqual({ status: 200, json: [] });
    expect(emulator.faults.list()).toEqual([]);
  });

  it('POST /_emulator/faults refuses an invalid fault with 400 and arms none of its list', async () => {
    // Prepare
    const { emulator } = await emulatorWithClients();

    // Act
    const bad = await controlCall(emulator, 'POST', 'faults', [THROTTLE_ONCE, { action: 'X', kind: 'nope' }]);

    // Assess
    expect(bad.status).toBe(400);
    expect((bad.json as { error: string }).error).toMatch(/"kind" is one of/);
    expect(emulator.faults.list()).toEqual([]);
  });

  it('POST /_emulator/faults takes a "caller": only calls signed with that access key id fail', async () => {
    // Prepare
    const { emulator } = await emulatorWithClients();
    const alice = clientsFor(emulator, { accessKeyId: 'local-alice', secretAccessKey: 'a' });
    const bob = clientsFor(emulator, { accessKeyId: 'local-bob', secretAccessKey: 'b' });
    const fault = { ...THROTTLE_ONCE, action: 'ListUsers', caller: 'local-alice' };

    // Act
    const armed = await controlCall(emulator, 'POST', 'faults', fault);
    const his = await bob.iam.send(new ListUsersCommand({}));
    const hers = await awsError(alice.iam.send(new ListUsersCommand({})));

    // Assess
    expect(armed).toEqual({ status: 201, json: [{ ...fault, remaining: 1 }] });
    expect(his.Users).toEqual([]);
    expect(hers.code).toBe('Throttling');
  });

  it.each([
    ['empty', ''],
    ['not a string', ['local-alice']],
  ])(
    'POST /_emulator/faults refuses a "caller" that is %s, with 400 and nothing armed',
    async (_what, caller) => {
      // Prepare
      const { emulator } = await emulatorWithClients();

      // Act
      const bad = await controlCall(emulator, 'POST', 'faults', [
        THROTTLE_ONCE,
        { ...THROTTLE_ONCE, caller },
      ]);

      // Assess
      expect(bad.status).toBe(400);
      expect((bad.json as { error: string }).error).toMatch(/"caller" is the access key id/);
      expect(emulator.faults.list()).toEqual([]);
    },
  );

  it('GET /_emulator/calls counts calls by outcome, and DELETE resets the counters', async () => {
    // Prepare
    const { emulator, iam } = await emulatorWithClients();
    await controlCall(emulator, 'POST', 'faults', THROTTLE_ONCE);
    await awsError(iam.send(new GetUserCommand({ UserName: 'alice' })));
    await awsError(iam.send(new GetUserCommand({ UserName: 'alice' })));
    await iam.send(new ListUsersCommand({}));

    // Act
    const calls = await controlCall(emulator, 'GET', 'calls');
    await controlCall(emulator, 'DELETE', 'calls');
    const after = await controlCall(emulator, 'GET', 'calls');

    // Assess
    expect(calls.json as CallStats[]).toEqual([
      {
        service: 'iam',
        action: 'GetUser',
        calls: 2,
        ok: 0,
        errors: 2,
        outcomes: { Throttling: 1, NoSuchEntity: 1 },
        faults: { error: 1 },
      },
      { service: 'iam', action: 'ListUsers', calls: 1, ok: 1, errors: 0, outcomes: { ok: 1 }, faults: {} },
    ]);
    expect(after.json).toEqual([]);
  });

  it("GET /_emulator/calls?caller=<key id> counts one caller's calls, and ?by=caller every caller's", async () => {
    // Prepare
    const { emulator } = await emulatorWithClients();
    const alice = clientsFor(emulator, { accessKeyId: 'local-alice', secretAccessKey: 'a' });
    const bob = clientsFor(emulator, { accessKeyId: 'local-bob', secretAccessKey: 'b' });
    await alice.iam.send(new CreateUserCommand({ UserName: 'alice' }));
    await awsError(bob.iam.send(new GetUserCommand({ UserName: 'nobody' })));

    // Act
    const hers = await controlCall(emulator, 'GET', 'calls?caller=local-alice');
    const nobodys = await controlCall(emulator, 'GET', 'calls?caller=local-nobody');
    const byCaller = await controlCall(emulator, 'GET', 'calls?by=caller');

    // Assess
    const created = {
      service: 'iam',
      action: 'CreateUser',
      calls: 1,
      ok: 1,
      errors: 0,
      outcomes: { ok: 1 },
      faults: {},
    };
    const missed = {
      service: 'iam',
      action: 'GetUser',
      calls: 1,
      ok: 0,
      errors: 1,
      outcomes: { NoSuchEntity: 1 },
      faults: {},
    };
    expect(hers).toEqual({ status: 200, json: [created] });
    expect(nobodys).toEqual({ status: 200, json: [] });
    expect(byCaller).toEqual({
      status: 200,
      json: { 'local-alice': [created], 'local-bob': [missed] },
    });
  });

  it.each([
    ['an empty caller', 'calls?caller='],
    ['an unknown parameter', 'calls?user=alice'],
    ['both a caller and by=caller', 'calls?caller=local-alice&by=caller'],
    ['an unknown grouping', 'calls?by=action'],
  ])('GET /_emulator/calls refuses %s with 400', async (_what, path) => {
    // Prepare
    const { emulator } = await emulatorWithClients();

    // Act
    const bad = await controlCall(emulator, 'GET', path);

    // Assess
    expect(bad.status).toBe(400);
    expect((bad.json as { error: string }).error).toMatch(/caller/);
  });

  it('POST /_emulator/reset empties the account and clears faults and counters', async () => {
    // Prepare
    const { emulator, iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));
    emulator.faults.add({ action: 'CreateUser', kind: 'error', error: 'Throttling', count: 'always' });

    // Act
    const reset = await controlCall(emulator, 'POST', 'reset');
    await iam.send(new CreateUserCommand({ UserName: 'bob' }));

    // Assess
    expect(reset.status).toBe(200);
    expect(Object.keys(emulator.snapshot().users)).toEqual(['bob']);
    expect(emulator.calls().map((c) => c.action)).toEqual(['CreateUser']);
  });

  it('answers 404 for an unknown control path and 405 for a method it does not take', async () => {
    // Prepare
    const { emulator } = await emulatorWithClients();

    // Act
    const unknown = await controlCall(emulator, 'GET', 'nope');
    const wrongMethod = await fetch(`${emulator.endpoint}/_emulator/state`, { method: 'DELETE' });

    // Assess
    expect(unknown.status).toBe(404);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET, PUT');
  });
});
