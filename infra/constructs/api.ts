import { CfnOutput, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { Deployment } from '../config/schema';

export interface ApiProps {
  deployment: Deployment;
  key: kms.IKey;
  removalPolicy: RemovalPolicy;
}

/**
 * The HTTP API. Every route requires a JWT from the deployment's OIDC issuer (Cognito is not in
 * every region kcbx runs in); roles and organisations in its claims are checked by the handlers
 * through shared/authz.
 */
export class Api extends Construct {
  readonly httpApi: apigw.HttpApi;
  readonly authorizer: HttpJwtAuthorizer;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const { deployment } = props;
    this.authorizer = new HttpJwtAuthorizer('Jwt', deployment.identity.issuer, {
      authorizerName: 'kcbx-jwt',
      jwtAudience: deployment.identity.audience,
      identitySource: ['$request.header.Authorization'],
    });
    this.httpApi = new apigw.HttpApi(this, 'Http', {
      apiName: `kcbx-${deployment.id}`,
      description: `kcbx API of ${deployment.name}`,
      defaultAuthorizer: this.authorizer,
      createDefaultStage: false,
    });
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: deployment.local ? logs.RetentionDays.ONE_WEEK : logs.RetentionDays.ONE_YEAR,
      encryptionKey: props.key,
      removalPolicy: props.removalPolicy,
    });
    this.httpApi.addStage('Stage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: 200, burstLimit: 400 },
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(accessLogs),
        // No query strings or bodies: they may carry children's data.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTime',
            method: '$context.httpMethod',
            route: '$context.routeKey',
            status: '$context.status',
            latencyMs: '$context.responseLatency',
            caller: '$context.authorizer.claims.sub',
            error: '$context.authorizer.error',
          }),
        ),
      },
    });
    new CfnOutput(this, 'Url', { value: this.httpApi.apiEndpoint, description: 'kcbx HTTP API' });
  }

  /**
   * Adds a route served by a function; every route goes through the JWT authorizer. The route, its
   * integration and Lambda's permission for it live in the stack of the function (a service's own nested
   * stack), beside what they serve; the API, its stage and its authorizer stay in the regional stack.
   */
  route(method: apigw.HttpMethod, path: string, fn: lambda.IFunction, name: string): void {
    const stack = Stack.of(fn);
    const routes = (stack.node.tryFindChild(ROUTES) as Construct | undefined) ?? new Construct(stack, ROUTES);
    new apigw.HttpRoute(routes, name, {
      httpApi: this.httpApi,
      routeKey: apigw.HttpRouteKey.with(path, method),
      integration: new HttpLambdaIntegration(`${name}Integration`, fn, {
        payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0,
      }),
    });
  }
}

/** The construct, in each stack that serves routes, that holds them. */
const ROUTES = 'Routes';
