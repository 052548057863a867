// What serverless.yml derives from config/onboarding.json, the one place a user edits: the Lambdas'
// configuration, the IAM resources their roles are scoped to, and one managed policy per boundary file
// (config/boundaries/<name>.json). Fn::Sub strings keep the account and partition out of the file.
const path = require('node:path');
const fs = require('node:fs');
const onboarding = require('./onboarding.json');
const { stageConfig } = require('./stage-config.cjs');

/** Kept in the account when the stack goes or CloudFormation replaces the resource. */
const RETAINED = { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' };

const BOUNDARIES_DIR = path.join(__dirname, 'boundaries');
// The identity policy every onboarded user gets (src/config.ts SELF_SERVICE_POLICY): their password, their
// MFA device, their own secret. It sits beside the boundaries under the same path and name prefix.
const SELF_SERVICE = 'self-service';
const SELF_SERVICE_FILE = path.join(__dirname, 'policies', `${SELF_SERVICE}.json`);
// The deny-all an offboarding attaches to contain a leaver (src/config.ts CONTAIN_POLICY), beside them.
const CONTAIN = 'offboarding-contain';
const CONTAIN_FILE = path.join(__dirname, 'policies', `${CONTAIN}.json`);

/** The HTTP API's secrets: logical id, configuration key of the name, what it is for. */
const API_SECRETS = [
  {
    id: 'ApiWebhookSecret',
    key: 'webhookSecretName',
    description: 'HMAC key ticketing tools sign webhook requests with',
  },
  {
    id: 'ApiTokenSecret',
    key: 'apiTokenSecretName',
    description: 'Bearer token of the HTTP API (Jira Automation)',
  },
  {
    id: 'ApiCallbackSecret',
    key: 'callbackSecretName',
    description: 'HMAC key the completion callbacks are signed with',
  },
];

const sub = (s) => ({ 'Fn::Sub': s });
// Secrets Manager appends six random characters to a secret's name in its ARN.
const secretArn = (name) =>
  sub(`arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:${name}-??????`);
const iam = (rest) => sub(`arn:\${AWS::Partition}:iam::\${AWS::AccountId}:${rest}`);
const unique = (values) => [...new Set(values)].sort();

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

/** The CloudFormation logical id of a boundary's managed policy: `Boundary` + its name in PascalCase. */
const boundaryResourceId = (name) =>
  `Boundary${name
    .split('-')
    .map((w) => `${w.slice(0, 1).toUpperCase()}${w.slice(1)}`)
    .join('')}`;

/**
 * Everything serverless.yml reads, for one configuration: the file's by default (what the deploy uses),
 * or another one (the local stack resolves the same roles for the configuration it runs with).
 */
const forConfig = (config) => {
  const profiles = Object.entries(config.profiles ?? {});
  const groups = unique(profiles.map(([, p]) => p.group));
  const boundaries = unique(profiles.map(([, p]) => p.boundary).filter((b) => typeof b === 'string'));
  const namePrefix = config.boundaries.namePrefix ?? 'iam-onboarding-';
  const boundaryPath = config.boundaries.path;
  const boundaryArn = (b) => iam(`policy${boundaryPath}${namePrefix}${b}`);

  /** A policy file's document, with the configured user path and secret prefix in it. */
  const policyFile = (file, label, missing) => {
    let text;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      throw new Error(missing);
    }
    let document;
    try {
      document = JSON.parse(text);
    } catch (error) {
      throw new Error(`${label} is not valid JSON: ${error.message}`);
    }
    if (document?.Version !== '2012-10-17' || !Array.isArray(document.Statement)) {
      throw new Error(
        `${label} is not an IAM policy document ("Version": "2012-10-17" and a "Statement" list)`,
      );
    }
    return JSON.parse(
      JSON.stringify(document)
        .replaceAll('/onboarded/', config.userPath)
        .replaceAll('secret:onboarding/', `secret:${config.secretPrefix}`),
    );
  };
  const boundaryDocument = (name) => {
    const owner = profiles.find(([, p]) => p.boundary === name)?.[0];
    return policyFile(
      path.join(BOUNDARIES_DIR, `${name}.json`),
      `config/boundaries/${name}.json`,
      `profiles.${owner}.boundary: "${name}" names config/boundaries/${name}.json, which does not exist (add the file, or name another boundary)`,
    );
  };
  const selfServiceDocument = () =>
    policyFile(
      SELF_SERVICE_FILE,
      `config/policies/${SELF_SERVICE}.json`,
      `config/policies/${SELF_SERVICE}.json does not exist: every onboarded user gets this self-service policy (restore it from the repository)`,
    );
  const selfServiceArn = boundaryArn(SELF_SERVICE);
  const containDocument = () =>
    policyFile(CONTAIN_FILE, `config/policies/${CONTAIN}.json`, `config/policies/${CONTAIN}.json is missing`);
  const containArn = boundaryArn(CONTAIN);

  return {
    onboardingConfig: () => JSON.stringify(config),
    /** The onboarded users: everything this creates lives under the configured path. */
    userArns: () => [iam(`user${config.userPath}*`)],
    /** Reads of any user: the plan must see a name taken under another path (a collision). */
    anyUserArns: () => [iam('user/*')],
    /** The profiles' groups, each at the configured group path exactly: no suffix match, no other path. */
    groupArns: () => groups.map((g) => iam(`group${config.groupPath}${g}`)),
    /**
     * Every group at the configured group path: an offboarding removes the leaver's memberships of
     * these. Not any group: leaving a group can grant (a group may carry a Deny), so a membership
     * elsewhere is left and named for a person to remove.
     */
    groupPathArns: () => [iam(`group${config.groupPath}*`)],
    /**
     * The profiles' group names at any path, for the plan's read only: IAM evaluates a group that does
     * not exist as `group/<name>` (it has no path for it), and a same-named group elsewhere under its own
     * path, which the plan must see to refuse it.
     */
    anyPathGroupArns: () => groups.flatMap((g) => [iam(`group/${g}`), iam(`group/*/${g}`)]),
    /**
     * The profiles' groups where they are, and as IAM evaluates them once they are gone (`group/<name>`):
     * the undo's read-back of a group whose DeleteGroup was refused (see src/aws/errors.ts isAccessDenied).
     */
    readBackGroupArns: () => groups.flatMap((g) => [iam(`group${config.groupPath}${g}`), iam(`group/${g}`)]),
    /** Every managed policy a profile names, for the plan's existence check. */
    policyArns: () =>
      unique(profiles.flatMap(([, p]) => [...p.groupPolicyArns, ...(p.userPolicyArns ?? [])])),
    /** The self-service policy's ARN (a Fn::Sub): every onboarded user gets it. */
    selfServiceArns: () => [selfServiceArn],
    /** What a group may be given: the profiles' group policies only. */
    groupPolicyArns: () => unique(profiles.flatMap(([, p]) => p.groupPolicyArns)),
    /** What a user may be given: the profiles' per-user allowlists, and the self-service policy. */
    userPolicyArns: () => [...unique(profiles.flatMap(([, p]) => p.userPolicyArns ?? [])), selfServiceArn],
    /** Each configured boundary's ARN: a user is created under one of these, never another or none. */
    boundaryArns: () => boundaries.map(boundaryArn),
    serviceLinkedRoleArns: () =>
      unique(profiles.flatMap(([, p]) => p.serviceLinkedRoles ?? [])).map((s) =>
        iam(`role/aws-service-role/${s}/*`),
      ),
    serviceLinkedRoleServices: () => unique(profiles.flatMap(([, p]) => p.serviceLinkedRoles ?? [])),
    secretArns: () => [
      sub(
        `arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:${config.secretPrefix}*`,
      ),
    ],
    apiSecretArns: () => [config.api.webhookSecretName, config.api.apiTokenSecretName].map(secretArn),
    callbackSecretArns: () => [secretArn(config.api.callbackSecretName)],
    /**
     * The HTTP API's three secrets, created by the stack with generated values (64 letters and digits,
     * about 380 bits) unless `api.stackOwnsSecrets` is false: then they must exist already (`onboard
     * bootstrap` or by hand) and the stack only reads them. Nothing prints the values; docs/deploy.md
     * says how to read the token once. They go with the stack (Secrets Manager schedules the deletion).
     */
    apiSecretResources: () => ({
      Resources:
        config.api.stackOwnsSecrets === false
          ? {}
          : Object.fromEntries(
              API_SECRETS.map(({ id, key, description }) => [
                id,
                {
                  Type: 'AWS::SecretsManager::Secret',
                  Properties: {
                    Name: config.api[key],
                    Description: description,
                    GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
                  },
                },
              ]),
            ),
    }),
    /** The boundaries' documents by name, as the deploy creates them (policy variables put back). */
    boundaryDocuments: () => Object.fromEntries(boundaries.map((b) => [b, boundaryDocument(b)])),
    /** The self-service policy's document, as the deploy creates it (policy variables put back). */
    selfServiceDocument,
    /** The offboarding's deny-all, as the deploy creates it. */
    containDocument,
    /** Its ARN (a Fn::Sub): the only policy Contain may attach and Restore may detach. */
    containPolicyArns: () => [containArn],
    /**
     * One managed policy per boundary file, and the self-service policy: the CloudFormation resources
     * serverless.yml merges in. Each is retained when the stack is removed or the resource replaced:
     * every onboarded user carries one as its permissions boundary (IAM refuses DeletePolicy then, and
     * the stack's removal would fail) and the self-service policy attached; the users outlive the stack.
     */
    boundaryResources: () => ({
      Resources: Object.fromEntries([
        [
          'SelfServicePolicy',
          {
            Type: 'AWS::IAM::ManagedPolicy',
            ...RETAINED,
            Properties: {
              ManagedPolicyName: `${namePrefix}${SELF_SERVICE}`,
              Path: boundaryPath,
              Description: `Self-service of every onboarded user: own password, own MFA device, own credentials secret (config/policies/${SELF_SERVICE}.json).`,
              PolicyDocument: keepPolicyVariables(selfServiceDocument()),
            },
          },
        ],
        [
          'OffboardingContainPolicy',
          {
            Type: 'AWS::IAM::ManagedPolicy',
            ...RETAINED,
            Properties: {
              ManagedPolicyName: `${namePrefix}${CONTAIN}`,
              Path: boundaryPath,
              Description: `Deny-all an offboarding attaches to contain a leaver until removal or restore (config/policies/${CONTAIN}.json).`,
              PolicyDocument: containDocument(),
            },
          },
        ],
        ...boundaries.map((b) => [
          boundaryResourceId(b),
          {
            Type: 'AWS::IAM::ManagedPolicy',
            ...RETAINED,
            Properties: {
              ManagedPolicyName: `${namePrefix}${b}`,
              Path: boundaryPath,
              Description: `Permissions boundary ${b}: the most a user of its profiles can ever do (config/boundaries/${b}.json).`,
              PolicyDocument: keepPolicyVariables(boundaryDocument(b)),
            },
          },
        ]),
      ]),
    }),
  };
};

/**
 * Each export, for the stage being packaged: serverless.yml's `${file(./config/serverless-env.cjs):x}`
 * calls it with the framework's resolver, and the stage's configuration (config/stages/<stage>.json
 * over config/onboarding.json) decides the names and ARNs.
 */
const perStage = new Map();
const forStage = (stage) => {
  if (!perStage.has(stage)) perStage.set(stage, forConfig(stageConfig(stage, onboarding).raw));
  return perStage.get(stage);
};
const stageExports = Object.fromEntries(
  Object.keys(forConfig(onboarding)).map((key) => [
    key,
    async (context) => {
      const stage = context?.resolveVariable ? await context.resolveVariable('sls:stage') : undefined;
      const values = stage ? forStage(stage) : forConfig(onboarding);
      return values[key]();
    },
  ]),
);

module.exports = { ...stageExports, forConfig, forStage, boundaryResourceId };
