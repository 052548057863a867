import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreateLoginProfileCommand,
  CreateServiceLinkedRoleCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteGroupCommand,
  DeleteLoginProfileCommand,
  DeleteServiceLinkedRoleCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  DetachGroupPolicyCommand,
  DetachUserPolicyCommand,
  GetAccountPasswordPolicyCommand,
  GetGroupCommand,
  GetPolicyCommand,
  GetServiceLinkedRoleDeletionStatusCommand,
  GetUserCommand,
  type IAMClient,
  ListAccessKeysCommand,
  ListAccountAliasesCommand,
  ListAttachedGroupPoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupsForUserCommand,
  ListRolesCommand,
  ListUserPoliciesCommand,
  RemoveUserFromGroupCommand,
  type Tag,
  UpdateLoginProfileCommand,
} from '@aws-sdk/client-iam';
import { awsErrorName, callAws, isAccessDenied, isAwsError, toDomainError } from '../aws/errors.ts';
import { NotYetVisibleError } from '../errors.ts';

/** IAM as the onboarding sees it: domain verbs, domain errors, no SDK types leaking out. */

export type Tags = Record<string, string>;

export interface UserInfo {
  name: string;
  arn: string;
  userId: string;
  path: string;
  tags: Tags;
  permissionsBoundaryArn?: string;
}

export interface GroupInfo {
  name: string;
  arn: string;
  path: string;
}

export interface RoleInfo {
  name: string;
  arn: string;
  description: string;
  tags: Tags;
}

export type CreateResult<T> = { created: true; value: T } | { created: false };

export interface AccessKeyInfo {
  accessKeyId: string;
  status: string;
}

/** The secret half of a fresh key: handed straight to the secret store, never returned by a step. */
export interface NewAccessKey {
  accessKeyId: string;
  secretAccessKey: string;
}

export type DeletionStatus = 'SUCCEEDED' | 'IN_PROGRESS' | 'FAILED' | 'NOT_STARTED';

/** The account's password rules, as far as a generated password must meet them. */
export interface PasswordRules {
  minimumLength: number;
  requireSymbols: boolean;
  requireNumbers: boolean;
  requireUppercase: boolean;
  requireLowercase: boolean;
}

/**
 * IAM's default when the account sets no policy (GetAccountPasswordPolicy answers NoSuchEntity): at
 * least 8 characters and three of the four character types - a generated password has all four.
 */
export const AWS_DEFAULT_PASSWORD_RULES: PasswordRules = {
  minimumLength: 8,
  requireSymbols: true,
  requireNumbers: true,
  requireUppercase: true,
  requireLowercase: true,
};

export interface IamGateway {
  getUser(name: string): Promise<UserInfo | undefined>;
  /** `created: false` when the name is taken (EntityAlreadyExists). */
  createUser(input: {
    name: string;
    path: string;
    boundaryArn: string;
    tags: Tags;
  }): Promise<CreateResult<UserInfo>>;
  /** False when there was no such user (NoSuchEntity, or AccessDenied on a user that is gone). */
  deleteUser(name: string): Promise<boolean>;
  groupExists(name: string): Promise<GroupInfo | undefined>;
  createGroup(name: string, path: string): Promise<CreateResult<GroupInfo>>;
  /**
   * 'deleted', 'absent' (NoSuchEntity, or AccessDenied on a group that is gone), or 'in-use' when IAM
   * refuses (DeleteConflict: members or policies).
   */
  deleteGroup(name: string): Promise<'deleted' | 'absent' | 'in-use'>;
  /** The group's members' names, or undefined when there is no such group. */
  groupMembers(name: string): Promise<string[] | undefined>;
  addUserToGroup(user: string, group: string): Promise<void>;
  removeUserFromGroup(user: string, group: string): Promise<boolean>;
  listGroupsForUser(user: string): Promise<string[]>;
  listAttachedGroupPolicies(group: string): Promise<string[]>;
  attachGroupPolicy(group: string, policyArn: string): Promise<void>;
  detachGroupPolicy(group: string, policyArn: string): Promise<boolean>;
  attachUserPolicy(user: string, policyArn: string): Promise<void>;
  /** False when the policy was not attached (or there is no such user). */
  detachUserPolicy(user: string, policyArn: string): Promise<boolean>;
  policyExists(policyArn: string): Promise<boolean>;
  findServiceLinkedRole(service: string): Promise<RoleInfo | undefined>;
  /** `created: false` when the role exists already (IAM answers InvalidInput "has been taken"). */
  createServiceLinkedRole(service: string, description: string): Promise<CreateResult<RoleInfo>>;
  /**
   * Starts the deletion: its task id, or undefined when there was no such role. The service is where
   * the role is read back when the deletion is refused (see `isAccessDenied`).
   */
  deleteServiceLinkedRole(role: { name: string; service: string }): Promise<string | undefined>;
  serviceLinkedRoleDeletionStatus(taskId: string): Promise<{ status: DeletionStatus; reason?: string }>;
  createAccessKey(user: string): Promise<NewAccessKey>;
  listAccessKeys(user: string): Promise<AccessKeyInfo[]>;
  deleteAccessKey(user: string, accessKeyId: string): Promise<boolean>;
  /** The account's password policy, or AWS's default one when none is set. */
  passwordRules(): Promise<PasswordRules>;
  /** The account alias (the sign-in URL's name), if it has one. */
  accountAlias(): Promise<string | undefined>;
  /** False when the user has a login profile already (EntityAlreadyExists). */
  createLoginProfile(user: string, password: string): Promise<boolean>;
  /** A new one-time password on an existing profile, to be reset at the next sign-in. */
  updateLoginProfile(user: string, password: string): Promise<void>;
  /** False when there was none (NoSuchEntity, or AccessDenied on a user that is gone). */
  deleteLoginProfile(user: string): Promise<boolean>;
  /** Removes everything that keeps IAM from deleting a user: only ever called on a user proven ours. */
  detachEverythingFromUser(user: string): Promise<string[]>;
}

/** An SDK error reduced to what may be logged: a call that carried a password must not carry it on. */
function withoutRequest(error: unknown) {
  const e = error as { name?: string; Code?: string; message?: string; $fault?: string; $metadata?: unknown };
  return { name: e.name, Code: e.Code, message: e.message, $fault: e.$fault, $metadata: e.$metadata };
}

const toTags = (tags: Tags): Tag[] => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
export const fromTags = (tags: Tag[] | undefined): Tags =>
  Object.fromEntries((tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));

export async function collect<T>(
  page: (marker?: string) => Promise<{ items: T[]; marker?: string }>,
): Promise<T[]> {
  const all: T[] = [];
  let marker: string | undefined;
  do {
    const result = await page(marker);
    all.push(...result.items);
    marker = result.marker;
  } while (marker);
  return all;
}

export class SdkIamGateway implements IamGateway {
  constructor(private readonly client: IAMClient) {}

  async getUser(name: string): Promise<UserInfo | undefined> {
    try {
      const { User } = await this.client.send(new GetUserCommand({ UserName: name }));
      if (!User) return undefined;
      // GetUser returns the user's tags (AWS, LocalStack, moto and the emulator all do).
      const tags = fromTags(User.Tags);
      return {
        name: User.UserName ?? name,
        arn: User.Arn ?? '',
        userId: User.UserId ?? '',
        path: User.Path ?? '/',
        tags,
        ...(User.PermissionsBoundary?.PermissionsBoundaryArn
          ? { permissionsBoundaryArn: User.PermissionsBoundary.PermissionsBoundaryArn }
          : {}),
      };
    } catch (error) {
      if (isAwsError(error, 'NoSuchEntity', 'NoSuchEntityException')) return undefined;
      throw toDomainError(error, `GetUser ${name}`);
    }
  }

  async createUser(input: { name: string; path: string; boundaryArn: string; tags: Tags }) {
    try {
      const { User } = await this.client.send(
        new CreateUserCommand({
          UserName: input.name,
          Path: input.path,
          PermissionsBoundary: input.boundaryArn,
          Tags: toTags(input.tags),
        }),
      );
      return {
        created: true as const,
        value: {
          name: User?.UserName ?? input.name,
          arn: User?.Arn ?? '',
          userId: User?.UserId ?? '',
          path: User?.Path ?? input.path,
          tags: input.tags,
          permissionsBoundaryArn: input.boundaryArn,
        },
      };
    } catch (error) {
      if (isAwsError(error, 'EntityAlreadyExists')) return { created: false as const };
      throw toDomainError(error, `CreateUser ${input.name}`);
    }
  }

  async deleteUser(name: string): Promise<boolean> {
    try {
      await this.client.send(new DeleteUserCommand({ UserName: name }));
      return true;
    } catch (error) {
      if (isAwsError(error, 'NoSuchEntity')) return false;
      if (isAccessDenied(error) && !(await this.getUser(name))) return false;
      throw toDomainError(error, `DeleteUser ${name}`);
    }
  }

  async groupExists(name: string): Promise<GroupInfo | undefined> {
    try {
      const { Group } = await this.client.send(new GetGroupCommand({ GroupName: name, MaxItems: 1 }));
      return { name: Group?.GroupName ?? name, arn: Group?.Arn ?? '', path: Group?.Path ?? '/' };
    } catch (error) {
      if (isAwsError(error, 'NoSuchEntity')) return undefined;
      throw toDomainError(error, `GetGroup ${name}`);
    }
  }

  async groupMembers(name: string): Promise<string[] | undefined> {
    try {
      return await collect(async (marker) => {
        const out = await this.client.send(
          new GetGroupCommand({ GroupName: name, ...(marker ? { Marker: marker } : {}) }),
        );
        return {
          items: (out.Users ?? []).map((u) => u.UserName ?? ''),
          ...(out.IsTruncated && out.Marker ? { marker: out.Marker } : {}),
        };
      });
    } catch (error) {
      if (isAwsError(error, 'NoSuchEntity')) return undefined;
      throw toDomainError(error, `GetGroup ${name}`);
    }
  }

  async createGroup(name: string, path: string) {
    try {
      const { Group } = await this.client.send(new CreateGroupCommand({ GroupName: name, Path: path }));
      return {
        created: true as const,
        value: { name: Group?.GroupName ?? name, arn: Group?.Arn ?? '', path: Group?.Path ?? path },
      };
    } catch (error) {
      if (isAwsError(error, 'EntityAlreadyExists')) return { created: false as const };
      throw toDomainError(error, `CreateGroup ${name}`);
    }
  }

  async deleteGroup(name: string): Promise<'deleted' | 'absent' | 'in-use'> {
    try {
      await this.client.send(new DeleteGroupCommand({ GroupName: name }));
      return 'deleted';
    } catch (error) {
      if (isAwsError(error, 'NoSuchEntity')) return 'absent';
      if (isAwsError(error, 'DeleteConflict')) return 'in-use';
      if (isAccessDenied(error) && !(await this.groupExists(name))) return 'absent';
      throw toDomainError(error, `DeleteGroup ${name}`);
    }
  }

  async addUserToGroup(user: string, group: string): Promise<void> {
    try {
      await this.client.send(new AddUserToGroupCommand({ UserName: user, GroupName: group }));
    } catch (error) {
      // IAM is eventually consistent: a user or group created a moment ago can be NoSuchEntity here.
      if (isAwsError(error, 'NoSuchEntity')) {
        throw new NotYetVisibleError(`AddUserToGroup ${user} ${group}: ${(error as Error).message}`, {
          cause: error,
        });
      }
      throw toDomainError(error, `AddUserToGroup ${user} ${group}`);
    }
  }

  async removeUserFromGroup(user: string, group: string): Promise<boolean> {
    try {
      await this.client.send(new RemoveUserFromGroupCommand({ UserName: user, GroupName: group }));
      return true;
    } catch (error) {
      if (isAwsError(error, 'NoSuchEntity')) return false;
      throw toDomainError(error, `RemoveUserFromGroup ${user} ${group}`);
    }
  }

  async listGroupsForUser(user: string): Promise<string[]> {
    return collect(async (Marker) => {
      const out = await callAws(`ListGroupsForUser ${user}`, () =>
        this.client.send(new ListGroupsForUserCommand({ UserName: user, Marker })),
      );
      return {
        items: (out.Groups ?? []).map((g) => g.GroupName ?? ''),
        marker: out.IsTruncated ? out.Marker : undefined,
      };
    });
  }

  async listAttachedGroupPolicies(group: string): Promise<string[]> {
    return collect(async (Marker) => {
      const out = await callAws(`ListAttachedGroupPolicies ${group}`, () =>
        this.client.send(new ListAttachedGroupPoliciesCommand({ GroupName: group, Marker })),
      );
      return {
        items: (out.AttachedPolicies ?? []).map((p) => p.PolicyArn ?? ''),
        marker: out.IsTruncated ? out.Marker : undefined,
      };
    });
  }

  async attachGroupPolicy(group: string, policyArn: string): Promise<void> {
    try {
      await this.client.send(new AttachGroupPolicyCommand({ GroupName: group, PolicyArn: policyArn }));
    } catch (error) {
      if (isAwsError(error, 'NoSuchEntity')) {
        throw new NotYetVisibleError(`AttachGroupPolicy ${group} ${policyArn}: ${(error as Error).message}`, {
          cause: error,
        });
      }
      throw toDomainError(error, `AttachGroupPolicy ${group} ${policyArn}`);
    }
  }

  async detachGroupPolicy(group: string, policyArn: string): Promise<boolean> {
    try {
      await this.client.send(new DetachGroupPolicyCommand({ GroupName: group, PolicyArn: policyArn }));
      return true;
    } catch (error) {
      if (isAwsError(error, 'NoSuchEntity')) return false;
      throw toDomainError(error, `DetachGroupPolicy ${group} ${policyArn}`);
    }
  }

  async attachUserPolicy(user: string, policyArn: string): Promise<void> {
    try {
      await this.client.send(new AttachUserPolicyCommand({ UserName: user, PolicyArn: policyArn }));
    } catch (error) {
      // IAM is eventually consistent: a user created a moment ago can be NoSuchEntity briefly.
      if (isAwsError(error, 'NoSuchEntity')) {
        throw new NotYetVisibleError(`AttachUserPolicy ${user} ${policyArn}: ${(error as Error).message}`, {
          cause: error,
        });
      }
      throw toDomainError(error, `AttachUserPolicy ${user} ${policyArn}`);
    }
  }

  async detachUserPolicy(user: string, policyArn: string): Promise<boolean> {
    try {
      await this.client.send(new DetachUserPolicyCommand({ UserName: user, PolicyArn: policyArn }));
      return true;
    } catch (error) {
      if (isAwsError(error, 'NoSuchEntity')) return false;
      throw toDomainError(error, `DetachUserPolicy ${user} ${policyArn}`);
    }
  }

  async policyExists(policyArn: string): Promise<boolean> {
    try {
      await this.client.send(new GetPolicyCommand({ PolicyArn: policyArn }));
      return true;
    } catch (error) {
      if (isAwsError(error, 'NoSuchEntity')) return false;
      throw toDomainError(error, `GetPolicy ${policyArn}`);
    }
  }

  async findServiceLinkedRole(service: string): Promise<RoleInfo | undefined> {
    // The role's name is the service's choice (and emulators differ): read it from the API.
    const roles = await collect(async (Marker) => {
      const out = await callAws(`ListRoles /aws-service-role/${service}/`, () =>
        this.client.send(new ListRolesCommand({ PathPrefix: `/aws-service-role/${service}/`, Marker })),
      );
      return { items: out.Roles ?? [], marker: out.IsTruncated ? out.Marker : undefined };
    });
    const role = roles[0];
    if (!role?.RoleName) return undefined;
    return {
      name: role.RoleName,
      arn: role.Arn ?? '',
      description: role.Description ?? '',
      tags: fromTags(role.Tags),
    };
  }

  async createServiceLinkedRole(service: string, description: string) {
    try {
      const { Role } = await this.client.send(
        new CreateServiceLinkedRoleCommand({ AWSServiceName: service, Description: description }),
      );
      return {
        created: true as const,
        value: {
          name: Role?.RoleName ?? '',
          arn: Role?.Arn ?? '',
          description: Role?.Description ?? description,
          tags: fromTags(Role?.Tags),
        },
      };
    } catch (error) {
      // IAM answers InvalidInput "... has been taken in this account"; some emulators EntityAlreadyExists.
      const taken =
        isAwsError(error, 'EntityAlreadyExists') ||
        (awsErrorName(error) === 'InvalidInput' && /has been taken/i.test((error as Error).message));
      if (taken) return { created: false as const };
      throw toDomainError(error, `CreateServiceLinkedRole ${service}`);
    }
  }

  async deleteServiceLinkedRole(role: { name: string; service: string }): Promise<string | undefined> {
    try {
      const out = await this.client.send(new DeleteServiceLinkedRoleCommand({ RoleName: role.name }));
      return out.DeletionTaskId;
    } catch (error) {
      if (isAwsError(error, 'NoSuchEntity')) return undefined;
      // The re-read is the list by the service's path (ListRoles, authorized on "*"): GetRole of a role
      // that is gone is evaluated on `role/<name>`, outside `role/aws-service-role/<service>/*`.
      if (isAccessDenied(error) && (await this.findServiceLinkedRole(role.service))?.name !== role.name)
        return undefined;
      throw toDomainError(error, `DeleteServiceLinkedRole ${role.name}`);
    }
  }

  async serviceLinkedRoleDeletionStatus(taskId: string) {
    const out = await callAws(`GetServiceLinkedRoleDeletionStatus ${taskId}`, () =>
      this.client.send(new GetServiceLinkedRoleDeletionStatusCommand({ DeletionTaskId: taskId })),
    );
    const reason = out.Reason?.Reason;
    return { status: (out.Status ?? 'IN_PROGRESS') as DeletionStatus, ...(reason ? { reason } : {}) };
  }

  async createAccessKey(user: string): Promise<NewAccessKey> {
    const { AccessKey } = await callAws(`CreateAccessKey ${user}`, () =>
      this.client.send(new CreateAccessKeyCommand({ UserName: user })),
    );
    if (!AccessKey?.AccessKeyId || !AccessKey.SecretAccessKey) {
      throw toDomainError(
        { name: 'MalformedResponse', message: 'no key in the answer' },
        `CreateAccessKey ${user}`,
      );
    }
    return { accessKeyId: AccessKey.AccessKeyId, secretAccessKey: AccessKey.SecretAccessKey };
  }

  async listAccessKeys(user: string): Promise<AccessKeyInfo[]> {
    return collect(async (Marker) => {
      const out = await callAws(`ListAccessKeys ${user}`, () =>
        this.client.send(new ListAccessKeysCommand({ UserName: user, Marker })),
      );
      return {
        items: (out.AccessKeyMetadata ?? []).map((k) => ({
          accessKeyId: k.AccessKeyId ?? '',
          status: k.Status ?? '',
        })),
        marker: out.IsTruncated ? out.Marker : undefined,
      };
    });
  }

  async deleteAccessKey(user: string, accessKeyId: string): Promise<boolean> {
    try {
      await this.client.send(new DeleteAccessKeyCommand({ UserName: user, AccessKeyId: accessKeyId }));
      return true;
    } catch (error) {
      if (isAwsError(error, 'NoSuchEntity')) return false;
      throw toDomainError(error, `DeleteAccessKey ${user}`);
    }
  }

  async passwordRules(): Promise<PasswordRules> {
    try {
      const { PasswordPolicy: p } = await this.client.send(new GetAccountPasswordPolicyCommand({}));
      return {
        minimumLength: p?.MinimumPasswordLength ?? 6,
        requireSymbols: p?.RequireSymbols ?? false,
        requireNumbers: p?.RequireNumbers ?? false,
        requireUppercase: p?.RequireUppercaseCharacters ?? false,
        requireLowercase: p?.RequireLowercaseCharacters ?? false,
      };
    } catch (error) {
      if (isAwsError(error, 'NoSuchEntity')) return AWS_DEFAULT_PASSWORD_RULES;
      throw toDomainError(error, 'GetAccountPasswordPolicy');
    }
  }

  async accountAlias(): Promise<string | undefined> {
    const out = await callAws('ListAccountAliases', () =>
      this.client.send(new ListAccountAliasesCommand({})),
    );
    return out.AccountAliases?.[0];
  }

  async createLoginProfile(user: string, password: string): Promise<boolean> {
    try {
      await this.client.send(
        new CreateLoginProfileCommand({ UserName: user, Password: password, PasswordResetRequired: true }),
      );
      return true;
    } catch (error) {
      if (isAwsError(error, 'EntityAlreadyExists')) return false;
      // IAM is eventually consistent: a user created a moment ago can be NoSuchEntity briefly.
      if (isAwsError(error, 'NoSuchEntity')) {
        throw new NotYetVisibleError(`CreateLoginProfile ${user}: ${(error as Error).message}`, {
          cause: withoutRequest(error),
        });
      }
      // The SDK error holds the request, and so the password: only its name and message go on.
      throw toDomainError(withoutRequest(error), `CreateLoginProfile ${user}`);
    }
  }

  async updateLoginProfile(user: string, password: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateLoginProfileCommand({ UserName: user, Password: password, PasswordResetRequired: true }),
      );
    } catch (error) {
      throw toDomainError(withoutRequest(error), `UpdateLoginProfile ${user}`);
    }
  }

  async deleteLoginProfile(user: string): Promise<boolean> {
    try {
      await this.client.send(new DeleteLoginProfileCommand({ UserName: user }));
      return true;
    } catch (error) {
      if (isAwsError(error, 'NoSuchEntity')) return false;
      if (isAccessDenied(error) && !(await this.getUser(user))) return false;
      throw toDomainError(error, `DeleteLoginProfile ${user}`);
    }
  }

  async detachEverythingFromUser(user: string): Promise<string[]> {
    const removed: string[] = [];
    for (const key of await this.listAccessKeys(user)) {
      if (await this.deleteAccessKey(user, key.accessKeyId)) removed.push(`access key ${key.accessKeyId}`);
    }
    for (const group of await this.listGroupsForUser(user)) {
      if (await this.removeUserFromGroup(user, group)) removed.push(`membership of ${group}`);
    }
    const attached = await collect(async (Marker) => {
      const out = await callAws(`ListAttachedUserPolicies ${user}`, () =>
        this.client.send(new ListAttachedUserPoliciesCommand({ UserName: user, Marker })),
      );
      return { items: out.AttachedPolicies ?? [], marker: out.IsTruncated ? out.Marker : undefined };
    });
    for (const p of attached) {
      await this.ignoreMissing(`DetachUserPolicy ${user}`, () =>
        this.client.send(new DetachUserPolicyCommand({ UserName: user, PolicyArn: p.PolicyArn })),
      );
      removed.push(`policy ${p.PolicyArn}`);
    }
    const inline = await collect(async (Marker) => {
      const out = await callAws(`ListUserPolicies ${user}`, () =>
        this.client.send(new ListUserPoliciesCommand({ UserName: user, Marker })),
      );
      return { items: out.PolicyNames ?? [], marker: out.IsTruncated ? out.Marker : undefined };
    });
    for (const name of inline) {
      await this.ignoreMissing(`DeleteUserPolicy ${user}`, () =>
        this.client.send(new DeleteUserPolicyCommand({ UserName: user, PolicyName: name })),
      );
      removed.push(`inline policy ${name}`);
    }
    if (
      await this.ignoreMissing(`DeleteLoginProfile ${user}`, () =>
        this.client.send(new DeleteLoginProfileCommand({ UserName: user })),
      )
    ) {
      removed.push('login profile');
    }
    return removed;
  }

  private async ignoreMissing(what: string, fn: () => Promise<unknown>): Promise<boolean> {
    try {
      await fn();
      return true;
    } catch (error) {
      if (isAwsError(error, 'NoSuchEntity')) return false;
      throw toDomainError(error, what);
    }
  }
}
