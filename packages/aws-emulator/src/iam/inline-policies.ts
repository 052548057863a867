import { AwsError } from '../errors.ts';
import { getGroup, getUser } from './account.ts';
import { dependencyGone } from './dependencies.ts';
import {
  type Actions,
  checkPolicyDocument,
  groupName,
  page,
  policyName,
  required,
  userName,
} from './params.ts';

/**
 * Inline policies, of groups and of users: Put, Get, Delete, List. Get answers the document URL-encoded
 * (RFC 3986), as IAM does: a reader decodes it before parsing.
 */

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
  GetGroupPolicy(p, s) {
    const group = getGroup(s, groupName(p));
    const name = policyName(p);
    const document = group.inline[name];
    if (document === undefined)
      throw new AwsError('NoSuchEntity', `The group policy with name ${name} cannot be found.`);
    return { GroupName: group.name, PolicyName: name, PolicyDocument: encodeURIComponent(document) };
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
  DeleteUserPolicy(p, s, ctx) {
    const user = getUser(s, userName(p));
    const name = policyName(p);
    if (!(name in user.inline))
      throw new AwsError('NoSuchEntity', `The user policy with name ${name} cannot be found.`);
    delete user.inline[name];
    dependencyGone(user, 'inlinePolicies', ctx);
    return undefined;
  },
  GetUserPolicy(p, s) {
    const user = getUser(s, userName(p));
    const name = policyName(p);
    const document = user.inline[name];
    if (document === undefined)
      throw new AwsError('NoSuchEntity', `The user policy with name ${name} cannot be found.`);
    return { UserName: user.name, PolicyName: name, PolicyDocument: encodeURIComponent(document) };
  },
  ListUserPolicies(p, s) {
    const user = getUser(s, userName(p));
    const { items, ...rest } = page(Object.keys(user.inline).sort(), p);
    return { PolicyNames: items, ...rest };
  },
};
