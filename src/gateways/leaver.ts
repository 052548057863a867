import {
  AttachUserPolicyCommand,
  DeactivateMFADeviceCommand,
  DeleteAccessKeyCommand,
  DeleteLoginProfileCommand,
  DeleteServiceSpecificCredentialCommand,
  DeleteSigningCertificateCommand,
  DeleteSSHPublicKeyCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  DeleteVirtualMFADeviceCommand,
  DetachUserPolicyCommand,
  GetAccessKeyLastUsedCommand,
  GetLoginProfileCommand,
  GetUserCommand,
  type IAMClient,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupsForUserCommand,
  ListMFADevicesCommand,
  ListServiceSpecificCredentialsCommand,
  ListSigningCertificatesCommand,
  ListSSHPublicKeysCommand,
  ListUserPoliciesCommand,
  RemoveUserFromGroupCommand,
  TagUserCommand,
  UntagUserCommand,
  UpdateAccessKeyCommand,
  UpdateServiceSpecificCredentialCommand,
  UpdateSigningCertificateCommand,
  UpdateSSHPublicKeyCommand,
} from '@aws-sdk/client-iam';
import { callAws, isAccessDenied, isAwsError, toDomainError } from '../aws/errors.ts';
import { InvalidInputError } from '../errors.ts';
import { collect, fromTags } from './iam.ts';

/**
 * The IAM verbs of the offboarding saga (src/offboarding/): reading everything a user carries, switching
 * each credential off and on again, and removing it. Every delete answers false when there was nothing
 * to delete (NoSuchEntity, or AccessDenied on a user that is gone - see `isAccessDenied`), so that each
 * step is idempotent; every other error is the domain's (`toDomainError`).
 */

export type CredentialStatus = 'Active' | 'Inactive';

export interface LeaverCredential {
  id: string;
  status: CredentialStatus;
}

export interface LeaverAccessKey extends LeaverCredential {
  createdAt?: string;
  /** GetAccessKeyLastUsed: when and where the key was last used, if ever. */
  lastUsedAt?: string;
  lastUsedService?: string;
}

export interface LeaverServiceCredential extends LeaverCredential {
  /** e.g. codecommit.amazonaws.com */
  service: string;
  serviceUserName?: string;
}

export interface LeaverMfaDevice {
  serial: string;
  /** A virtual device's serial is its ARN (arn:aws:iam::<account>:mfa/<name>); hardware serials are not. */
  virtual: boolean;
}

/** Everything attached to a user, as the offboarding's Snapshot reads it. */
export interface LeaverInventory {
  user: { name: string; arn: string; userId: string; path: string; tags: Record<string, string> };
  loginProfile: boolean;
  accessKeys: LeaverAccessKey[];
  sshPublicKeys: LeaverCredential[];
  signingCertificates: LeaverCredential[];
  serviceSpecificCredentials: LeaverServiceCredential[];
  mfaDevices: LeaverMfaDevice[];
  inlinePolicies: string[];
  attachedPolicies: string[];
  groups: string[];
}

export interface LeaverGateway {
  /** Undefined when there is no such user. Reads every list above (all pages) and each key's last use. */
  inventory(userName: string): Promise<LeaverInventory | undefined>;

  updateAccessKey(user: string, id: string, status: CredentialStatus): Promise<boolean>;
  deleteAccessKey(user: string, id: string): Promise<boolean>;
  updateSshPublicKey(user: string, id: string, status: CredentialStatus): Promise<boolean>;
  deleteSshPublicKey(user: string, id: string): Promise<boolean>;
  updateSigningCertificate(user: string, id: string, status: CredentialStatus): Promise<boolean>;
  deleteSigningCertificate(user: string, id: string): Promise<boolean>;
  updateServiceSpecificCredential(user: string, id: string, status: CredentialStatus): Promise<boolean>;
  deleteServiceSpecificCredential(user: string, id: string): Promise<boolean>;
  /** False when there was no login profile. */
  deleteLoginProfile(user: string): Promise<boolean>;
  /** False when the device was not (or no longer) attached to the user. */
  deactivateMfaDevice(user: string, serial: string): Promise<boolean>;
  /** Only for a virtual device (its serial is an ARN); false when it is gone. */
  deleteVirtualMfaDevice(serial: string): Promise<boolean>;
  deleteUserPolicy(user: string, name: string): Promise<boolean>;
  attachUserPolicy(user: string, policyArn: string): Promise<void>;
  tagUser(user: string, key: string, value: string): Promise<void>;
  /** False when the user is gone. */
  untagUser(user: string, key: string): Promise<boolean>;
  detachUserPolicy(user: string, policyArn: string): Promise<boolean>;
  removeUserFromGroup(user: string, group: string): Promise<boolean>;
  /**
   * False when there was no such user. IAM refuses with DeleteConflict while anything is still attached,
   * and sometimes for a moment after (eventual consistency): that is a ConflictError, for the caller to
   * retry or report.
   */
  deleteUser(user: string): Promise<boolean>;
}

/** `LeaverGateway` over IAM, in the style of `SdkIamGateway`: domain verbs, domain errors, every page read. */
export class SdkLeaverGateway implements LeaverGateway {
  constructor(private readonly client: IAMClient) {}

  /** Every page of a Marker/IsTruncated listing. */
  private list<O extends { IsTruncated?: boolean; Marker?: string }, T>(
    what: string,
    send: (marker: string | undefined) => Promise<O>,
    items: (out: O) => T[],
  ): Promise<T[]> {
    return collect(async (marker) => {
      const out = await callAws(what, () => send(marker));
      return { items: items(out), marker: out.IsTruncated ? out.Marker : undefined };
    });
  }

  private async getUser(name: string) {
    try {
      const { User } = await this.client.send(new GetUserCommand({ UserName: name }));
      return User;
    } catch (error) {
      if (isAwsError(error, 'NoSuchEntity')) return undefined;
      throw toDomainError(error, `GetUser ${name}`);
    }
  }

  /**
   * A delete or an update of something on `user`: false when it is gone (NoSuchEntity, or AccessDenied
   * on a user that is gone - see `isAccessDenied`), every other error the domain's.
   */
  private async change(what: string, user: string, send: () => Promise<unknown>): Promise<boolean> {
    try {
      await send();
      return true;
    } catch (error) {
      if (isAwsError(error, 'NoSuchEntity')) return false;
      if (isAccessDenied(error) && !(await this.getUser(user))) return false;
      throw toDomainError(error, what);
    }
  }

  async inventory(userName: string): Promise<LeaverInventory | undefined> {
    const user = await this.getUser(userName);
    if (!user) return undefined;
    const UserName = userName;
    const [
      loginProfile,
      keys,
      sshPublicKeys,
      signingCertificates,
      serviceSpecificCredentials,
      mfaDevices,
      inlinePolicies,
      attachedPolicies,
      groups,
    ] = await Promise.all([
      this.hasLoginProfile(userName),
      this.list(
        `ListAccessKeys ${userName}`,
        (Marker) => this.client.send(new ListAccessKeysCommand({ UserName, Marker })),
        (out) => out.AccessKeyMetadata ?? [],
      ),
      this.list(
        `ListSSHPublicKeys ${userName}`,
        (Marker) => this.client.send(new ListSSHPublicKeysCommand({ UserName, Marker })),
        (out) =>
          (out.SSHPublicKeys ?? []).map((k) => credential(k.SSHPublicKeyId, k.Status as CredentialStatus)),
      ),
      this.list(
        `ListSigningCertificates ${userName}`,
        (Marker) => this.client.send(new ListSigningCertificatesCommand({ UserName, Marker })),
        (out) =>
          (out.Certificates ?? []).map((c) => credential(c.CertificateId, c.Status as CredentialStatus)),
      ),
      this.list(
        `ListServiceSpecificCredentials ${userName}`,
        (Marker) => this.client.send(new ListServiceSpecificCredentialsCommand({ UserName, Marker })),
        (out) =>
          (out.ServiceSpecificCredentials ?? []).map(
            (c): LeaverServiceCredential => ({
              ...credential(c.ServiceSpecificCredentialId, c.Status as CredentialStatus),
              service: c.ServiceName ?? '',
              ...(c.ServiceUserName ? { serviceUserName: c.ServiceUserName } : {}),
            }),
          ),
      ),
      this.list(
        `ListMFADevices ${userName}`,
        (Marker) => this.client.send(new ListMFADevicesCommand({ UserName, Marker })),
        (out) =>
          (out.MFADevices ?? []).map((d) => {
            const serial = d.SerialNumber ?? '';
            return { serial, virtual: serial.startsWith('arn:') };
          }),
      ),
      this.list(
        `ListUserPolicies ${userName}`,
        (Marker) => this.client.send(new ListUserPoliciesCommand({ UserName, Marker })),
        (out) => out.PolicyNames ?? [],
      ),
      this.list(
        `ListAttachedUserPolicies ${userName}`,
        (Marker) => this.client.send(new ListAttachedUserPoliciesCommand({ UserName, Marker })),
        (out) => (out.AttachedPolicies ?? []).map((p) => p.PolicyArn ?? ''),
      ),
      this.list(
        `ListGroupsForUser ${userName}`,
        (Marker) => this.client.send(new ListGroupsForUserCommand({ UserName, Marker })),
        (out) => (out.Groups ?? []).map((g) => g.GroupName ?? ''),
      ),
    ]);
    const accessKeys = await Promise.all(
      keys.map(async (k): Promise<LeaverAccessKey> => {
        const id = k.AccessKeyId ?? '';
        const { AccessKeyLastUsed: used } = await callAws(`GetAccessKeyLastUsed ${id}`, () =>
          this.client.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: id })),
        );
        // A key never used answers ServiceName (and Region) "N/A" and no date.
        const service = used?.ServiceName && used.ServiceName !== 'N/A' ? used.ServiceName : undefined;
        return {
          id,
          status: k.Status as CredentialStatus,
          ...(k.CreateDate ? { createdAt: k.CreateDate.toISOString() } : {}),
          ...(used?.LastUsedDate ? { lastUsedAt: used.LastUsedDate.toISOString() } : {}),
          ...(service ? { lastUsedService: service } : {}),
        };
      }),
    );
    return {
      user: {
        name: user.UserName ?? userName,
        arn: user.Arn ?? '',
        userId: user.UserId ?? '',
        path: user.Path ?? '/',
        tags: fromTags(user.Tags),
      },
      loginProfile,
      accessKeys,
      sshPublicKeys,
      signingCertificates,
      serviceSpecificCredentials,
      mfaDevices,
      inlinePolicies,
      attachedPolicies,
      groups,
    };
  }

  private async hasLoginProfile(user: string): Promise<boolean> {
    try {
      await this.client.send(new GetLoginProfileCommand({ UserName: user }));
      return true;
    } catch (error) {
      if (isAwsError(error, 'NoSuchEntity')) return false;
      throw toDomainError(error, `GetLoginProfile ${user}`);
    }
  }

  updateAccessKey(user: string, id: string, status: CredentialStatus): Promise<boolean> {
    return this.change(`UpdateAccessKey ${user} ${id}`, user, () =>
      this.client.send(new UpdateAccessKeyCommand({ UserName: user, AccessKeyId: id, Status: status })),
    );
  }

  deleteAccessKey(user: string, id: string): Promise<boolean> {
    return this.change(`DeleteAccessKey ${user} ${id}`, user, () =>
      this.client.send(new DeleteAccessKeyCommand({ UserName: user, AccessKeyId: id })),
    );
  }

  updateSshPublicKey(user: string, id: string, status: CredentialStatus): Promise<boolean> {
    return this.change(`UpdateSSHPublicKey ${user} ${id}`, user, () =>
      this.client.send(new UpdateSSHPublicKeyCommand({ UserName: user, SSHPublicKeyId: id, Status: status })),
    );
  }

  deleteSshPublicKey(user: string, id: string): Promise<boolean> {
    return this.change(`DeleteSSHPublicKey ${user} ${id}`, user, () =>
      this.client.send(new DeleteSSHPublicKeyCommand({ UserName: user, SSHPublicKeyId: id })),
    );
  }

  updateSigningCertificate(user: string, id: string, status: CredentialStatus): Promise<boolean> {
    return this.change(`UpdateSigningCertificate ${user} ${id}`, user, () =>
      this.client.send(
        new UpdateSigningCertificateCommand({ UserName: user, CertificateId: id, Status: status }),
      ),
    );
  }

  deleteSigningCertificate(user: string, id: string): Promise<boolean> {
    return this.change(`DeleteSigningCertificate ${user} ${id}`, user, () =>
      this.client.send(new DeleteSigningCertificateCommand({ UserName: user, CertificateId: id })),
    );
  }

  updateServiceSpecificCredential(user: string, id: string, status: CredentialStatus): Promise<boolean> {
    return this.change(`UpdateServiceSpecificCredential ${user} ${id}`, user, () =>
      this.client.send(
        new UpdateServiceSpecificCredentialCommand({
          UserName: user,
          ServiceSpecificCredentialId: id,
          Status: status,
        }),
      ),
    );
  }

  deleteServiceSpecificCredential(user: string, id: string): Promise<boolean> {
    return this.change(`DeleteServiceSpecificCredential ${user} ${id}`, user, () =>
      this.client.send(
        new DeleteServiceSpecificCredentialCommand({ UserName: user, ServiceSpecificCredentialId: id }),
      ),
    );
  }

  /** EntityTemporarilyUnmodifiable (a profile still propagating) stays the domain's error: it is retried. */
  deleteLoginProfile(user: string): Promise<boolean> {
    return this.change(`DeleteLoginProfile ${user}`, user, () =>
      this.client.send(new DeleteLoginProfileCommand({ UserName: user })),
    );
  }

  deactivateMfaDevice(user: string, serial: string): Promise<boolean> {
    return this.change(`DeactivateMFADevice ${user} ${serial}`, user, () =>
      this.client.send(new DeactivateMFADeviceCommand({ UserName: user, SerialNumber: serial })),
    );
  }

  async deleteVirtualMfaDevice(serial: string): Promise<boolean> {
    // A hardware device's serial is not an ARN: there is no virtual device to delete, only to deactivate.
    if (!serial.startsWith('arn:')) {
      throw new InvalidInputError(
        `DeleteVirtualMFADevice ${serial}: not a virtual device (its serial is no ARN)`,
      );
    }
    try {
      await this.client.send(new DeleteVirtualMFADeviceCommand({ SerialNumber: serial }));
      return true;
    } catch (error) {
      if (isAwsError(error, 'NoSuchEntity')) return false;
      throw toDomainError(error, `DeleteVirtualMFADevice ${serial}`);
    }
  }

  async tagUser(user: string, key: string, value: string): Promise<void> {
    await callAws(`TagUser ${user} ${key}`, () =>
      this.client.send(new TagUserCommand({ UserName: user, Tags: [{ Key: key, Value: value }] })),
    );
  }

  untagUser(user: string, key: string): Promise<boolean> {
    return this.change(`UntagUser ${user} ${key}`, user, () =>
      this.client.send(new UntagUserCommand({ UserName: user, TagKeys: [key] })),
    );
  }

  async attachUserPolicy(user: string, policyArn: string): Promise<void> {
    await callAws(`AttachUserPolicy ${user} ${policyArn}`, () =>
      this.client.send(new AttachUserPolicyCommand({ UserName: user, PolicyArn: policyArn })),
    );
  }

  deleteUserPolicy(user: string, name: string): Promise<boolean> {
    return this.change(`DeleteUserPolicy ${user} ${name}`, user, () =>
      this.client.send(new DeleteUserPolicyCommand({ UserName: user, PolicyName: name })),
    );
  }

  detachUserPolicy(user: string, policyArn: string): Promise<boolean> {
    return this.change(`DetachUserPolicy ${user} ${policyArn}`, user, () =>
      this.client.send(new DetachUserPolicyCommand({ UserName: user, PolicyArn: policyArn })),
    );
  }

  removeUserFromGroup(user: string, group: string): Promise<boolean> {
    return this.change(`RemoveUserFromGroup ${user} ${group}`, user, () =>
      this.client.send(new RemoveUserFromGroupCommand({ UserName: user, GroupName: group })),
    );
  }

  /** DeleteConflict (something still attached, or just removed) is a ConflictError, left to the caller. */
  deleteUser(user: string): Promise<boolean> {
    return this.change(`DeleteUser ${user}`, user, () =>
      this.client.send(new DeleteUserCommand({ UserName: user })),
    );
  }
}

const credential = (id: string | undefined, status: CredentialStatus): LeaverCredential => ({
  id: id ?? '',
  status,
});
