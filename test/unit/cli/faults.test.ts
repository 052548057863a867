import { describe, expect, it } from 'vitest';
import { parseCrash, parseFail, parseLose, parseThrottle } from '../../../src/cli/faults.ts';

describe('the fault flags', () => {
  it('turns each flag into the fault it names, on the service that has the action', () => {
    expect(parseFail('CreateAccessKey:AccessDenied')).toEqual({
      action: 'CreateAccessKey',
      service: 'iam',
      kind: 'error',
      error: 'AccessDenied',
      count: 'always',
    });
    expect(parseFail('PutResourcePolicy:ServiceFailure:2')).toMatchObject({
      service: 'secretsmanager',
      count: 2,
    });
    expect(parseThrottle('CreateUser:3')).toMatchObject({ error: 'Throttling', count: 3 });
    expect(parseLose('CreateGroup')).toMatchObject({ kind: 'lost-response', count: 1 });
    expect(parseCrash('UndoCreateUser:2')).toEqual({
      state: 'UndoCreateUser',
      when: 'after',
      kind: 'crash',
      count: 2,
    });
  });

  it('refuses an action no step calls, naming the closest one', () => {
    expect(() => parseFail('CreateUsr:AccessDenied')).toThrow(
      'no step calls "CreateUsr" (did you mean "CreateUser"?)',
    );
    expect(() => parseThrottle('AttachGroupPolicies:2')).toThrow('(did you mean "AttachGroupPolicy"?)');
    expect(() => parseLose('PutObject')).toThrow(/no step calls "PutObject"; the actions are/);
  });

  it('refuses an error AWS does not answer, and a state the machine does not have', () => {
    expect(() => parseFail('CreateUser:AccessDenid')).toThrow('(did you mean "AccessDenied"?)');
    expect(() => parseCrash('CreatUser')).toThrow('no state "CreatUser" (did you mean "CreateUser"?)');
  });

  it('refuses a count that is not a whole number of at least 1', () => {
    expect(() => parseThrottle('CreateUser:0')).toThrow('the count must be a whole number >= 1');
    expect(() => parseFail('CreateUser:Throttling:1.5')).toThrow('the count must be a whole number >= 1');
  });
});
