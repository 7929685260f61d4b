import { RegionInfo } from 'aws-cdk-lib/region-info';

/**
 * The AWS partition of China's two regions, cn-north-1 (北京, operated by Sinnet) and cn-northwest-1
 * (宁夏, operated by NWCD): separate accounts, `arn:aws-cn:` ARNs, `amazonaws.com.cn` endpoints, and a
 * few features the other regions have and these do not.
 */
export const CHINA_PARTITION = 'aws-cn';

/** The partition of an AWS region: `aws-cn` for the China regions, `aws` for most others. */
export function partitionOf(awsRegion: string): string {
  return RegionInfo.get(awsRegion).partition ?? 'aws';
}

export const isChinaRegion = (awsRegion: string): boolean => partitionOf(awsRegion) === CHINA_PARTITION;

/**
 * What a deployment's templates may use in its region. Each `false` is a feature the AWS China
 * documentation ("Getting Started with Amazon Web Services in China", per service) says the China
 * regions lack; the README's "China regions" section lists them for operators.
 */
export interface PartitionFeatures {
  /**
   * X-Ray active tracing of Lambda functions ("Amazon X-Ray integration with Lambda functions is not
   * available in the China Regions"), and with it the Powertools tracer, which would only report to it.
   */
  lambdaTracing: boolean;
  /** Tags on Lambda event source mappings ("Event source mapping (ESM) tags are not available"). */
  eventSourceMappingTags: boolean;
  /** Text messages (SNS SMS) and e-mail (SES) to people: neither is offered there; WeChat Work is. */
  smsAndEmail: boolean;
}

export function featuresOf(awsRegion: string): PartitionFeatures {
  const china = isChinaRegion(awsRegion);
  return { lambdaTracing: !china, eventSourceMappingTags: !china, smsAndEmail: !china };
}

function domainSuffixOf(awsRegion: string): string {
  const suffix = RegionInfo.get(awsRegion).domainSuffix;
  if (!suffix) throw new Error(`no DNS suffix is known for AWS region ${awsRegion}`);
  return suffix;
}

/**
 * A service principal that names its region, e.g. CloudWatch Logs' `logs.us-east-1.amazonaws.com` in
 * a key policy: in the China regions it ends in their own DNS suffix, `logs.cn-northwest-1.amazonaws.com.cn`.
 * Global principals (`lambda.amazonaws.com`, `events.amazonaws.com` …) are not written by hand: CDK's
 * `iam.ServicePrincipal` gives each partition its own name.
 */
export function regionalServicePrincipal(service: string, awsRegion: string): string {
  return `${service}.${awsRegion}.${domainSuffixOf(awsRegion)}`;
}

/**
 * The `kms:ViaService` value of a service in a region: `<service>.<region>.amazonaws.com`, in the China
 * regions too. It names the service, not its endpoint host, and it is the form CDK writes for the
 * grants it makes itself (Secrets Manager's, in the same key policy), so a template never holds two
 * spellings of one service.
 */
export function kmsViaService(service: string, awsRegion: string): string {
  return `${service}.${awsRegion}.amazonaws.com`;
}
