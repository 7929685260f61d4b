import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { childKey } from '../pseudonym';
import { env, secretsManager } from './clients';

let secret: Promise<string> | undefined;

/** The deployment's pseudonym key, read once per execution environment from Secrets Manager. */
function pseudonymSecret(): Promise<string> {
  secret ??= secretsManager()
    .send(new GetSecretValueCommand({ SecretId: env('KCBX_PSEUDONYM_SECRET_ARN') }))
    .then((res) => {
      if (!res.SecretString) throw new Error('The pseudonym secret is empty');
      return res.SecretString;
    });
  secret.catch(() => {
    secret = undefined;
  });
  return secret;
}

/** A function from a normalised 18-digit ID to the child's pseudonymous key (c_…). */
export async function childKeyer(): Promise<(id18: string) => string> {
  const key = await pseudonymSecret();
  // The secret's bytes are the HMAC key (64 random letters and digits from Secrets Manager).
  const bytes = new Uint8Array(Buffer.from(key, 'utf8'));
  return (id18) => childKey(id18, bytes);
}
