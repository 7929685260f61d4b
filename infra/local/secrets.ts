import { randomBytes, randomUUID } from 'node:crypto';
import {
  awsError,
  epochSeconds,
  type JsonOperation,
  readState,
  validationError,
  writeState,
} from './aws-json';
import type { LocalModel } from './template';

interface RuntimeSecret {
  ARN: string;
  Name: string;
  SecretString: string;
  VersionId: string;
  Description?: string;
  KmsKeyId?: string;
  Tags?: { Key: string; Value: string }[];
  CreatedDate: string;
  /** Set by DeleteSecret with a recovery window: the secret is unusable, then gone after this date. */
  DeletedDate?: string;
  DeletionDate?: string;
}

const NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

/** Like GenerateSecretString without punctuation: 64 letters and digits. */
const generated = () =>
  randomBytes(48)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 64)
    .padEnd(64, '0');

/**
 * Secrets Manager for the local cloud: the template's secrets (generated once and kept in
 * secrets.json, as before) and secrets created at runtime (CreateSecret, DeleteSecret with or without
 * a recovery window, DescribeSecret), kept in runtime-secrets.json. Runtime ARNs end in the random
 * six-character suffix Secrets Manager adds, so code that builds an ARN from a name fails here as it
 * would in AWS; look secrets up by name.
 */
export function createLocalSecrets(opts: { model: LocalModel; templateFile: string; runtimeFile: string }) {
  const { model } = opts;
  const templateValues = readState<Record<string, string>>(opts.templateFile, {});
  let changed = false;
  for (const secret of model.secrets) {
    if (templateValues[secret.arn]) continue;
    templateValues[secret.arn] = generated();
    changed = true;
  }
  if (changed) writeState(opts.templateFile, templateValues, 0o600);

  const state = readState<{ secrets: RuntimeSecret[] }>(opts.runtimeFile, { secrets: [] });
  const save = () => writeState(opts.runtimeFile, state, 0o600);

  /** The runtime secret a SecretId names (its name, full ARN or ARN without the suffix). */
  const runtime = (id: string) => {
    const now = Date.now();
    const purged = state.secrets.filter((s) => s.DeletionDate && new Date(s.DeletionDate).getTime() <= now);
    if (purged.length > 0) {
      state.secrets = state.secrets.filter((s) => !purged.includes(s));
      save();
    }
    return state.secrets.find((s) => s.Name === id || s.ARN === id || s.ARN.slice(0, -7) === id);
  };
  const notFound = () =>
    awsError(400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
  const markedForDeletion = () =>
    awsError(
      400,
      'InvalidRequestException',
      "You can't perform this operation on the secret because it was marked for deletion.",
    );

  const operations: Record<string, JsonOperation> = {
    'secretsmanager.GetSecretValue': (body) => {
      const id = String(body.SecretId ?? '');
      const declared = model.secrets.find((s) => s.arn === id || s.name === id);
      if (declared) {
        return {
          ARN: declared.arn,
          Name: declared.name,
          SecretString: templateValues[declared.arn],
          VersionId: 'local',
          VersionStages: ['AWSCURRENT'],
        };
      }
      const secret = runtime(id);
      if (!secret) throw notFound();
      if (secret.DeletedDate) throw markedForDeletion();
      return {
        ARN: secret.ARN,
        Name: secret.Name,
        SecretString: secret.SecretString,
        VersionId: secret.VersionId,
        VersionStages: ['AWSCURRENT'],
        CreatedDate: epochSeconds(secret.CreatedDate),
      };
    },

    'secretsmanager.CreateSecret': (body) => {
      const name = String(body.Name ?? '');
      if (!NAME.test(name)) throw validationError('Name must be 1–512 of the characters A-Z a-z 0-9 /_+=.@-');
      if (typeof body.SecretString !== 'string')
        throw validationError('SecretString is required locally (SecretBinary is not served).');
      const existing = runtime(name);
      if (existing?.DeletedDate)
        throw awsError(
          400,
          'InvalidRequestException',
          "You can't create this secret because a secret with this name is already scheduled for deletion.",
        );
      if (existing || model.secrets.some((s) => s.name === name))
        throw awsError(
          400,
          'ResourceExistsException',
          `The operation failed because the secret ${name} already exists.`,
        );
      const suffix = randomBytes(6).toString('base64url').replace(/[-_]/g, 'x').slice(0, 6);
      const secret: RuntimeSecret = {
        ARN: `arn:aws:secretsmanager:${model.region}:${model.account}:secret:${name}-${suffix}`,
        Name: name,
        SecretString: body.SecretString,
        VersionId: typeof body.ClientRequestToken === 'string' ? body.ClientRequestToken : randomUUID(),
        Description: typeof body.Description === 'string' ? body.Description : undefined,
        KmsKeyId: typeof body.KmsKeyId === 'string' ? body.KmsKeyId : undefined,
        Tags: body.Tags as RuntimeSecret['Tags'],
        CreatedDate: new Date().toISOString(),
      };
      state.secrets.push(secret);
      save();
      return { ARN: secret.ARN, Name: secret.Name, VersionId: secret.VersionId };
    },

    'secretsmanager.DeleteSecret': (body) => {
      const secret = runtime(String(body.SecretId ?? ''));
      if (!secret) {
        if (model.secrets.some((s) => s.arn === body.SecretId || s.name === body.SecretId))
          throw validationError('This secret belongs to the stack: remove it in CDK.');
        throw notFound();
      }
      if (body.ForceDeleteWithoutRecovery === true) {
        if (body.RecoveryWindowInDays !== undefined)
          throw awsError(
            400,
            'InvalidParameterException',
            "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
          );
        state.secrets = state.secrets.filter((s) => s !== secret);
        save();
        return { ARN: secret.ARN, Name: secret.Name, DeletionDate: epochSeconds(new Date()) };
      }
      const days = Number(body.RecoveryWindowInDays ?? 30);
      if (!Number.isInteger(days) || days < 7 || days > 30)
        throw awsError(
          400,
          'InvalidParameterException',
          'RecoveryWindowInDays must be between 7 and 30 days.',
        );
      if (secret.DeletedDate) throw markedForDeletion();
      const now = new Date();
      secret.DeletedDate = now.toISOString();
      secret.DeletionDate = new Date(now.getTime() + days * 86_400_000).toISOString();
      save();
      return { ARN: secret.ARN, Name: secret.Name, DeletionDate: epochSeconds(secret.DeletionDate) };
    },

    'secretsmanager.DescribeSecret': (body) => {
      const secret = runtime(String(body.SecretId ?? ''));
      if (!secret) throw notFound();
      return {
        ARN: secret.ARN,
        Name: secret.Name,
        Description: secret.Description,
        KmsKeyId: secret.KmsKeyId,
        Tags: secret.Tags,
        CreatedDate: epochSeconds(secret.CreatedDate),
        DeletedDate: epochSeconds(secret.DeletedDate),
      };
    },
  };

  return { operations };
}
