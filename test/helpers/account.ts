import {
  GetGroupCommand,
  GetLoginProfileCommand,
  type IAMClient,
  ListAccessKeysCommand,
  ListAttachedGroupPoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupsCommand,
  ListGroupsForUserCommand,
  ListRolesCommand,
  ListUserPoliciesCommand,
  ListUsersCommand,
  ListUserTagsCommand,
} from '@aws-sdk/client-iam';
import { ListSecretsCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/**
 * The whole account as the onboarding can change it, read through the public APIs (so it would read
 * LocalStack or moto the same way): users with tags, groups and keys; groups with members and
 * attachments; service-linked roles; secrets. Ids and dates are left out: they differ between runs.
 */
export interface AccountView {
  users: Record<
    string,
    {
      tags: Record<string, string>;
      groups: string[];
      keys: number;
      policies: string[];
      inlinePolicies: string[];
      loginProfile: boolean;
    }
  >;
  groups: Record<string, { members: string[]; policies: string[] }>;
  roles: Record<string, { description: string }>;
  secrets: Record<string, { tags: Record<string, string> }>;
}

export async function readAccount(iam: IAMClient, sm: SecretsManagerClient): Promise<AccountView> {
  const view: AccountView = { users: {}, groups: {}, roles: {}, secrets: {} };
  const users = (await iam.send(new ListUsersCommand({ MaxItems: 1000 }))).Users ?? [];
  for (const u of users) {
    const name = u.UserName ?? '';
    const tags = (await iam.send(new ListUserTagsCommand({ UserName: name }))).Tags ?? [];
    const groups = (await iam.send(new ListGroupsForUserCommand({ UserName: name }))).Groups ?? [];
    const keys = (await iam.send(new ListAccessKeysCommand({ UserName: name }))).AccessKeyMetadata ?? [];
    const policies =
      (await iam.send(new ListAttachedUserPoliciesCommand({ UserName: name }))).AttachedPolicies ?? [];
    const inline = (await iam.send(new ListUserPoliciesCommand({ UserName: name }))).PolicyNames ?? [];
    const loginProfile = await iam.send(new GetLoginProfileCommand({ UserName: name })).then(
      () => true,
      (error: Error) => {
        if (error.name.startsWith('NoSuchEntity')) return false;
        throw error;
      },
    );
    view.users[name] = {
      tags: Object.fromEntries(tags.map((t) => [t.Key ?? '', t.Value ?? ''])),
      groups: groups.map((g) => g.GroupName ?? '').sort(),
      keys: keys.length,
      policies: policies.map((p) => p.PolicyArn ?? '').sort(),
      inlinePolicies: [...inline].sort(),
      loginProfile,
    };
  }
  const groups = (await iam.send(new ListGroupsCommand({ MaxItems: 1000 }))).Groups ?? [];
  for (const g of groups) {
    const name = g.GroupName ?? '';
    const members = (await iam.send(new GetGroupCommand({ GroupName: name, MaxItems: 1000 }))).Users ?? [];
    const policies =
      (await iam.send(new ListAttachedGroupPoliciesCommand({ GroupName: name }))).AttachedPolicies ?? [];
    view.groups[name] = {
      members: members.map((m) => m.UserName ?? '').sort(),
      policies: policies.map((p) => p.PolicyArn ?? '').sort(),
    };
  }
  const roles =
    (await iam.send(new ListRolesCommand({ PathPrefix: '/aws-service-role/', MaxItems: 1000 }))).Roles ?? [];
  for (const r of roles) view.roles[r.RoleName ?? ''] = { description: r.Description ?? '' };
  const secrets = (await sm.send(new ListSecretsCommand({ MaxResults: 100 }))).SecretList ?? [];
  for (const s of secrets) {
    view.secrets[s.Name ?? ''] = {
      tags: Object.fromEntries((s.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
    };
  }
  return view;
}
