import { generateKeyPairSync } from 'node:crypto';
import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreateServiceSpecificCredentialCommand,
  CreateVirtualMFADeviceCommand,
  EnableMFADeviceCommand,
  PutUserPolicyCommand,
  UploadSigningCertificateCommand,
  UploadSSHPublicKeyCommand,
} from '@aws-sdk/client-iam';
import { expect } from 'vitest';
import { timeStep, totp } from '../../packages/aws-emulator/src/iam/totp.ts';
import { CERTIFICATE_1 } from '../../packages/aws-emulator/test/certificates.ts';
import type { Stack } from '../../src/local/stack.ts';
import { TEST_HIRE_RECIPIENT } from '../fixtures/hire-key.ts';
import { iamOf, onboard } from './local-stack.ts';

/**
 * A leaver as the offboarding tests need one: onboarded by this stack (data-engineers: login profile,
 * access key, the group, ReadOnlyAccess), then given one of every other kind of attachment a member of
 * staff may have - a second key, a virtual MFA device, an SSH key, a signing certificate, a
 * service-specific credential, an inline policy, and a second group (`analysts`, at `otherGroupPath`).
 */

export const hire = (requestId: string, userName: string) => ({
  requestId,
  userName,
  profile: 'data-engineers',
  contact: { recipient: TEST_HIRE_RECIPIENT },
  policyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
});

/** Returns the virtual MFA device's serial. */
export async function giveEverything(
  stack: Stack,
  userName: string,
  { otherGroupPath = '/' }: { otherGroupPath?: string } = {},
): Promise<string> {
  const iam = iamOf(stack);
  expect((await onboard(stack, hire(`HR-${userName}`, userName))).status).toBe('SUCCEEDED');
  await iam.send(new CreateAccessKeyCommand({ UserName: userName }));
  const device = await iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: userName }));
  const serial = device.VirtualMFADevice?.SerialNumber ?? '';
  const seed = Buffer.from(device.VirtualMFADevice?.Base32StringSeed ?? new Uint8Array()).toString('utf8');
  const step = timeStep();
  await iam.send(
    new EnableMFADeviceCommand({
      UserName: userName,
      SerialNumber: serial,
      AuthenticationCode1: totp(seed, step - 1),
      AuthenticationCode2: totp(seed, step),
    }),
  );
  const sshBody = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({
    format: 'pem',
    type: 'spki',
  }) as string;
  await iam.send(new UploadSSHPublicKeyCommand({ UserName: userName, SSHPublicKeyBody: sshBody }));
  await iam.send(new UploadSigningCertificateCommand({ UserName: userName, CertificateBody: CERTIFICATE_1 }));
  await iam.send(
    new CreateServiceSpecificCredentialCommand({
      UserName: userName,
      ServiceName: 'codecommit.amazonaws.com',
    }),
  );
  await iam.send(
    new PutUserPolicyCommand({
      UserName: userName,
      PolicyName: 'own-bucket',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${userName}/*` }],
      }),
    }),
  );
  await iam
    .send(new CreateGroupCommand({ GroupName: 'analysts', Path: otherGroupPath }))
    .catch(() => undefined);
  await iam.send(
    new AttachGroupPolicyCommand({
      GroupName: 'analysts',
      PolicyArn: 'arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess',
    }),
  );
  await iam.send(new AddUserToGroupCommand({ UserName: userName, GroupName: 'analysts' }));
  return serial;
}
