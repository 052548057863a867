import { AwsError } from '../errors.ts';
import { type EmGroup, type EmRole, type EmUser, type EmulatorState, key } from '../state.ts';

/** The account's users, groups and roles, found by name (case-insensitively, as IAM), and their ARNs. */

export const byName = <T extends { name: string }>(a: T, b: T) =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

export const arn = (s: EmulatorState, kind: string, path: string, name: string) =>
  `arn:aws:iam::${s.accountId}:${kind}${path}${name}`;

export function getUser(s: EmulatorState, name: string): EmUser {
  const user = s.users[key(name)];
  if (!user) throw new AwsError('NoSuchEntity', `The user with name ${name} cannot be found.`);
  return user;
}

export function getGroup(s: EmulatorState, name: string): EmGroup {
  const group = s.groups[key(name)];
  if (!group) throw new AwsError('NoSuchEntity', `The group with name ${name} cannot be found.`);
  return group;
}

export function getRole(s: EmulatorState, name: string): EmRole {
  const role = s.roles[key(name)];
  if (!role) throw new AwsError('NoSuchEntity', `The role with name ${name} cannot be found.`);
  return role;
}
