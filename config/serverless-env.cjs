// What serverless.yml derives from config/onboarding.json, the one place a user edits: the Lambdas'
// configuration, and the IAM resources their roles are scoped to. Fn::Sub strings keep the account
// and partition out of the file.
const onboarding = require('./onboarding.json');

const sub = (s) => ({ 'Fn::Sub': s });
// Secrets Manager appends six random characters to a secret's name in its ARN.
const secretArn = (name) =>
  sub(`arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:${name}-??????`);
const iam = (rest) => sub(`arn:\${AWS::Partition}:iam::\${AWS::AccountId}:${rest}`);

/**
 * IAM policy variables (`${aws:username}`) look like Serverless variables: split each such string with
 * Fn::Join at the "$" so the framework leaves it alone and CloudFormation puts it back together.
 */
function keepPolicyVariables(value) {
  if (typeof value === 'string' && value.includes('${')) {
    const parts = value.split('${');
    return { 'Fn::Join': ['', parts.flatMap((p, i) => (i === 0 ? [p] : ['$', `{${p}`]))] };
  }
  if (Array.isArray(value)) return value.map(keepPolicyVariables);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, keepPolicyVariables(v)]));
  }
  return value;
}

/**
 * Everything serverless.yml reads, for one configuration: the file's by default (what the deploy uses),
 * or another one (the local stack resolves the same roles for the configuration it runs with).
 */
const forConfig = (config) => ({
  onboardingConfig: () => JSON.stringify(config),
  boundaryName: () => config.permissionsBoundary.name,
  boundaryPath: () => config.permissionsBoundary.path,
  /** The onboarded users: everything this creates lives under the configured path. */
  userArns: () => [iam(`user${config.userPath}*`)],
  /** Reads of any user: the plan must see a name taken under another path (a collision). */
  anyUserArns: () => [iam('user/*')],
  /** The allowed groups, each at the configured group path exactly: no suffix match, no other path. */
  groupArns: () => config.allowedGroups.map((g) => iam(`group${config.groupPath}${g}`)),
  /**
   * The allowed group names at any path, for the plan's read only: IAM evaluates a group that does not
   * exist as `group/<name>` (it has no path for it), and a same-named group elsewhere under its own path,
   * which the plan must see to refuse it.
   */
  anyPathGroupArns: () => config.allowedGroups.flatMap((g) => [iam(`group/${g}`), iam(`group/*/${g}`)]),
  /**
   * The allowed groups where they are, and as IAM evaluates them once they are gone (`group/<name>`):
   * the undo's read-back of a group whose DeleteGroup was refused (see src/aws/errors.ts isAccessDenied).
   */
  readBackGroupArns: () =>
    config.allowedGroups.flatMap((g) => [iam(`group${config.groupPath}${g}`), iam(`group/${g}`)]),

  policyArns: () => config.allowedPolicyArns,
  boundaryArn: () => iam(`policy${config.permissionsBoundary.path}${config.permissionsBoundary.name}`),
  serviceLinkedRoleArns: () =>
    config.allowedServiceLinkedRoles.map((s) => iam(`role/aws-service-role/${s}/*`)),
  serviceLinkedRoleServices: () => config.allowedServiceLinkedRoles,
  secretArns: () => [
    sub(
      `arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:${config.secretPrefix}*`,
    ),
  ],
  apiSecretArns: () => [config.api.webhookSecretName, config.api.apiTokenSecretName].map(secretArn),
  callbackSecretArns: () => [secretArn(config.api.callbackSecretName)],
  /** The boundary document, with the configured user path and secret prefix in it. */
  boundaryDocument: () => {
    const document = JSON.parse(
      JSON.stringify(require('./boundary-policy.json'))
        .replaceAll('/onboarded/', config.userPath)
        .replaceAll('secret:onboarding/', `secret:${config.secretPrefix}`),
    );
    return keepPolicyVariables(document);
  },
});

module.exports = { ...forConfig(onboarding), forConfig };
