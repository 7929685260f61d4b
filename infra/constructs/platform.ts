import type { RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { Deployment } from '../config/schema';
import type { Api } from './api';
import type { DataLayer } from './data';

/** What every service construct is given: the deployment and the shared layer it builds on. */
export interface Platform {
  deployment: Deployment;
  key: kms.IKey;
  removalPolicy: RemovalPolicy;
  alarmTopic: sns.ITopic;
  data: DataLayer;
  api: Api;
  /**
   * A construct of the regional stack, named `id`, for what a service keeps that holds data (a secret
   * that seals stored records): it stays beside the tables it protects, and replacing or removing the
   * service's own stack never replaces it.
   */
  stateful(id: string): Construct;
}
