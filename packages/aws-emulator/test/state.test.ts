import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  GetUserCommand,
  ListUsersCommand,
} from '@aws-sdk/client-iam';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import { type EmulatorState, InvalidStateError, startEmulator } from '../src/index.ts';
import { clientsFor, emulatorWithClients, openEmulator } from './helpers.ts';

const tempFile = async () => join(await mkdtemp(join(tmpdir(), 'emulator-state-')), 'account.json');
const readState = async (file: string) => JSON.parse(await readFile(file, 'utf8')) as EmulatorState;

describe('the state file', () => {
  it('is written on every change, before the emulator stops, and never left half-written', async () => {
    // Prepare
    const file = await tempFile();
    const { iam, sm } = await emulatorWithClients({ stateFile: file });

    // Act
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));
    const afterUser = await readState(file);
    await sm.send(new CreateSecretCommand({ Name: 'onboarding/alice', SecretString: 'v' }));
    const afterSecret = await readState(file);

    // Assess
    expect(Object.keys(afterUser.users)).toEqual(['alice']);
    expect(Object.keys(afterSecret.secrets)).toEqual(['onboarding/alice']);
    expect(await readdir(join(file, '..'))).toEqual(['account.json']);
  });

  it('keeps the account across a restart: users, keys that still sign, secrets', async () => {
    // Prepare
    const file = await tempFile();
    const first = await openEmulator({ stateFile: file });
    const { iam, sm } = clientsFor(first);
    await iam.send(new CreateUserCommand({ UserName: 'persisted' }));
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: 'persisted' }));
    await sm.send(new CreateSecretCommand({ Name: 'kept', SecretString: 'v' }));
    await first.stop();

    // Act
    const second = await openEmulator({ stateFile: file });
    const users = await clientsFor(second).iam.send(new ListUsersCommand({}));
    const asUser = clientsFor(second, {
      accessKeyId: key.AccessKey?.AccessKeyId ?? '',
      secretAccessKey: key.AccessKey?.SecretAccessKey ?? '',
    });
    const me = await asUser.sts.send(new GetCallerIdentityCommand({}));

    // Assess
    expect(users.Users?.map((u) => u.UserName)).toEqual(['persisted']);
    expect(me.Arn).toBe('arn:aws:iam::000000000000:user/persisted');
    expect(Object.keys(second.snapshot().secrets)).toEqual(['kept']);
  });

  it('is created at start, and wins over a seed once it exists', async () => {
    // Prepare
    const file = await tempFile();
    const first = await openEmulator({ stateFile: file, seed: { users: { a: { name: 'seeded' } } } });
    await first.stop();

    // Act
    const second = await openEmulator({ stateFile: file, seed: { users: { a: { name: 'ignored' } } } });

    // Assess
    expect(Object.keys((await readState(file)).users)).toEqual(['seeded']);
    expect(Object.keys(second.snapshot().users)).toEqual(['seeded']);
  });

  it('refuses to start from a file that is not a valid account, naming the file', async () => {
    // Prepare
    const notJson = await tempFile();
    await writeFile(notJson, '{not json');
    const wrongShape = await tempFile();
    await writeFile(wrongShape, JSON.stringify({ accountId: 'nope' }));

    // Act
    const failures = await Promise.all([
      startEmulator({ stateFile: notJson }).catch((e: unknown) => e),
      startEmulator({ stateFile: wrongShape }).catch((e: unknown) => e),
      startEmulator({ stateFile: join(notJson, 'no', 'such', 'dir.json') }).catch((e: unknown) => e),
    ]);

    // Assess
    for (const failure of failures) expect(failure).toBeInstanceOf(InvalidStateError);
    expect((failures[0] as Error).message).toContain(notJson);
    expect((failures[1] as Error).message).toMatch(/accountId: an account id is 12 digits/);
  });
});

describe('snapshot and seed', () => {
  it('fills a hand-written seed with defaults and keys it by lower-case name', async () => {
    // Prepare
    const { emulator, iam } = await emulatorWithClients({
      accountId: '111122223333',
      seed: { users: { whatever: { name: 'Alice', groups: ['Devs'] } }, groups: { x: { name: 'Devs' } } },
    });

    // Act
    const state = emulator.snapshot();
    const got = await iam.send(new GetUserCommand({ UserName: 'alice' }));

    // Assess
    expect(state.accountId).toBe('111122223333');
    expect(Object.keys(state.users)).toEqual(['alice']);
    expect(state.users.alice).toMatchObject({
      name: 'Alice',
      path: '/',
      groups: ['devs'],
      keys: [],
      tags: [],
    });
    expect(state.users.alice?.id).toMatch(/^AIDA/);
    expect(got.User?.Arn).toBe('arn:aws:iam::111122223333:user/Alice');
  });

  it('returns a copy: changing a snapshot or a seed afterwards does not change the account', async () => {
    // Prepare
    const seed = { users: { a: { name: 'alice' } } };
    const { emulator } = await emulatorWithClients({ seed });

    // Act
    seed.users.a.name = 'mallory';
    const snapshot = emulator.snapshot();
    delete snapshot.users.alice;

    // Assess
    expect(Object.keys(emulator.snapshot().users)).toEqual(['alice']);
  });

  it('reset empties the account', async () => {
    // Prepare
    const { emulator, iam } = await emulatorWithClients();
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));

    // Act
    emulator.reset();

    // Assess
    expect(emulator.snapshot()).toEqual({
      accountId: '000000000000',
      users: {},
      groups: {},
      policies: {},
      roles: {},
      secrets: {},
      deletionTasks: {},
      virtualMfaDevices: {},
      hardwareMfaDevices: {},
      accountAliases: [],
      sessions: {},
    });
  });
});

describe('lifecycle', () => {
  it('gives the SDK and CLI variables, on loopback and an ephemeral port', async () => {
    // Prepare
    const emulator = await openEmulator();

    // Act
    const { env } = emulator;

    // Assess
    expect(emulator.endpoint).toBe(`http://127.0.0.1:${emulator.port}`);
    expect(emulator.port).toBeGreaterThan(0);
    expect(env).toEqual({
      AWS_ENDPOINT_URL_IAM: emulator.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: emulator.endpoint,
      AWS_ENDPOINT_URL_STS: emulator.endpoint,
      AWS_ENDPOINT_URL_SFN: emulator.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: expect.any(String),
      AWS_SECRET_ACCESS_KEY: expect.any(String),
    });
    expect(env.AWS_ACCESS_KEY_ID).not.toMatch(/^AKIA/);
  });

  it('stops idempotently, closing kept-alive connections', async () => {
    // Prepare
    const { emulator, iam } = await emulatorWithClients();
    await iam.send(new ListUsersCommand({}));

    // Act
    await Promise.all([emulator.stop(), emulator.stop()]);
    await emulator.stop();

    // Assess
    await expect(fetch(`${emulator.endpoint}/_emulator/health`)).rejects.toThrow();
  });

  it('says clearly when the port is taken', async () => {
    // Prepare
    const emulator = await openEmulator();

    // Act
    const failure = startEmulator({ port: emulator.port });

    // Assess
    await expect(failure).rejects.toThrow(`port ${emulator.port} on 127.0.0.1 is already in use`);
  });
});
