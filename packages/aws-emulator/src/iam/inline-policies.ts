import { AwsError } from '../errors.ts';
import { getGroup, getUser } from './account.ts';
import {
  type Actions,
  checkPolicyDocument,
  groupName,
  page,
  policyName,
  required,
  userName,
} from './params.ts';

/** Inline policies, of groups and of users: Put, Delete, List. */

export const inlinePolicyActions: Actions = {
  PutGroupPolicy(p, s) {
    const group = getGroup(s, groupName(p));
    const name = policyName(p);
    group.inline[name] = checkPolicyDocument(required(p, 'PolicyDocument'));
    return undefined;
  },
  DeleteGroupPolicy(p, s) {
    const group = getGroup(s, groupName(p));
    const name = policyName(p);
    if (!(name in group.inline)) {
      throw new AwsError('NoSuchEntity', `The group policy with name ${name} cannot be found.`);
    }
    delete group.inline[name];
    return undefined;
  },
  ListGroupPolicies(p, s) {
    const group = getGroup(s, groupName(p));
    const { items, ...rest } = page(Object.keys(group.inline).sort(), p);
    return { PolicyNames: items, ...rest };
  },
  PutUserPolicy(p, s) {
    const user = getUser(s, userName(p));
    const name = policyName(p);
    user.inline[name] = checkPolicyDocument(required(p, 'PolicyDocument'));
    return undefined;
  },
  DeleteUserPolicy(p, s) {
    const user = getUser(s, userName(p));
    const name = policyName(p);
    if (!(name in user.inline))
      throw new AwsError('NoSuchEntity', `The user policy with name ${name} cannot be found.`);
    delete user.inline[name];
    return undefined;
  },
  ListUserPolicies(p, s) {
    const user = getUser(s, userName(p));
    const { items, ...rest } = page(Object.keys(user.inline).sort(), p);
    return { PolicyNames: items, ...rest };
  },
};
