import { AwsError } from '../errors.ts';
import { type EmGroup, type EmulatorState, key, randomId } from '../state.ts';
import { arn, byName, getGroup, getUser } from './account.ts';
import { dependencyGone } from './dependencies.ts';
import { type Actions, checkPath, groupName, LIMITS, now, page, userName } from './params.ts';
import { userXml } from './users.ts';

/**
 * Groups and their members: Create/Get/List/DeleteGroup, AddUserToGroup, RemoveUserFromGroup,
 * ListGroupsForUser.
 */

const groupXml = (s: EmulatorState, g: EmGroup) => ({
  Path: g.path,
  GroupName: g.name,
  GroupId: g.id,
  Arn: arn(s, 'group', g.path, g.name),
  CreateDate: g.created,
});

const membersOf = (s: EmulatorState, g: EmGroup) =>
  Object.values(s.users)
    .filter((u) => u.groups.includes(key(g.name)))
    .sort(byName);

export const groupActions: Actions = {
  CreateGroup(p, s) {
    const name = groupName(p);
    const path = checkPath(p.get('Path'));
    if (s.groups[key(name)])
      throw new AwsError('EntityAlreadyExists', `Group with name ${name} already exists.`);
    const group: EmGroup = { name, path, id: randomId('AGPA'), created: now(), policies: [], inline: {} };
    s.groups[key(name)] = group;
    return { Group: groupXml(s, group) };
  },
  GetGroup(p, s) {
    const group = getGroup(s, groupName(p));
    const { items, ...rest } = page(membersOf(s, group), p);
    return { Group: groupXml(s, group), Users: items.map((u) => userXml(s, u, false)), ...rest };
  },
  ListGroups(p, s) {
    const prefix = checkPath(p.get('PathPrefix'), 'pathPrefix');
    const all = Object.values(s.groups)
      .filter((g) => g.path.startsWith(prefix))
      .sort(byName);
    const { items, ...rest } = page(all, p);
    return { Groups: items.map((g) => groupXml(s, g)), ...rest };
  },
  DeleteGroup(p, s) {
    const group = getGroup(s, groupName(p));
    if (membersOf(s, group).length) {
      throw new AwsError('DeleteConflict', 'Cannot delete entity, must remove users from group first.');
    }
    if (Object.keys(group.inline).length) {
      throw new AwsError('DeleteConflict', 'Cannot delete entity, must delete policies first.');
    }
    if (group.policies.length) {
      throw new AwsError('DeleteConflict', 'Cannot delete entity, must detach all policies first.');
    }
    delete s.groups[key(group.name)];
    return undefined;
  },
  AddUserToGroup(p, s) {
    const group = getGroup(s, groupName(p));
    const user = getUser(s, userName(p));
    if (user.groups.includes(key(group.name))) return undefined;
    if (user.groups.length >= LIMITS.groupsPerUser) {
      throw new AwsError('LimitExceeded', `Cannot exceed quota for GroupsPerUser: ${LIMITS.groupsPerUser}`);
    }
    user.groups.push(key(group.name));
    return undefined;
  },
  RemoveUserFromGroup(p, s, ctx) {
    const group = getGroup(s, groupName(p));
    const user = getUser(s, userName(p));
    if (!user.groups.includes(key(group.name))) {
      throw new AwsError(
        'NoSuchEntity',
        `The user with name ${user.name} cannot be found in group ${group.name}.`,
      );
    }
    user.groups = user.groups.filter((g) => g !== key(group.name));
    dependencyGone(user, 'groups', ctx);
    return undefined;
  },
  ListGroupsForUser(p, s) {
    const user = getUser(s, userName(p));
    const groups = user.groups
      .map((g) => s.groups[g])
      .filter((g): g is EmGroup => g !== undefined)
      .sort(byName);
    const { items, ...rest } = page(groups, p);
    return { Groups: items.map((g) => groupXml(s, g)), ...rest };
  },
};
