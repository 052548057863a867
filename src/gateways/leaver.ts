import type { PolicyDocument } from '../deploy/roles.ts';

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
  /** The inline policy's document (decoded), undefined when there is none of that name. */
  getUserPolicy(user: string, name: string): Promise<PolicyDocument | undefined>;
  putUserPolicy(user: string, name: string, document: PolicyDocument): Promise<void>;
  deleteUserPolicy(user: string, name: string): Promise<boolean>;
  detachUserPolicy(user: string, policyArn: string): Promise<boolean>;
  removeUserFromGroup(user: string, group: string): Promise<boolean>;
  /**
   * False when there was no such user. IAM refuses with DeleteConflict while anything is still attached,
   * and sometimes for a moment after (eventual consistency): that is a ConflictError, for the caller to
   * retry or report.
   */
  deleteUser(user: string): Promise<boolean>;
}
