import { call, type DeclaredCall } from '../steps/calls.ts';
import { VERIFY_CALLS } from '../steps/index.ts';
import { OFFBOARDING_LEDGER_CALLS } from './ledger.ts';

/**
 * The offboarding state machine's Task states (statemachine/offboarding.asl.yaml) and the AWS calls
 * each makes: the role checks, the local stack's call checks and the offboarding's fault matrix read
 * this list, as they read src/steps/index.ts for the onboarding. Every task that touches the account or
 * the ledger first proves its event is its execution's own (VERIFY_CALLS).
 */

/** Snapshot's read of the user and everything on it (src/gateways/leaver.ts inventory). */
export const INVENTORY_CALLS: readonly DeclaredCall[] = [
  call('iam:GetUser'),
  call('iam:GetLoginProfile'),
  call('iam:ListAccessKeys'),
  call('iam:GetAccessKeyLastUsed'),
  call('iam:ListSSHPublicKeys'),
  call('iam:ListSigningCertificates'),
  call('iam:ListServiceSpecificCredentials'),
  call('iam:ListMFADevices'),
  call('iam:ListUserPolicies'),
  call('iam:ListAttachedUserPolicies'),
  call('iam:ListGroupsForUser'),
];

/**
 * A switch or a delete refused with AccessDenied reads the user: IAM refuses a call on a user that is
 * gone (it has no tags left to match), and that is "done", not a refusal (src/gateways/leaver.ts).
 */
const GONE_CHECK = call('iam:GetUser');

const SWITCH_CALLS: readonly DeclaredCall[] = [
  GONE_CHECK,
  call('iam:UpdateAccessKey'),
  call('iam:UpdateSSHPublicKey'),
  call('iam:UpdateSigningCertificate'),
  call('iam:UpdateServiceSpecificCredential'),
];

export interface OffboardingTask {
  state: string;
  /** The serverless.yml function that runs it. */
  functionKey: string;
  calls: readonly DeclaredCall[];
}

const verified = (calls: readonly DeclaredCall[]) => [...VERIFY_CALLS, ...calls];

export const OFFBOARDING_TASKS: readonly OffboardingTask[] = [
  // Schema check of the request; no AWS access, nothing to verify against.
  { state: 'ValidateOffboarding', functionKey: 'offboardValidate', calls: [] },
  {
    state: 'Snapshot',
    functionKey: 'offboardSnapshot',
    calls: verified([...INVENTORY_CALLS, OFFBOARDING_LEDGER_CALLS.write]),
  },
  {
    state: 'Contain',
    functionKey: 'offboardContain',
    calls: verified([
      call('iam:AttachUserPolicy'),
      call('iam:TagUser'),
      ...SWITCH_CALLS,
      call('iam:DeleteLoginProfile'),
      OFFBOARDING_LEDGER_CALLS.write,
    ]),
  },
  {
    state: 'GracePeriod',
    functionKey: 'offboardAwaitGrace',
    calls: verified([OFFBOARDING_LEDGER_CALLS.write]),
  },
  {
    state: 'Restore',
    functionKey: 'offboardRestore',
    calls: verified([
      ...SWITCH_CALLS,
      call('iam:UntagUser'),
      call('iam:DetachUserPolicy'),
      OFFBOARDING_LEDGER_CALLS.write,
    ]),
  },
  {
    state: 'Remove',
    functionKey: 'offboardRemove',
    calls: verified([
      ...INVENTORY_CALLS,
      call('iam:DeleteLoginProfile'),
      call('iam:UpdateAccessKey'),
      call('iam:DeleteAccessKey'),
      call('iam:DeleteSigningCertificate'),
      call('iam:DeleteSSHPublicKey'),
      call('iam:DeleteServiceSpecificCredential'),
      call('iam:DeactivateMFADevice'),
      call('iam:DeleteVirtualMFADevice'),
      call('iam:DeleteUserPolicy'),
      call('iam:DetachUserPolicy'),
      call('iam:RemoveUserFromGroup'),
      call('iam:DeleteUser'),
      call('secretsmanager:DescribeSecret'),
      call('secretsmanager:DeleteSecret'),
    ]),
  },
  {
    state: 'Verify',
    functionKey: 'offboardVerify',
    calls: verified([...INVENTORY_CALLS, OFFBOARDING_LEDGER_CALLS.write]),
  },
];

export const offboardingTaskOf = (state: string) => OFFBOARDING_TASKS.find((t) => t.state === state);
