import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { Construct } from 'constructs';
import type { Platform } from './platform';
import { ServiceFunction } from './service-function';

/** `GET /me`: who the API thinks the caller is, and what it may see. */
export class Identity extends Construct {
  constructor(scope: Construct, id: string, platform: Platform) {
    super(scope, id);
    const me = new ServiceFunction(this, 'Me', {
      platform,
      service: 'identity',
      entry: 'services/identity/handlers/me.ts',
      description: 'Returns the caller role, organisation and data scope',
      memorySize: 256,
    });
    platform.api.route(HttpMethod.GET, '/me', me.fn, 'Me');
  }
}
