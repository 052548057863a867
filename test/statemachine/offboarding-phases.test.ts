import {
  AddUserToGroupCommand,
  CreateAccessKeyCommand,
  CreateUserCommand,
  CreateVirtualMFADeviceCommand,
  type IAMClient,
  ListVirtualMFADevicesCommand,
  TagUserCommand,
} from '@aws-sdk/client-iam';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { containPolicyArn, secretNameFor, selfServicePolicyArn } from '../../src/config.ts';
import { OffboardingIncompleteError, OffboardingRefusedError } from '../../src/errors.ts';
import { SdkLeaverGateway } from '../../src/gateways/leaver.ts';
import { SdkSecretStore } from '../../src/gateways/secrets.ts';
import { principalKeyId, type Stack } from '../../src/local/stack.ts';
import {
  contain,
  type OffboardingDeps,
  removeAll,
  restore,
  takeSnapshot,
  verifyGone,
} from '../../src/offboarding/phases.ts';
import { TAG_EXECUTION } from '../../src/request.ts';
import { readAccount } from '../helpers/account.ts';
import { giveEverything, hire } from '../helpers/leaver.ts';
import { config, iamOf, onboard, openTestStack, secretsOf } from '../helpers/local-stack.ts';

/**
 * The offboarding's phases on the embedded stack, through the real SDK clients: a leaver carrying every
 * kind of attachment is contained, restored exactly, contained again and removed, with the account read
 * as a whole after each phase; a user this stack did not onboard is refused with nothing changed; a
 * removal that fails half-way leaves the user contained and names what is left, and a second run
 * finishes it.
 */

let stack: Stack;
let iam: IAMClient;
let deps: OffboardingDeps;
const CONTAIN_ARN = containPolicyArn(config, 'arn:aws:iam::000000000000:');

beforeEach(async () => {
  stack = await openTestStack();
  iam = iamOf(stack);
  deps = {
    leaver: new SdkLeaverGateway(iam),
    secrets: new SdkSecretStore(secretsOf(stack)),
    onboardingStateMachineArn: stack.stateMachineArn,
    containPolicyArn: CONTAIN_ARN,
    userPath: config.userPath,
    sleep: async () => {},
  };
});
afterEach(() => stack.close());

const leaverWithEverything = (userName: string) => giveEverything(stack, userName);

const statuses = (s: Awaited<ReturnType<SdkLeaverGateway['inventory']>>) => ({
  accessKeys: s?.accessKeys.map((k) => k.status),
  ssh: s?.sshPublicKeys.map((k) => k.status),
  certificates: s?.signingCertificates.map((k) => k.status),
  service: s?.serviceSpecificCredentials.map((k) => k.status),
});

describe('offboarding a leaver with every kind of attachment', () => {
  it('contains, restores exactly, then removes everything of theirs and nothing of anyone else', async () => {
    const serial = await leaverWithEverything('leaver');
    await onboard(stack, hire('HR-stayer', 'stayer'));
    await iam.send(new AddUserToGroupCommand({ UserName: 'stayer', GroupName: 'analysts' }));
    const before = await readAccount(iam, secretsOf(stack));

    // Snapshot: everything, read and recorded.
    const snapshot = await takeSnapshot('leaver', deps);
    expect(snapshot).toMatchObject({
      loginProfile: true,
      inlinePolicies: ['own-bucket'],
      // The per-user policy asked for, and the self-service policy every console user gets.
      attachedPolicies: [
        selfServicePolicyArn(config, stack.runtimeConfig.iamArnPrefix),
        'arn:aws:iam::aws:policy/ReadOnlyAccess',
      ].sort(),
      mfaDevices: [{ serial, virtual: true }],
    });
    expect(snapshot.groups.sort()).toEqual(['analysts', 'data-engineers']);
    expect(statuses(snapshot)).toEqual({
      accessKeys: ['Active', 'Active'],
      ssh: ['Active'],
      certificates: ['Active'],
      service: ['Active'],
    });
    expect(snapshot.onboardedBy).toBe(before.users.leaver?.tags[TAG_EXECUTION]);

    // Contain: the deny on, every credential off, the password gone; nothing else changed.
    const containment = await contain(snapshot, deps);
    expect(containment.deactivated).toHaveLength(5);
    const contained = await deps.leaver.inventory('leaver');
    expect(statuses(contained)).toEqual({
      accessKeys: ['Inactive', 'Inactive'],
      ssh: ['Inactive'],
      certificates: ['Inactive'],
      service: ['Inactive'],
    });
    expect(contained?.loginProfile).toBe(false);
    expect(contained?.attachedPolicies).toContain(CONTAIN_ARN);
    const afterContain = await readAccount(iam, secretsOf(stack));
    expect(afterContain).toEqual({
      ...before,
      users: {
        ...before.users,
        leaver: {
          ...before.users.leaver,
          policies: [...(before.users.leaver?.policies ?? []), CONTAIN_ARN].sort(),
          loginProfile: false,
        },
      },
    });

    // Restore: exactly the snapshot, but for the password, which IAM never gives back.
    const restored = await restore(snapshot, deps);
    expect(restored).toMatchObject({ missing: [], loginProfile: 'needs-new-password' });
    expect(restored.reactivated).toHaveLength(5);
    const back = await deps.leaver.inventory('leaver');
    expect(back).toEqual({ ...stripSnapshot(snapshot), loginProfile: false });
    expect(await readAccount(iam, secretsOf(stack))).toEqual({
      ...before,
      users: { ...before.users, leaver: { ...before.users.leaver, loginProfile: false } },
    });

    // Contain again, then remove: the user and its secret go; the groups, policies and stayer stay.
    const second = await takeSnapshot('leaver', deps);
    expect(second.alreadyContained).toBe(false);
    await contain(second, deps);
    // A snapshot of a contained user cannot restore it (it would lift the deny, every key still off).
    const late = await takeSnapshot('leaver', deps);
    expect(late.alreadyContained).toBe(true);
    await expect(restore(late, deps)).rejects.toThrow(/taken after the user was contained/);
    expect((await deps.leaver.inventory('leaver'))?.attachedPolicies).toContain(CONTAIN_ARN);
    const removal = await removeAll(second, secretNameFor(config, 'leaver'), deps);
    expect(removal.secret).toBe('deleted');
    expect(removal.removed).toContain('user leaver');
    await verifyGone('leaver', deps);
    const after = await readAccount(iam, secretsOf(stack));
    const { leaver: _gone, ...others } = before.users;
    const { [secretNameFor(config, 'leaver')]: _secret, ...otherSecrets } = before.secrets;
    expect(after).toEqual({
      ...before,
      users: others,
      groups: {
        ...before.groups,
        analysts: { ...before.groups.analysts, members: ['stayer'] },
        'data-engineers': { ...before.groups['data-engineers'], members: ['stayer'] },
      },
      secrets: otherSecrets,
    });
    // The virtual MFA device is deleted with its user (a name left taken blocks a rehire's device).
    const devices = await iam.send(new ListVirtualMFADevicesCommand({}));
    expect(devices.VirtualMFADevices?.map((d) => d.SerialNumber)).not.toContain(serial);

    // Idempotent: a second removal (a retry, a redrive) finds nothing and succeeds.
    await expect(removeAll(second, secretNameFor(config, 'leaver'), deps)).resolves.toEqual({
      removed: [],
      secret: 'absent',
    });

    // A rehire of the same name: a new onboarding succeeds, and the name's MFA device can be made again.
    expect((await onboard(stack, hire('HR-rehire', 'leaver'))).status).toBe('SUCCEEDED');
    const again = await iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: 'leaver' }));
    expect(again.VirtualMFADevice?.SerialNumber).toBe(serial);
  });

  it('stops a failed removal with the user still contained, names what is left, and finishes on a second run', async () => {
    await leaverWithEverything('leaver');
    const snapshot = await takeSnapshot('leaver', deps);
    await contain(snapshot, deps);
    await stack.addFaults([
      {
        action: 'DeleteSSHPublicKey',
        kind: 'error',
        error: 'AccessDenied',
        count: 'always',
        caller: principalKeyId('test'),
      },
    ]);

    const failed = await removeAll(snapshot, secretNameFor(config, 'leaver'), deps).catch((e: unknown) => e);

    expect(failed).toBeInstanceOf(OffboardingIncompleteError);
    const remaining = (failed as OffboardingIncompleteError).remaining;
    // Removed in AWS's order up to the SSH keys; the rest is named, the deny among it.
    expect(remaining.some((r) => r.startsWith('SSH key '))).toBe(true);
    expect(remaining).toContain(`attached policy ${CONTAIN_ARN}`);
    expect(remaining).toContain('user leaver');
    expect(remaining.some((r) => r.startsWith('access key '))).toBe(false);
    expect(remaining.some((r) => r.startsWith('signing certificate '))).toBe(false);
    expect((failed as Error).message).toMatch(/stays contained.*Run the offboarding again/);
    const still = await deps.leaver.inventory('leaver');
    expect(statuses(still).ssh).toEqual(['Inactive']);
    expect(still?.attachedPolicies).toContain(CONTAIN_ARN);

    stack.emulator?.faults.clear();
    await removeAll(snapshot, secretNameFor(config, 'leaver'), deps);
    await verifyGone('leaver', deps);
  });
});

describe("the leaver's credentials secret", () => {
  it('is kept when the onboarding of that user did not create it (a secret of that name made by someone else)', async () => {
    // developers hands over no access key: its onboarding creates no secret.
    const dev = { ...hire('HR-dev', 'dev'), profile: 'developers', policyArns: [] };
    expect((await onboard(stack, dev)).status).toBe('SUCCEEDED');
    const name = secretNameFor(config, 'dev');
    await secretsOf(stack).send(new CreateSecretCommand({ Name: name, SecretString: 'not ours' }));
    const snapshot = await takeSnapshot('dev', deps);
    await contain(snapshot, deps);

    const removal = await removeAll(snapshot, name, deps);

    expect(removal.secret).toBe('kept');
    expect((await readAccount(iam, secretsOf(stack))).secrets[name]).toBeDefined();
    await verifyGone('dev', deps);
  });
});

describe('refusing a user this stack did not onboard', () => {
  it.each([
    ['no ownership tag', 'hand-made', {}, /carries no onboarding:execution tag/],
    [
      "another state machine's tag",
      'elsewhere',
      { [TAG_EXECUTION]: 'arn:aws:states:us-east-1:000000000000:execution:someone-elses:HR-1' },
      /an execution of another state machine/,
    ],
  ])('refuses a user with %s, changing nothing', async (_what, userName, tags, reason) => {
    await iam.send(new CreateUserCommand({ UserName: userName, Path: config.userPath }));
    for (const [Key, Value] of Object.entries(tags)) {
      await iam.send(new TagUserCommand({ UserName: userName, Tags: [{ Key, Value }] }));
    }
    await iam.send(new CreateAccessKeyCommand({ UserName: userName }));
    const before = await readAccount(iam, secretsOf(stack));

    const refused = await takeSnapshot(userName, deps).catch((e: unknown) => e);

    expect(refused).toBeInstanceOf(OffboardingRefusedError);
    expect((refused as Error).message).toMatch(reason);
    expect((refused as Error).message).toMatch(/nothing changed/);
    expect(await readAccount(iam, secretsOf(stack))).toEqual(before);
  });

  it('refuses an onboarded name moved outside the user path, and a user that does not exist', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'outsider', Path: '/elsewhere/' }));
    await expect(takeSnapshot('outsider', deps)).rejects.toThrow(/its path is \/elsewhere\//);
    await expect(takeSnapshot('nobody', deps)).rejects.toThrow(
      /does not exist: there is nothing to offboard/,
    );
  });
});

/** The inventory part of a snapshot (what the account shows), without the snapshot's own fields. */
function stripSnapshot(s: Awaited<ReturnType<typeof takeSnapshot>>) {
  const { takenAt: _t, onboardedBy: _o, alreadyContained: _c, ...inventory } = s;
  return inventory;
}
