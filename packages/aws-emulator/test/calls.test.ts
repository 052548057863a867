import { CreateUserCommand, GetUserCommand, ListUsersCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import { awsError, clientsFor, openEmulator, queryCall } from './helpers.ts';

// Access key ids as the SDK signs them (`Credential=<id>/...`); the emulator does not check signatures.
const ALICE = { accessKeyId: 'local-alice', secretAccessKey: 'alice-secret' };
const BOB = { accessKeyId: 'local-bob', secretAccessKey: 'bob-secret' };

describe('call counters per caller', () => {
  it("answers which actions one caller made and with what outcomes, without the others' calls", async () => {
    // Prepare
    const emulator = await openEmulator();
    const alice = clientsFor(emulator, ALICE);
    const bob = clientsFor(emulator, BOB);

    // Act
    await alice.iam.send(new CreateUserCommand({ UserName: 'alice' }));
    await awsError(alice.iam.send(new CreateUserCommand({ UserName: 'alice' })));
    await bob.iam.send(new ListUsersCommand({}));
    await alice.sts.send(new GetCallerIdentityCommand({}));

    // Assess
    expect(emulator.calls({ caller: ALICE.accessKeyId })).toEqual([
      {
        service: 'iam',
        action: 'CreateUser',
        calls: 2,
        ok: 1,
        errors: 1,
        outcomes: { ok: 1, EntityAlreadyExists: 1 },
        faults: {},
      },
      {
        service: 'sts',
        action: 'GetCallerIdentity',
        calls: 1,
        ok: 1,
        errors: 0,
        outcomes: { ok: 1 },
        faults: {},
      },
    ]);
    expect(emulator.calls({ caller: BOB.accessKeyId })).toEqual([
      { service: 'iam', action: 'ListUsers', calls: 1, ok: 1, errors: 0, outcomes: { ok: 1 }, faults: {} },
    ]);
    expect(emulator.calls({ caller: 'local-nobody' })).toEqual([]);
  });

  it('keeps the totals of calls() as they were: every caller, unsigned calls included', async () => {
    // Prepare
    const emulator = await openEmulator();
    const alice = clientsFor(emulator, ALICE);
    const bob = clientsFor(emulator, BOB);

    // Act
    await alice.iam.send(new ListUsersCommand({}));
    await bob.iam.send(new ListUsersCommand({}));
    await queryCall(emulator, { Action: 'ListUsers', Version: '2010-05-08' });

    // Assess
    expect(emulator.calls()).toEqual([
      { service: 'iam', action: 'ListUsers', calls: 3, ok: 3, errors: 0, outcomes: { ok: 3 }, faults: {} },
    ]);
    expect(emulator.calls({})).toEqual(emulator.calls());
    expect(Object.keys(emulator.callsByCaller())).toEqual([ALICE.accessKeyId, BOB.accessKeyId]);
  });

  it('groups the calls by caller, and counts a fault under the caller whose call it hit', async () => {
    // Prepare
    const emulator = await openEmulator();
    const alice = clientsFor(emulator, ALICE);
    const bob = clientsFor(emulator, BOB);
    emulator.faults.add({ action: 'GetUser', kind: 'error', error: 'Throttling', count: 1 });

    // Act
    await awsError(bob.iam.send(new GetUserCommand({ UserName: 'nobody' })));
    await awsError(alice.iam.send(new GetUserCommand({ UserName: 'nobody' })));
    const byCaller = emulator.callsByCaller();

    // Assess
    expect(byCaller).toEqual({
      [BOB.accessKeyId]: [
        {
          service: 'iam',
          action: 'GetUser',
          calls: 1,
          ok: 0,
          errors: 1,
          outcomes: { Throttling: 1 },
          faults: { error: 1 },
        },
      ],
      [ALICE.accessKeyId]: [
        {
          service: 'iam',
          action: 'GetUser',
          calls: 1,
          ok: 0,
          errors: 1,
          outcomes: { NoSuchEntity: 1 },
          faults: {},
        },
      ],
    });
  });

  it('counts a lost answer under its caller too', async () => {
    // Prepare
    const emulator = await openEmulator();
    const alice = clientsFor(emulator, ALICE);
    emulator.faults.add({ action: 'CreateUser', caller: ALICE.accessKeyId, kind: 'lost-response', count: 1 });

    // Act
    await expect(alice.iam.send(new CreateUserCommand({ UserName: 'alice' }))).rejects.toThrow();

    // Assess
    expect(emulator.calls({ caller: ALICE.accessKeyId })).toEqual([
      {
        service: 'iam',
        action: 'CreateUser',
        calls: 1,
        ok: 1,
        errors: 0,
        outcomes: { ok: 1 },
        faults: { 'lost-response': 1 },
      },
    ]);
  });

  it('hands out copies: a list kept as "before" does not move with later calls', async () => {
    // Prepare
    const emulator = await openEmulator();
    const alice = clientsFor(emulator, ALICE);
    await alice.iam.send(new ListUsersCommand({}));
    const before = emulator.calls({ caller: ALICE.accessKeyId });
    const beforeByCaller = emulator.callsByCaller();

    // Act
    await alice.iam.send(new ListUsersCommand({}));

    // Assess
    expect(before[0]?.calls).toBe(1);
    expect(beforeByCaller[ALICE.accessKeyId]?.[0]?.calls).toBe(1);
    expect(emulator.calls({ caller: ALICE.accessKeyId })[0]?.calls).toBe(2);
  });

  it('forgets every caller on clearCalls() and on reset()', async () => {
    // Prepare
    const emulator = await openEmulator();
    const alice = clientsFor(emulator, ALICE);
    await alice.iam.send(new ListUsersCommand({}));

    // Act
    emulator.clearCalls();
    const afterClear = emulator.callsByCaller();
    await alice.iam.send(new ListUsersCommand({}));
    emulator.reset();

    // Assess
    expect(afterClear).toEqual({});
    expect(emulator.callsByCaller()).toEqual({});
    expect(emulator.calls({ caller: ALICE.accessKeyId })).toEqual([]);
  });
});
